/**
 * Attempts that end without success: an executor's fail, an exec deadline passed, a lease lost (all
 * retried while retries remain, else FAILED), a wait deadline passed (FAILED). See docs/architecture.md, Process semantics.
 */
import type { Queryable } from '../../db.ts';
import { deadlineSql } from './deadline.ts';
import { jsonParam } from './json.ts';
import { retryStateSql } from '../halt.ts';
import { CHANGED, type AttemptOutcome, type ReadyWork } from './types.ts';

// One failed attempt: back to WAITING while retries remain (ready again, with a new wait deadline), else FAILED.
// In a HALTED graph it goes back to HALTED instead (retryStateSql), and waits for the resume.
// maxretries -1: retries never run out (as in ColonyOS); only maxwaittime or a cancel ends the process.
const RETRIES_LEFT = '(p.maxretries < 0 OR p.retries < p.maxretries)';

/** Share of a retry's delay taken off at random, so that processes failing together do not come back together. */
const RETRY_JITTER = 0.1;

/**
 * SQL: when the process `row` may be tried again after failing at `now`, by its spec's retry policy
 * (NULL: at once). The retry about to be spent is number n = retries + 1; its delay is
 * retrydelay × retrybackoff^(n−1), at most maxretrydelay (default 100 × retrydelay), less up to
 * RETRY_JITTER of it, rounded up to the millisecond. Compared in logarithms first, so that a large
 * power cannot overflow. Evaluated once per row (it draws a random number), in the statement's `t`.
 * See docs/architecture.md, Process semantics.
 */
function retryAtSql(row: string, now: string): string {
  const num = (field: string) => `(${row}.spec->>'${field}')::float8`;
  const [delay, backoff] = [num('retrydelay'), `coalesce(${num('retrybackoff')}, 2)`];
  const ceiling = `coalesce(${num('maxretrydelay')}, 100 * ${delay})`;
  const grown = `CASE WHEN ln(${delay}) + ${row}.retries * ln(${backoff}) >= ln(${ceiling}) THEN ${ceiling}
    ELSE least(${delay} * power(${backoff}, ${row}.retries), ${ceiling}) END`;
  // In whole milliseconds, as clients read times: a client that waits until the time it was shown finds the process due.
  return `CASE WHEN ${delay} > 0 THEN ${now}::timestamptz
    + make_interval(secs => ceil(1000 * (${grown}) * (1 - ${RETRY_JITTER} * random())) / 1000) END`;
}

/**
 * What the statement's `t` says of the failed attempt, as SQL over t: `free`, lost through no fault of
 * the process or its executor (tried again at once, without spending a retry); `final`, failed as final by
 * its executor; `kind`, the error's kind, matched against the spec's noretry.
 */
interface Failure {
  free?: string;
  final?: string;
  kind?: string;
}

// The SET of a failed attempt; `t` has the attempt's errors and `retryat` (retryAtSql).
const retryOrFailSet = ({ free = 'false', final = 'false', kind = 'NULL' }: Failure = {}) => {
  const listed = `coalesce(p.spec->'noretry' @> jsonb_build_array(${kind}::text), false)`;
  const why = `CASE WHEN ${final} THEN 'the executor failed it as final' ELSE format('%s is in noretry', ${kind}::text) END`;
  // Not retried, whatever retries remain: the recorded error says why.
  const never = `(${final} OR ${listed})`;
  const again = `(NOT ${never} AND (${free} OR ${RETRIES_LEFT}))`;
  const at = `CASE WHEN ${again} AND NOT ${free} THEN t.retryat END`;
  return `
  state = CASE WHEN ${again} THEN ${retryStateSql('p')} ELSE 'FAILED' END,
  retries = CASE WHEN ${again} AND NOT ${free} THEN p.retries + 1 ELSE p.retries END,
  errors = p.errors || CASE WHEN ${never}
    THEN jsonb_set(t.errors, '{0}', to_jsonb(format('%s (not retried: %s)', t.errors->>0, ${why}))) ELSE t.errors END,
  assignedexecutorid = CASE WHEN ${again} THEN NULL ELSE p.assignedexecutorid END,
  endtime = CASE WHEN ${again} THEN NULL ELSE $1::timestamptz END,
  notbefore = ${at},
  readytime = CASE WHEN ${again} THEN coalesce(${at}, $1::timestamptz) ELSE p.readytime END,
  waitdeadline = ${deadlineSql(`coalesce(${at}, $1::timestamptz)`, 'p.maxwaittime', again)},
  execdeadline = NULL`;
};
const RETRY_OR_FAIL_SET = retryOrFailSet();
const RETRY_OR_FAIL_RETURNING = `RETURNING ${CHANGED}, p.errors, p.notbefore`;
const RETRY_AT = retryAtSql('p', '$1');

