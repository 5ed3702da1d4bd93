/** Reading processes, and the plain writes: cancel, requeue, remove, edges. */
import type { Queryable } from '../../db.ts';
import { PROCESS_COLUMNS, type ProcessRow } from '../../rows.ts';
import type { ProcessState } from '../../../../protocol/states.ts';
import type { StateCounts } from '../../../../protocol/types.ts';
import { jsonParam } from './json.ts';
import { retryStateSql } from '../halt.ts';
import { CHANGED, type ChangedRow, type ListFilter } from './types.ts';

export function toCounts(rows: { state: ProcessState; n: number }[]): StateCounts {
  const counts: StateCounts = { WAITING: 0, RUNNING: 0, SUCCESS: 0, FAILED: 0, CANCELLED: 0, SKIPPED: 0, HALTED: 0 };
  for (const r of rows) counts[r.state] = r.n;
  return counts;
}

export const readSql = {
  get: async (q: Queryable, colonyname: string, processid: string) =>
    (await q.query<ProcessRow>(`SELECT ${PROCESS_COLUMNS} FROM processes WHERE processid = $1 AND colonyname = $2`, [processid, colonyname]))[0],

  getMany: (q: Queryable, colonyname: string, processids: string[]) =>
    q.query<ProcessRow>(`SELECT ${PROCESS_COLUMNS} FROM processes WHERE processid = ANY($1::text[]) AND colonyname = $2 ORDER BY seq`, [
      processids,
      colonyname,
    ]),

  getForUpdate: (q: Queryable, colonyname: string, processids: string[]) =>
    q.query<ProcessRow>(
      `SELECT ${PROCESS_COLUMNS} FROM processes WHERE processid = ANY($1::text[]) AND colonyname = $2 ORDER BY processid FOR UPDATE`,
      [processids, colonyname],
    ),

  // The run's name per listed row: a primary-key lookup, made only for the rows the LIMIT keeps (it
  // stands for a LEFT JOIN without qualifying the shared column list, so the processes plan is unchanged).
  list: (q: Queryable, colonyname: string, f: ListFilter) =>
    q.query<ProcessRow & { runname: string | null }>(
      `SELECT ${PROCESS_COLUMNS}, (SELECT g.name FROM processgraphs g WHERE g.processgraphid = processes.processgraphid) AS runname
         FROM processes
        WHERE colonyname = $1 AND ($2::text IS NULL OR state = $2) AND ($3::text IS NULL OR executortype = $3) AND ($4::text IS NULL OR label = $4)
          AND ($5::text IS NULL OR funcname = $5) AND ($6::text IS NULL OR nodename = $6)
          AND ($9::timestamptz IS NULL OR submissiontime >= $9) AND ($10::timestamptz IS NULL OR submissiontime < $10)
        ORDER BY submissiontime DESC, seq DESC LIMIT $7 OFFSET $8`,
      [
        colonyname,
        f.state ?? null,
        f.executortype ?? null,
        f.label ?? null,
        f.funcname ?? null,
        f.nodename ?? null,
        f.count,
        f.offset ?? 0,
        f.since ?? null,
        f.until ?? null,
      ],
    ),

  findByNodename: async (q: Queryable, colonyname: string, processgraphid: string, nodename: string) =>
    (
      await q.query<ProcessRow>(`SELECT ${PROCESS_COLUMNS} FROM processes WHERE processgraphid = $1 AND nodename = $2 AND colonyname = $3`, [
        processgraphid,
        nodename,
        colonyname,
      ])
    )[0],

  listByGraph: (q: Queryable, processgraphid: string) =>
    q.query<ProcessRow>(`SELECT ${PROCESS_COLUMNS} FROM processes WHERE processgraphid = $1 ORDER BY seq`, [processgraphid]),

  /**
   * Of the attempts an executor says it runs, those that are over: no longer RUNNING on it at that
   * attempt (or gone). One it closed itself is not: a close committed whose answer a crash lost is
   * still held, and its resent close is acknowledged (dropping it would count it as revoked, not closed).
   */
  revoked: async (q: Queryable, colonyname: string, executorid: string, held: { processid: string; attempt: number }[]) =>
    (
      await q.query<{ processid: string }>(
        `SELECT h.processid FROM jsonb_to_recordset($3::jsonb) AS h(processid text, attempt int)
          WHERE NOT EXISTS (SELECT 1 FROM processes p WHERE p.processid = h.processid AND p.colonyname = $1 AND p.state IN ('RUNNING', 'SUCCESS')
                               AND p.assignedexecutorid = $2 AND p.attempt = h.attempt)`,
        [colonyname, executorid, jsonParam(held)],
      )
    ).map((r) => r.processid),

  stateCounts: async (q: Queryable, colonyname: string): Promise<StateCounts> =>
    toCounts(
      await q.query<{ state: ProcessState; n: number }>('SELECT state, count(*)::int AS n FROM processes WHERE colonyname = $1 GROUP BY state', [
        colonyname,
      ]),
    ),
};

