/**
 * Ids by prefix (short ids, protocol/ids.ts): a range on the primary key, `id >= prefix AND id <
 * prefixEnd(prefix)`, so each kind is one index range scan of its primary key, whatever the database's
 * collation; the colony is a filter on the few rows the range yields.
 */
import type { Queryable } from '../db.ts';
import { prefixEnd } from '../../../protocol/ids.ts';
import type { ProcessState } from '../../../protocol/states.ts';

export interface ProcessIdRow {
  id: string;
  state: ProcessState;
  submissiontime: Date;
  funcname: string;
  nodename: string;
  processgraphid: string | null;
}

export interface GraphIdRow {
  id: string;
  state: ProcessState;
  submissiontime: Date;
  name: string;
  processcount: number;
}

export const idsSql = {
  processes: (q: Queryable, colonyname: string, prefix: string, limit: number) =>
    q.query<ProcessIdRow>(
      `SELECT processid AS id, state, submissiontime, funcname, nodename, processgraphid FROM processes
        WHERE processid >= $1 AND processid < $2 AND colonyname = $3 ORDER BY processid LIMIT $4`,
      [prefix, prefixEnd(prefix), colonyname, limit],
    ),

  processgraphs: (q: Queryable, colonyname: string, prefix: string, limit: number) =>
    q.query<GraphIdRow>(
      `SELECT processgraphid AS id, state, submissiontime, name, processcount FROM processgraphs
        WHERE processgraphid >= $1 AND processgraphid < $2 AND colonyname = $3 ORDER BY processgraphid LIMIT $4`,
      [prefix, prefixEnd(prefix), colonyname, limit],
    ),
};
