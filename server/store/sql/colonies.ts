import type { Queryable } from '../db.ts';
import type { ColonyRow, ExecutorRow, UserRow } from '../rows.ts';
import type { ExecutorState } from '../../../protocol/states.ts';

const EXECUTOR_COLUMNS = 'colonyname, executorname, executorid, executortype, state, location, registered, lastheardfrom';

export const coloniesSql = {
  insert: (q: Queryable, c: ColonyRow) =>
    q.query('INSERT INTO colonies (colonyname, colonyid, created) VALUES ($1, $2, $3)', [c.colonyname, c.colonyid, c.created]),
  list: (q: Queryable) => q.query<ColonyRow>('SELECT colonyname, colonyid, created FROM colonies ORDER BY colonyname'),
  get: async (q: Queryable, colonyname: string) =>
    (await q.query<ColonyRow>('SELECT colonyname, colonyid, created FROM colonies WHERE colonyname = $1', [colonyname]))[0],
  remove: async (q: Queryable, colonyname: string) =>
    (await q.query('DELETE FROM colonies WHERE colonyname = $1 RETURNING colonyname', [colonyname])).length > 0,
};

/** Everything the auth layer needs to know about one identity in one colony, in one round trip. */
export interface MembershipRow {
  colonyid: string;
  executorname: string | null;
  executortype: string | null;
  executorstate: ExecutorState | null;
  username: string | null;
}

export const membershipSql = {
  lookup: async (q: Queryable, colonyname: string, id: string) =>
    (
      await q.query<MembershipRow>(
        `SELECT c.colonyid, e.executorname, e.executortype, e.state AS executorstate, u.username
           FROM colonies c
           LEFT JOIN executors e ON e.colonyname = c.colonyname AND e.executorid = $2
           LEFT JOIN users u ON u.colonyname = c.colonyname AND u.userid = $2
          WHERE c.colonyname = $1`,
        [colonyname, id],
      )
    )[0],
};

// A lease report ($4, at $3) newer than the one stored: replicas may write theirs out of order.
const NEWER_REPORT = '$4::text[] IS NOT NULL AND (holdingat IS NULL OR holdingat <= $3)';

export const executorsSql = {
  insert: (q: Queryable, e: ExecutorRow) =>
    q.query(`INSERT INTO executors (${EXECUTOR_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, [
      e.colonyname,
      e.executorname,
      e.executorid,
      e.executortype,
      e.state,
      e.location,
      e.registered,
      e.lastheardfrom,
    ]),
  list: (q: Queryable, colonyname: string) =>
    q.query<ExecutorRow>(`SELECT ${EXECUTOR_COLUMNS} FROM executors WHERE colonyname = $1 ORDER BY executorname`, [colonyname]),
  get: async (q: Queryable, colonyname: string, executorname: string) =>
    (
      await q.query<ExecutorRow>(`SELECT ${EXECUTOR_COLUMNS} FROM executors WHERE colonyname = $1 AND executorname = $2`, [colonyname, executorname])
    )[0],
  setState: async (q: Queryable, colonyname: string, executorname: string, state: ExecutorState) =>
    (
      await q.query<ExecutorRow>(`UPDATE executors SET state = $3 WHERE colonyname = $1 AND executorname = $2 RETURNING ${EXECUTOR_COLUMNS}`, [
        colonyname,
        executorname,
        state,
      ])
    )[0],
  remove: async (q: Queryable, colonyname: string, executorname: string) =>
    (
      await q.query<{ executorid: string }>('DELETE FROM executors WHERE colonyname = $1 AND executorname = $2 RETURNING executorid', [
        colonyname,
        executorname,
      ])
    )[0],
  /**
   * The executor was heard at `now`; with `holding`, that is what it holds (an older report, from
   * another replica, never wins), made by run `instance` of it, heard since `since` (the earliest any replica heard that run).
   */
  touch: (q: Queryable, colonyname: string, executorid: string, now: Date, report?: { holding: string[]; instance?: { id: string; since: Date } }) =>
    q.query(
      `UPDATE executors SET lastheardfrom = GREATEST(lastheardfrom, $3),
              holding = CASE WHEN ${NEWER_REPORT} THEN $4::text[] ELSE holding END,
              holdingat = CASE WHEN ${NEWER_REPORT} THEN $3 ELSE holdingat END,
              instance = CASE WHEN ${NEWER_REPORT} THEN $5 ELSE instance END,
              instancesince = CASE WHEN NOT (${NEWER_REPORT}) OR $5::text IS NULL THEN instancesince
                                   WHEN instance = $5 THEN LEAST(instancesince, $6) ELSE $6 END
        WHERE colonyname = $1 AND executorid = $2`,
      [colonyname, executorid, now, report?.holding ?? null, report?.instance?.id ?? null, report?.instance?.since ?? null],
    ),
  count: async (q: Queryable, colonyname: string) =>
    (await q.query<{ n: number }>('SELECT count(*)::int AS n FROM executors WHERE colonyname = $1', [colonyname]))[0]!.n,
};

export const usersSql = {
  insert: (q: Queryable, u: UserRow) =>
    q.query('INSERT INTO users (colonyname, username, userid) VALUES ($1, $2, $3)', [u.colonyname, u.username, u.userid]),
  list: (q: Queryable, colonyname: string) =>
    q.query<UserRow>('SELECT colonyname, username, userid FROM users WHERE colonyname = $1 ORDER BY username', [colonyname]),
  remove: async (q: Queryable, colonyname: string, username: string) =>
    (await q.query<{ userid: string }>('DELETE FROM users WHERE colonyname = $1 AND username = $2 RETURNING userid', [colonyname, username]))[0],
};
