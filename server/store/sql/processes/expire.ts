/**
 * Attempts that end without success: an executor's fail, an exec deadline passed, a lease lost (all
 * retried while retries remain, else FAILED), a wait deadline passed (FAILED). See docs/architecture.md, Process semantics.
 */
import type { Queryable } from '../../db.ts';
import { deadlineSql } from './deadline.ts';
import { jsonParam } from './json.ts';
import { retryStateSql } from '../halt.ts';
import { CHANGED, type AttemptOutcome } from './types.ts';

// One failed attempt: back to WAITING while retries remain (ready again, with a new wait deadline), else FAILED.
// In a HALTED graph it goes back to HALTED instead (retryStateSql), and waits for the resume.
// maxretries -1: retries never run out (as in ColonyOS); only maxwaittime or a cancel ends the process.
const RETRIES_LEFT = '(p.maxretries < 0 OR p.retries < p.maxretries)';
// `free` (SQL, over t): the attempt was lost through no fault of the process or its executor: tried again without spending a retry.
const retryOrFailSet = (free = 'false') => {
  const again = `(${free} OR ${RETRIES_LEFT})`;
  return `
  state = CASE WHEN ${again} THEN ${retryStateSql('p')} ELSE 'FAILED' END,
  retries = CASE WHEN ${again} AND NOT ${free} THEN p.retries + 1 ELSE p.retries END,
  errors = p.errors || t.errors,
  assignedexecutorid = CASE WHEN ${again} THEN NULL ELSE p.assignedexecutorid END,
  endtime = CASE WHEN ${again} THEN NULL ELSE $1::timestamptz END,
  readytime = CASE WHEN ${again} THEN $1::timestamptz ELSE p.readytime END,
  waitdeadline = ${deadlineSql('$1', 'p.maxwaittime', again)},
  execdeadline = NULL`;
};
const RETRY_OR_FAIL_SET = retryOrFailSet();
const RETRY_OR_FAIL_RETURNING = `RETURNING ${CHANGED}, p.errors`;

const FAIL_SQL = `
WITH t AS (
  SELECT processid, $6::jsonb AS errors FROM processes
   WHERE processid = $2 AND colonyname = $3 AND state = 'RUNNING' AND assignedexecutorid = $4 AND attempt = $5
   FOR UPDATE
)
UPDATE processes p SET ${RETRY_OR_FAIL_SET} FROM t WHERE p.processid = t.processid ${RETRY_OR_FAIL_RETURNING}`;

const EXEC_TIMEOUT_SQL = `
WITH t AS (
  SELECT processid,
         jsonb_build_array(format('maxexectime of %s s exceeded (attempt %s, executor %s)', maxexectime, attempt, assignedexecutorid)) AS errors
    FROM processes
   WHERE state = 'RUNNING' AND execdeadline <= $1
   ORDER BY execdeadline
   LIMIT $2
   FOR UPDATE SKIP LOCKED
)
UPDATE processes p SET ${RETRY_OR_FAIL_SET} FROM t WHERE p.processid = t.processid ${RETRY_OR_FAIL_RETURNING}`;

const WAIT_TIMEOUT_SQL = `
WITH t AS (
  SELECT processid FROM processes
   WHERE state = 'WAITING' AND waitdeadline <= $1
   ORDER BY waitdeadline
   LIMIT $2
   FOR UPDATE SKIP LOCKED
)
UPDATE processes p
   SET state = 'FAILED', endtime = $1, waitdeadline = NULL,
       errors = p.errors || jsonb_build_array(format('maxwaittime of %s s exceeded: no executor was assigned in time', p.maxwaittime))
  FROM t WHERE p.processid = t.processid
${RETRY_OR_FAIL_RETURNING}`;

