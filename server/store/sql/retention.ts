import type { Queryable } from '../db.ts';

// Finished work older than the cut-off, in bounded batches so a large purge never holds long locks.
export const retentionSql = {
  purgeGraphs: async (q: Queryable, before: Date, limit: number) =>
    (
      await q.query<{ n: number }>(
        `WITH d AS (
           DELETE FROM processgraphs WHERE processgraphid IN (
             SELECT processgraphid FROM processgraphs WHERE state IN ('SUCCESS', 'FAILED', 'CANCELLED') AND endtime < $1 LIMIT $2)
           RETURNING 1)
         SELECT count(*)::int AS n FROM d`,
        [before, limit],
      )
    )[0]!.n,
  purgeProcesses: async (q: Queryable, before: Date, limit: number) =>
    (
      await q.query<{ n: number }>(
        `WITH d AS (
           DELETE FROM processes WHERE processid IN (
             SELECT processid FROM processes
              WHERE processgraphid IS NULL AND state IN ('SUCCESS', 'FAILED', 'CANCELLED') AND endtime < $1 LIMIT $2)
           RETURNING 1)
         SELECT count(*)::int AS n FROM d`,
        [before, limit],
      )
    )[0]!.n,
};
