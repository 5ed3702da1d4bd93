/**
 * Attempts that end without success: an executor's fail, an exec deadline passed (both retried while
 * retries remain, else FAILED), a wait deadline passed (FAILED). See docs/architecture.md, Process semantics.
 */
import type { Queryable } from '../../db.ts';
import { deadlineSql } from './deadline.ts';
import { jsonParam } from './json.ts';
import { CHANGED, type AttemptOutcome } from './types.ts';

// One failed attempt: back to WAITING while retries remain (ready again, with a new wait deadline), else FAILED.
const RETRIES_LEFT = 'p.retries < p.maxretries';
const RETRY_OR_FAIL_SET = `
  state = CASE WHEN ${RETRIES_LEFT} THEN 'WAITING' ELSE 'FAILED' END,
  retries = CASE WHEN ${RETRIES_LEFT} THEN p.retries + 1 ELSE p.retries END,
  errors = p.errors || t.errors,
  assignedexecutorid = CASE WHEN ${RETRIES_LEFT} THEN NULL ELSE p.assignedexecutorid END,
  endtime = CASE WHEN ${RETRIES_LEFT} THEN NULL ELSE $1::timestamptz END,
  readytime = CASE WHEN ${RETRIES_LEFT} THEN $1::timestamptz ELSE p.readytime END,
  waitdeadline = ${deadlineSql('$1', 'p.maxwaittime', RETRIES_LEFT)},
  execdeadline = NULL`;
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

export const expireSql = {
  /** One attempt failed by its executor (fenced by executor and attempt): retried or FAILED. */
  fail: async (q: Queryable, colonyname: string, processid: string, executorid: string, attempt: number, errors: string[], now: Date) =>
    (await q.query<AttemptOutcome>(FAIL_SQL, [now, processid, colonyname, executorid, attempt, jsonParam(errors)]))[0],

  /** Up to `limit` attempts past their exec deadline, each locked by one sweep: retried or FAILED. */
  expireExecutions: (q: Queryable, now: Date, limit: number) => q.query<AttemptOutcome>(EXEC_TIMEOUT_SQL, [now, limit]),

  /** Up to `limit` processes past their wait deadline, each locked by one sweep: FAILED. */
  expireWaits: (q: Queryable, now: Date, limit: number) => q.query<AttemptOutcome>(WAIT_TIMEOUT_SQL, [now, limit]),
};
