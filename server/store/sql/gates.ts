/**
 * The statements of control flow (services/gates.ts): gated processes due for a decision, their
 * parents as a decision reads them, and the changes it makes — open, end without running, settle a
 * graph's count, pass a finished parent on to its children. Each runs inside the caller's transaction.
 */
import type { Queryable } from '../db.ts';
import type { FunctionSpec } from '../../../protocol/schemas.ts';
import type { ProcessState } from '../../../protocol/states.ts';
import { deadlineSql } from './processes/deadline.ts';
import { jsonParam } from './processes/json.ts';
import { CHANGED, type ChangedRow } from './processes/types.ts';
import { HANDLING_TRIGGERS } from '../../../protocol/flow.ts';

/** A gated process due for its decision (its parents have all finished), locked. */
export interface DueGate {
  processid: string;
  colonyname: string;
  processgraphid: string;
  executortype: string;
  spec: FunctionSpec;
  parents: string[];
  input: unknown[];
  graphstate: ProcessState;
  variables: Record<string, unknown>;
}

/** A parent as a decision reads it. */
export interface ParentRow {
  processid: string;
  nodename: string;
  state: ProcessState;
  output: unknown[];
  errors: string[];
}

/** A process that finished without succeeding, with what its children need to know. */
export interface EndedRow extends ChangedRow {
  children: string[];
  errors: string[];
}

/** A child told of a parent's end: gated ones count it down, others end with it. */
export interface ChildRow {
  processid: string;
  gated: boolean;
  waitingparents: number;
}

const DUE = `p.gated AND p.state = 'WAITING' AND p.waitingparents = 1`;
const DUE_COLUMNS = `p.processid, p.colonyname, p.processgraphid, p.executortype, p.spec, p.parents, p.input, g.state AS graphstate, g.variables`;
const ENDED = `RETURNING ${CHANGED}, p.children, p.errors`;

export const gatesSql = {
  /** Of these processes, the gates due for a decision, locked in id order (as closes lock children). */
  lockDue: (q: Queryable, ids: string[]) =>
    q.query<DueGate>(
      `SELECT ${DUE_COLUMNS} FROM processes p JOIN processgraphs g ON g.processgraphid = p.processgraphid
        WHERE p.processid = ANY($1::text[]) AND ${DUE} ORDER BY p.processid FOR UPDATE OF p`,
      [ids],
    ),

  /** Up to `limit` due gates no other transaction holds: the sweep's. */
  lockAnyDue: (q: Queryable, limit: number) =>
    q.query<DueGate>(
      `SELECT ${DUE_COLUMNS} FROM processes p JOIN processgraphs g ON g.processgraphid = p.processgraphid
        WHERE ${DUE} ORDER BY p.seq LIMIT $1 FOR UPDATE OF p SKIP LOCKED`,
      [limit],
    ),

  parents: (q: Queryable, ids: string[]) =>
    q.query<ParentRow>(`SELECT processid, nodename, state, output, errors FROM processes WHERE processid = ANY($1::text[])`, [ids]),

  /** Opens a gate: the process is ready (for an executor's claim) with the input the decision fixed. */
  open: async (q: Queryable, processid: string, input: unknown[], now: Date) =>
    (
      await q.query<{ colonyname: string; executortype: string }>(
        `UPDATE processes p SET waitingparents = 0, input = $2::jsonb, readytime = $3,
                waitdeadline = ${deadlineSql('$3', 'p.maxwaittime')}
          WHERE p.processid = $1 RETURNING p.colonyname, p.executortype`,
        [processid, jsonParam(input), now],
      )
    )[0]!,

  /** Ends a WAITING (or HALTED) process without running it: SKIPPED, or FAILED with a reason. */
  end: async (q: Queryable, processid: string, state: 'SKIPPED' | 'FAILED', reason: string, now: Date) =>
    (
      await q.query<EndedRow>(
        `UPDATE processes p SET state = $2, endtime = $3, waitdeadline = NULL, errors = p.errors || $4::jsonb
          WHERE p.processid = $1 AND p.state IN ('WAITING', 'HALTED') ${ENDED}`,
        [processid, state, now, jsonParam([reason])],
      )
    )[0],

  /** The children of a finished parent still waiting (or HALTED), locked in id order; gated ones count the parent as finished. */
  passOn: (q: Queryable, children: string[]) =>
    q.query<ChildRow>(
      `WITH c AS (SELECT processid FROM processes WHERE processid = ANY($1::text[]) AND state IN ('WAITING', 'HALTED') ORDER BY processid FOR UPDATE)
       UPDATE processes p SET waitingparents = CASE WHEN p.gated THEN p.waitingparents - 1 ELSE p.waitingparents END
         FROM c WHERE p.processid = c.processid RETURNING p.processid, p.gated, p.waitingparents`,
      [children],
    ),

  /** Whether a descendant of the process catches failures (a trigger rule that runs after one). */
  handled: async (q: Queryable, processid: string) =>
    (
      await q.query<{ handled: boolean }>(
        `WITH RECURSIVE d(id) AS (
           SELECT unnest(children) FROM processes WHERE processid = $1
           UNION SELECT unnest(p.children) FROM processes p JOIN d ON p.processid = d.id)
         SELECT EXISTS (SELECT 1 FROM processes p JOIN d ON p.processid = d.id
                         WHERE p.gated AND p.spec->'conditions'->>'trigger' = ANY($2::text[])) AS handled`,
        [processid, HANDLING_TRIGGERS],
      )
    )[0]!.handled,

  /**
   * Counts a process that finished without succeeding and without failing its graph at once (SKIPPED,
   * or a failure a handler catches, and what it made fail below); `leafFailed`: it was a leaf, and
   * FAILED. A graph whose processes have all finished is SUCCESS, or FAILED when a leaf failed.
   */
  settle: async (q: Queryable, processgraphid: string, leafFailed: boolean, now: Date) =>
    (
      await q.query<{ colonyname: string; state: ProcessState }>(
        `UPDATE processgraphs g SET settledcount = g.settledcount + 1, leavesfailed = g.leavesfailed + $3::int,
                state = CASE WHEN g.successcount + g.settledcount + 1 < g.processcount THEN g.state
                             WHEN g.leavesfailed + $3::int > 0 THEN 'FAILED' ELSE 'SUCCESS' END,
                endtime = CASE WHEN g.successcount + g.settledcount + 1 >= g.processcount THEN $2::timestamptz ELSE g.endtime END
          WHERE g.processgraphid = $1 AND g.state IN ('WAITING', 'RUNNING', 'HALTED') RETURNING g.colonyname, g.state`,
        [processgraphid, now, leafFailed ? 1 : 0],
      )
    )[0],
};
