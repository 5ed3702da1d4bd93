/**
 * Halt and resume (services/halt.ts): a HALTED graph's waiting processes are HALTED, out of the claim,
 * gate and wait-deadline indexes, until a resume puts them back to WAITING. Each statement runs inside
 * the caller's transaction, under the graph's row lock. See docs/architecture.md, Halt and resume.
 */
import type { Queryable } from '../db.ts';
import type { FunctionSpec } from '../../../protocol/schemas.ts';
import type { ProcessState } from '../../../protocol/states.ts';
import { deadlineSql } from './processes/deadline.ts';
import { CHANGED, type ChangedRow } from './processes/types.ts';

/** A process a resume put back to WAITING, with what the decisions that follow need. */
export interface ResumedRow extends ChangedRow {
  gated: boolean;
  waitingparents: number;
  spec: FunctionSpec;
  parents: string[];
  input: unknown[];
}

/** The state a failed attempt goes back to while retries remain: HALTED in a halted graph (read under a share lock, so a halt committing meanwhile is seen). */
export const retryStateSql = (p: string) =>
  `CASE WHEN ${p}.processgraphid IS NOT NULL AND (SELECT g.state FROM processgraphs g WHERE g.processgraphid = ${p}.processgraphid FOR SHARE) = 'HALTED'
        THEN 'HALTED' ELSE 'WAITING' END`;

export const haltSql = {
  /** The graph HALTED (from WAITING or RUNNING), and its WAITING processes with it, locked in id order as closes lock children. */
  halt: async (q: Queryable, processgraphid: string): Promise<ChangedRow[]> => {
    await q.query(`UPDATE processgraphs SET state = 'HALTED' WHERE processgraphid = $1 AND state IN ('WAITING', 'RUNNING')`, [processgraphid]);
    return q.query<ChangedRow>(
      `WITH h AS (SELECT processid FROM processes WHERE processgraphid = $1 AND state = 'WAITING' ORDER BY processid FOR UPDATE)
       UPDATE processes p SET state = 'HALTED', waitdeadline = NULL FROM h WHERE p.processid = h.processid RETURNING ${CHANGED}`,
      [processgraphid],
    );
  },

  /** New processes (add_child) of a graph found HALTED: halted too, so that nothing of it becomes claimable. */
  haltNew: async (q: Queryable, processids: string[]) => {
    await q.query(`UPDATE processes SET state = 'HALTED', waitdeadline = NULL WHERE processid = ANY($1::text[]) AND state = 'WAITING'`, [processids]);
  },

  /**
   * The graph goes on: RUNNING when any of its processes started (a claim that raced the halt may not
   * have marked it), else WAITING. Its HALTED processes are WAITING again; a ready one (no parent
   * left) gets its readytime if it became ready during the halt, and a fresh wait deadline.
   */
  resume: async (
    q: Queryable,
    processgraphid: string,
    now: Date,
  ): Promise<{ state: ProcessState; variables: Record<string, unknown>; processes: ResumedRow[] } | undefined> => {
    const [g] = await q.query<{ state: ProcessState; variables: Record<string, unknown> }>(
      `UPDATE processgraphs g
          SET starttime = coalesce(g.starttime, (SELECT min(p.starttime) FROM processes p WHERE p.processgraphid = g.processgraphid)),
              state = CASE WHEN g.starttime IS NOT NULL
                             OR EXISTS (SELECT 1 FROM processes p WHERE p.processgraphid = g.processgraphid AND p.starttime IS NOT NULL)
                           THEN 'RUNNING' ELSE 'WAITING' END
        WHERE g.processgraphid = $1 AND g.state = 'HALTED' RETURNING g.state, g.variables`,
      [processgraphid],
    );
    if (!g) return undefined;
    const processes = await q.query<ResumedRow>(
      `WITH h AS (SELECT processid FROM processes WHERE processgraphid = $1 AND state = 'HALTED' ORDER BY processid FOR UPDATE)
       UPDATE processes p SET state = 'WAITING',
              readytime = CASE WHEN p.waitingparents = 0 THEN coalesce(p.readytime, $2::timestamptz) ELSE p.readytime END,
              waitdeadline = ${deadlineSql('$2', 'p.maxwaittime', 'p.waitingparents = 0')}
         FROM h WHERE p.processid = h.processid
       RETURNING ${CHANGED}, p.gated, p.waitingparents, p.spec, p.parents, p.input`,
      [processgraphid, now],
    );
    return { ...g, processes };
  },
};