// $7: the executor said the failure is final; $8: the error's kind (or NULL).
const FAIL_SQL = `
WITH t AS (
  SELECT processid, $6::jsonb AS errors, ${RETRY_AT} AS retryat FROM processes p
   WHERE processid = $2 AND colonyname = $3 AND state = 'RUNNING' AND assignedexecutorid = $4 AND attempt = $5
   FOR UPDATE
)
UPDATE processes p SET ${retryOrFailSet({ final: '$7::boolean', kind: '$8::text' })} FROM t WHERE p.processid = t.processid ${RETRY_OR_FAIL_RETURNING}`;

const EXEC_TIMEOUT_SQL = `
WITH t AS (
  SELECT processid,
         jsonb_build_array(format('maxexectime of %s s exceeded (attempt %s, executor %s)', maxexectime, attempt, assignedexecutorid)) AS errors,
         ${RETRY_AT} AS retryat
    FROM processes p
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
   SET state = 'FAILED', endtime = $1, waitdeadline = NULL, notbefore = NULL,
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
           ELSE format('executor %s not heard from for %s s (attempt %s)', e.executorname, $4::int, p.attempt) END) AS errors,
         ${RETRY_AT} AS retryat
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
           ELSE format('assignment never reached executor %s (attempt %s): it reported not holding it', e.executorname, p.attempt) END) AS errors,
         ${RETRY_AT} AS retryat
    FROM executors e
    JOIN processes p ON p.assignedexecutorid = e.executorid AND p.colonyname = e.colonyname AND p.state = 'RUNNING'
   WHERE e.holdingat IS NOT NULL AND p.starttime <= e.holdingat - $3::int * interval '1 millisecond'
     AND p.processid <> ALL(e.holding)
   LIMIT $2
   FOR UPDATE OF p SKIP LOCKED
)
UPDATE processes p SET ${retryOrFailSet({ free: 't.lost' })} FROM t WHERE p.processid = t.processid ${RETRY_OR_FAIL_RETURNING}`;

// Retries whose delay ended in ($1, $2], per colony and executor type (processes_notbefore): their
// long-polls are woken, since no statement made them ready.
const COMING_DUE_SQL = `
SELECT colonyname, executortype, count(*)::int AS n FROM processes
 WHERE state = 'WAITING' AND notbefore > $1 AND notbefore <= $2
 GROUP BY colonyname, executortype`;

export const expireSql = {
  /**
   * One attempt failed by its executor (fenced by executor and attempt): retried (after the spec's
   * delay) or FAILED; FAILED at once when `final`, or when `errorkind` is in the spec's noretry.
   */
  fail: async (
    q: Queryable,
    colonyname: string,
    processid: string,
    executorid: string,
    attempt: number,
    errors: string[],
    now: Date,
    o: { final?: boolean; errorkind?: string | undefined } = {},
  ) =>
    (
      await q.query<AttemptOutcome>(FAIL_SQL, [
        now,
        processid,
        colonyname,
        executorid,
        attempt,
        jsonParam(errors),
        o.final ?? false,
        o.errorkind ?? null,
      ])
    )[0],

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

  /** Delayed retries that came due after `since`, up to `now`: where work became ready. Reads only. */
  comingDue: (q: Queryable, since: Date, now: Date) => q.query<ReadyWork>(COMING_DUE_SQL, [since, now]),

  /** Up to `limit` processes past their wait deadline, each locked by one sweep: FAILED. */
  expireWaits: (q: Queryable, now: Date, limit: number) => q.query<AttemptOutcome>(WAIT_TIMEOUT_SQL, [now, limit]),
};
