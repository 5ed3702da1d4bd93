import type { Queryable } from '../db.ts';
import type { ProcessGraphRow } from '../rows.ts';
import type { ProcessState } from '../../../protocol/states.ts';
import type { StateCounts } from '../../../protocol/types.ts';
import { toCounts } from './processes.ts';

export interface GraphFilter {
  state?: ProcessState | undefined;
  label?: string | undefined;
  funcname?: string | undefined;
  nodename?: string | undefined;
  count: number;
  offset?: number | undefined;
}

const GRAPH_COLUMNS =
  'g.processgraphid, g.colonyname, g.state, g.initiatorid, g.processcount, g.successcount, g.submissiontime, g.starttime, g.endtime, g.errors';

export const graphsSql = {
  insert: (q: Queryable, g: { processgraphid: string; colonyname: string; initiatorid: string; processcount: number; submissiontime: Date }) =>
    q.query(
      `INSERT INTO processgraphs (processgraphid, colonyname, state, initiatorid, processcount, submissiontime) VALUES ($1, $2, 'WAITING', $3, $4, $5)`,
      [g.processgraphid, g.colonyname, g.initiatorid, g.processcount, g.submissiontime],
    ),

  get: async (q: Queryable, colonyname: string, processgraphid: string) =>
    (
      await q.query<ProcessGraphRow>(
        `SELECT ${GRAPH_COLUMNS}, ARRAY(SELECT p.processid FROM processes p WHERE p.processgraphid = g.processgraphid ORDER BY p.seq) AS processids
           FROM processgraphs g WHERE g.processgraphid = $1 AND g.colonyname = $2`,
        [processgraphid, colonyname],
      )
    )[0],

  lockForUpdate: async (q: Queryable, colonyname: string, processgraphid: string) =>
    (
      await q.query<ProcessGraphRow>(`SELECT ${GRAPH_COLUMNS} FROM processgraphs g WHERE g.processgraphid = $1 AND g.colonyname = $2 FOR UPDATE`, [
        processgraphid,
        colonyname,
      ])
    )[0],

  list: (q: Queryable, colonyname: string, f: GraphFilter) =>
    q.query<ProcessGraphRow>(
      `SELECT ${GRAPH_COLUMNS} FROM processgraphs g
        WHERE g.colonyname = $1 AND ($2::text IS NULL OR g.state = $2)
          AND ($3::text IS NULL AND $4::text IS NULL AND $5::text IS NULL OR EXISTS (
                SELECT 1 FROM processes p WHERE p.processgraphid = g.processgraphid
                   AND ($3::text IS NULL OR p.label = $3) AND ($4::text IS NULL OR p.funcname = $4) AND ($5::text IS NULL OR p.nodename = $5)))
        ORDER BY g.submissiontime DESC, g.processgraphid LIMIT $6 OFFSET $7`,
      [colonyname, f.state ?? null, f.label ?? null, f.funcname ?? null, f.nodename ?? null, f.count, f.offset ?? 0],
    ),

  /** Adds successes; a graph whose every process succeeded becomes SUCCESS. Returns graphs that finished. */
  /** Ends an unfinished graph as FAILED or CANCELLED with a reason; false when it had already finished. */
  finish: async (q: Queryable, processgraphid: string, state: 'FAILED' | 'CANCELLED', reason: string, now: Date) =>
    (
      await q.query(
        `UPDATE processgraphs SET state = $2, endtime = $3, errors = errors || $4::jsonb WHERE processgraphid = $1 AND state IN ('WAITING', 'RUNNING') RETURNING processgraphid`,
        [processgraphid, state, now, JSON.stringify([reason])],
      )
    ).length > 0,

  /** Counts processes added to a graph that is still going; false when it has finished (nothing may be added then). */
  addProcessCount: async (q: Queryable, processgraphid: string, n: number) =>
    (
      await q.query(
        `UPDATE processgraphs SET processcount = processcount + $2 WHERE processgraphid = $1 AND state IN ('WAITING', 'RUNNING') RETURNING processgraphid`,
        [processgraphid, n],
      )
    ).length > 0,

  remove: async (q: Queryable, colonyname: string, processgraphid: string) =>
    (await q.query('DELETE FROM processgraphs WHERE processgraphid = $1 AND colonyname = $2 RETURNING processgraphid', [processgraphid, colonyname]))
      .length > 0,

  removeAll: async (q: Queryable, colonyname: string, states: ProcessState[]) =>
    (
      await q.query<{ n: number }>(
        `WITH d AS (DELETE FROM processgraphs WHERE colonyname = $1 AND state = ANY($2::text[]) RETURNING 1) SELECT count(*)::int AS n FROM d`,
        [colonyname, states],
      )
    )[0]!.n,

  stateCounts: async (q: Queryable, colonyname: string): Promise<StateCounts> =>
    toCounts(
      await q.query<{ state: ProcessState; n: number }>('SELECT state, count(*)::int AS n FROM processgraphs WHERE colonyname = $1 GROUP BY state', [
        colonyname,
      ]),
    ),
};
