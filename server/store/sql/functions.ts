/** The functions executors declare they serve, read together with the executors that declared them. */
import type { Queryable } from '../db.ts';

/** One (executortype, funcname) a submit names or a waiting process needs. */
export interface FunctionKey {
  executortype: string;
  funcname: string;
}

export interface FunctionListRow extends FunctionKey {
  executors: number;
  online: number;
  executornames: string[];
}

/** Who could take a ready process of one (executortype, funcname) now. */
export interface WaitRow extends FunctionKey {
  /** Approved executors of the type, and those of them heard within the lease. */
  registered: number;
  online: number;
  /** Of those, the ones that declared the function. */
  serving: number;
  onlineserving: number;
  /** Online executors of the type holding at least one RUNNING process. */
  busy: number;
  /** Ready WAITING processes of the type in the colony. */
  queued: number;
}

const keys = (pairs: FunctionKey[]) => [pairs.map((p) => p.executortype), pairs.map((p) => p.funcname)];

export const functionsSql = {
  /** Replaces what one executor declared with `funcnames`, in one statement. */
  declare: (q: Queryable, colonyname: string, executorid: string, funcnames: string[]) =>
    q.query(
      `WITH gone AS (
         DELETE FROM functions WHERE colonyname = $1 AND executorid = $2 AND NOT (funcname = ANY ($3::text[]))
       )
       INSERT INTO functions (colonyname, executorid, funcname)
       SELECT $1, $2, f FROM unnest($3::text[]) AS f
       ON CONFLICT (colonyname, executorid, funcname) DO NOTHING`,
      [colonyname, executorid, funcnames],
    ),

  /** Every declared function of approved executors, per type: how many declared it and how many of them were heard since `heardSince`. */
  list: (q: Queryable, colonyname: string, heardSince: Date) =>
    q.query<FunctionListRow>(
      `SELECT f.funcname, e.executortype, count(*)::int AS executors,
              (count(*) FILTER (WHERE e.lastheardfrom >= $2))::int AS online,
              array_agg(e.executorname ORDER BY e.executorname) AS executornames
         FROM functions f
         JOIN executors e ON e.colonyname = f.colonyname AND e.executorid = f.executorid
        WHERE f.colonyname = $1 AND e.state = 'APPROVED'
        GROUP BY f.funcname, e.executortype
        ORDER BY e.executortype, f.funcname`,
      [colonyname, heardSince],
    ),

  /** The distinct (executortype, funcname) some approved executor of the colony declared. */
  served: (q: Queryable, colonyname: string) =>
    q.query<FunctionKey>(
      `SELECT DISTINCT e.executortype, f.funcname
         FROM functions f
         JOIN executors e ON e.colonyname = f.colonyname AND e.executorid = f.executorid
        WHERE f.colonyname = $1 AND e.state = 'APPROVED'`,
      [colonyname],
    ),

  /** For each pair, who could take its ready processes now (see WaitRow). */
  wait: (q: Queryable, colonyname: string, pairs: FunctionKey[], heardSince: Date) =>
    q.query<WaitRow>(
      `SELECT t.executortype, t.funcname,
              count(e.executorid)::int AS registered,
              (count(e.executorid) FILTER (WHERE e.lastheardfrom >= $4))::int AS online,
              (count(e.executorid) FILTER (WHERE s.funcname IS NOT NULL))::int AS serving,
              (count(e.executorid) FILTER (WHERE s.funcname IS NOT NULL AND e.lastheardfrom >= $4))::int AS onlineserving,
              (count(e.executorid) FILTER (WHERE e.lastheardfrom >= $4 AND r.running))::int AS busy,
              (SELECT count(*) FROM processes p
                WHERE p.colonyname = $1 AND p.executortype = t.executortype AND p.state = 'WAITING' AND p.waitingparents = 0)::int AS queued
         FROM unnest($2::text[], $3::text[]) AS t (executortype, funcname)
         LEFT JOIN executors e ON e.colonyname = $1 AND e.executortype = t.executortype AND e.state = 'APPROVED'
         LEFT JOIN functions s ON s.colonyname = e.colonyname AND s.executorid = e.executorid AND s.funcname = t.funcname
         LEFT JOIN LATERAL (
           SELECT EXISTS (SELECT 1 FROM processes p WHERE p.assignedexecutorid = e.executorid AND p.state = 'RUNNING' AND p.colonyname = $1) AS running
         ) r ON true
        GROUP BY t.executortype, t.funcname`,
      [colonyname, ...keys(pairs), heardSince],
    ),
};