// The lease, kind 1: RUNNING for over a lease ($3 = now − lease) on an executor not heard from since,
// or at once on one that was removed. Silence counts only when $5 (this replica can tell it). Driven by the RUNNING processes (processes_running), each checked against its executor.
const SILENT_SQL = `
WITH t AS (
  SELECT p.processid,
         jsonb_build_array(CASE WHEN e.executorid IS NULL
           THEN format('executor %s was removed (attempt %s)', p.assignedexecutorid, p.attempt)
           ELSE format('executor %s not heard from for %s s (attempt %s)', e.executorname, $4::int, p.attempt) END) AS errors
    FROM processes p
    LEFT JOIN executors e ON e.colonyname = p.colonyname AND e.executorid = p.assignedexecutorid
   WHERE p.state = 'RUNNING' AND p.assignedexecutorid IS NOT NULL
     AND (e.executorid IS NULL OR ($5 AND p.starttime <= $3 AND (e.lastheardfrom IS NULL OR e.lastheardfrom <= $3)))
   LIMIT $2
   FOR UPDATE OF p SKIP LOCKED
)
UPDATE processes p SET ${RETRY_OR_FAIL_SET} FROM t WHERE p.processid = t.processid ${RETRY_OR_FAIL_RETURNING}`;

// The lease, kind 2: the executor's last report of what it holds ($3 ms of grace after the
// assignment, for an answer still in flight when it reported) does not name the process. When the
// run of the executor that reported had begun before the assignment, the answer was lost on its way
// (a server crash, a cut connection): that costs no retry. Otherwise (it restarted, or does not say
// which run it is) the attempt may have run: it counts.
const UNHELD_SQL = `
WITH t AS (
  SELECT p.processid, (e.instancesince IS NOT NULL AND p.starttime >= e.instancesince) AS lost,
         jsonb_build_array(CASE WHEN e.instancesince IS NOT NULL AND p.starttime >= e.instancesince
           THEN format('assignment never reached executor %s (attempt %s): its answer was lost; tried again without spending a retry', e.executorname, p.attempt)
           ELSE format('assignment never reached executor %s (attempt %s): it reported not holding it', e.executorname, p.attempt) END) AS errors
    FROM executors e
    JOIN processes p ON p.assignedexecutorid = e.executorid AND p.colonyname = e.colonyname AND p.state = 'RUNNING'
   WHERE e.holdingat IS NOT NULL AND p.starttime <= e.holdingat - $3::int * interval '1 millisecond'
     AND p.processid <> ALL(e.holding)
   LIMIT $2
   FOR UPDATE OF p SKIP LOCKED
)
UPDATE processes p SET ${retryOrFailSet('t.lost')} FROM t WHERE p.processid = t.processid ${RETRY_OR_FAIL_RETURNING}`;

export const expireSql = {
  /** One attempt failed by its executor (fenced by executor and attempt): retried or FAILED. */
  fail: async (q: Queryable, colonyname: string, processid: string, executorid: string, attempt: number, errors: string[], now: Date) =>
    (await q.query<AttemptOutcome>(FAIL_SQL, [now, processid, colonyname, executorid, attempt, jsonParam(errors)]))[0],

  /** Up to `limit` attempts past their exec deadline, each locked by one sweep: retried or FAILED. */
  expireExecutions: (q: Queryable, now: Date, limit: number) => q.query<AttemptOutcome>(EXEC_TIMEOUT_SQL, [now, limit]),

  /**
   * Up to `limit` attempts whose executor was removed or (when `silenceKnown`) silent for `leaseMs`,
   * each locked by one sweep: retried or FAILED.
   */
  expireSilent: (q: Queryable, now: Date, limit: number, leaseMs: number, silenceKnown: boolean) =>
    q.query<AttemptOutcome>(SILENT_SQL, [now, limit, new Date(now.getTime() - leaseMs), Math.round(leaseMs / 1000), silenceKnown]),

  /** Up to `limit` attempts their executor, heard `graceMs` or more after the assignment, said it does not hold: retried or FAILED. */
  expireUnheld: (q: Queryable, now: Date, limit: number, graceMs: number) => q.query<AttemptOutcome>(UNHELD_SQL, [now, limit, graceMs]),

  /** Up to `limit` processes past their wait deadline, each locked by one sweep: FAILED. */
  expireWaits: (q: Queryable, now: Date, limit: number) => q.query<AttemptOutcome>(WAIT_TIMEOUT_SQL, [now, limit]),
};
