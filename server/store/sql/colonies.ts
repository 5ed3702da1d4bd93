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
  /** The executor was heard at `now`; with `holding`, that is what it holds (an older report, from another replica, never wins). */
  touch: (q: Queryable, colonyname: string, executorid: string, now: Date, holding?: string[]) =>
    q.query(
      `UPDATE executors SET lastheardfrom = GREATEST(lastheardfrom, $3),
              holding = CASE WHEN $4::text[] IS NOT NULL AND (holdingat IS NULL OR holdingat <= $3) THEN $4::text[] ELSE holding END,
              holdingat = CASE WHEN $4::text[] IS NOT NULL AND (holdingat IS NULL OR holdingat <= $3) THEN $3 ELSE holdingat END
        WHERE colonyname = $1 AND executorid = $2`,
      [colonyname, executorid, now, holding ?? null],
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
