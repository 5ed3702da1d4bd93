import type { Queryable } from '../db.ts';
import type { LogRow } from '../rows.ts';

export const logsSql = {
  /** Appends a line only while the process runs on this executor; undefined when it does not. */
  insert: async (q: Queryable, l: { processid: string; colonyname: string; executorid: string; message: string; time: Date }) =>
    (
      await q.query<{ seq: number; processgraphid: string | null }>(
        `WITH p AS (
           SELECT processid, colonyname, processgraphid FROM processes
            WHERE processid = $1 AND colonyname = $2 AND state = 'RUNNING' AND assignedexecutorid = $3
         ), ins AS (
           INSERT INTO logs (processid, colonyname, executorid, message, time) SELECT processid, colonyname, $3, $4, $5 FROM p RETURNING seq
         )
         SELECT ins.seq::float8 AS seq, p.processgraphid FROM ins, p`,
        [l.processid, l.colonyname, l.executorid, l.message, l.time],
      )
    )[0],
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