export const writeSql = {
  /** Cancels one process that has not finished; returns its graph id (or null), undefined if nothing changed. */
  cancel: async (q: Queryable, colonyname: string, processid: string, reason: string, now: Date) =>
    (
      await q.query<ChangedRow>(
        `UPDATE processes p SET state = 'CANCELLED', endtime = $3, waitdeadline = NULL, execdeadline = NULL, errors = errors || $4::jsonb
          WHERE processid = $1 AND colonyname = $2 AND state IN ('WAITING', 'RUNNING') RETURNING ${CHANGED}`,
        [processid, colonyname, now, jsonParam([reason])],
      )
    )[0],

  /** Cancels what is left of a graph: WAITING (and HALTED) processes, and RUNNING ones too when asked. */
  cancelInGraph: (q: Queryable, processgraphid: string, alsoRunning: boolean, reason: string, now: Date) =>
    q.query<ChangedRow>(
      `UPDATE processes p SET state = 'CANCELLED', endtime = $2, waitdeadline = NULL, execdeadline = NULL, errors = errors || $3::jsonb
        WHERE processgraphid = $1 AND (state IN ('WAITING', 'HALTED') OR ($4 AND state = 'RUNNING')) RETURNING ${CHANGED}`,
      [processgraphid, now, jsonParam([reason]), alsoRunning],
    ),

  /** Puts claimed-but-undelivered processes back without counting a retry (HALTED in a graph halted meanwhile). */
  requeue: (q: Queryable, colonyname: string, executorid: string, processids: string[]) =>
    q.query<ChangedRow>(
      `UPDATE processes p SET state = ${retryStateSql('p')}, assignedexecutorid = NULL, starttime = NULL, execdeadline = NULL
        WHERE processid = ANY($1::text[]) AND colonyname = $2 AND assignedexecutorid = $3 AND state = 'RUNNING' RETURNING ${CHANGED}`,
      [processids, colonyname, executorid],
    ),

  remove: async (q: Queryable, colonyname: string, processid: string) =>
    (await q.query('DELETE FROM processes WHERE processid = $1 AND colonyname = $2 RETURNING processid', [processid, colonyname])).length > 0,

  /** Removes standalone processes (not part of a graph) in the given states. */
  removeAll: async (q: Queryable, colonyname: string, states: ProcessState[]) =>
    (
      await q.query<{ n: number }>(
        `WITH d AS (DELETE FROM processes WHERE colonyname = $1 AND processgraphid IS NULL AND state = ANY($2::text[]) RETURNING 1) SELECT count(*)::int AS n FROM d`,
        [colonyname, states],
      )
    )[0]!.n,

  /** Rewrites the edges of existing rows (add_child); values are computed under the rows' locks. */
  updateEdges: async (q: Queryable, rows: { processid: string; parents: string[]; children: string[]; waitingparents: number }[]) => {
    if (rows.length === 0) return;
    await q.query(
      `UPDATE processes p SET parents = ARRAY(SELECT jsonb_array_elements_text(r.parents)), children = ARRAY(SELECT jsonb_array_elements_text(r.children)),
              waitingparents = r.waitingparents
         FROM jsonb_to_recordset($1::jsonb) AS r(processid text, parents jsonb, children jsonb, waitingparents int)
        WHERE p.processid = r.processid`,
      [jsonParam(rows)],
    );
  },
};
