import type { Queryable } from '../db.ts';
import type { LogRow } from '../rows.ts';

export const logsSql = {
  /** Appends a line only while the process runs on this executor; false when it does not. */
  insert: async (q: Queryable, l: { processid: string; colonyname: string; executorid: string; message: string; time: Date }) =>
    (
      await q.query(
        `INSERT INTO logs (processid, colonyname, executorid, message, time)
         SELECT processid, colonyname, $3, $4, $5 FROM processes
          WHERE processid = $1 AND colonyname = $2 AND state = 'RUNNING' AND assignedexecutorid = $3
         RETURNING 1`,
        [l.processid, l.colonyname, l.executorid, l.message, l.time],
      )
    ).length > 0,
  byProcess: (q: Queryable, colonyname: string, processid: string, sinceSeq: number, count: number) =>
    q.query<LogRow>(
      'SELECT processid, executorid, message, time, seq::float8 AS seq FROM logs WHERE processid = $1 AND colonyname = $2 AND seq > $3 ORDER BY seq LIMIT $4',
      [processid, colonyname, sinceSeq, count],
    ),
  byExecutor: (q: Queryable, colonyname: string, executorid: string, sinceSeq: number, count: number) =>
    q.query<LogRow>(
      'SELECT processid, executorid, message, time, seq::float8 AS seq FROM logs WHERE colonyname = $1 AND executorid = $2 AND seq > $3 ORDER BY seq LIMIT $4',
      [colonyname, executorid, sinceSeq, count],
    ),
};
