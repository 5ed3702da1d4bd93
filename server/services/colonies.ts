/** Colonies, their executors and users, and who a caller is in a colony. */
import { AppError } from '../errors.ts';
import { coloniesSql, executorsSql, membershipSql, usersSql, type MembershipRow } from '../store/sql/colonies.ts';
import { toColony, toExecutor, toUser, type ExecutorRow } from '../store/rows.ts';
import { uniquely, type ServiceDeps } from './context.ts';
import { ReadCache } from './read-cache.ts';
import type { Colony, Executor, User } from '../../protocol/types.ts';
import type { ExecutorState } from '../../protocol/states.ts';

/** A caller's standing in one colony. */
export interface Membership {
  colonyname: string;
  id: string;
  isOwner: boolean;
  username: string | null;
  executor: { executorname: string; executortype: string; state: ExecutorState } | null;
}

// Membership is read on every request; cache it briefly. A change clears the cache at once, here and
// (by the revocation on the bus) on every replica; otherwise a value is kept MEMBERSHIP_TTL_MS of real time.
const MEMBERSHIP_TTL_MS = 1000;

export function createColonyService(deps: ServiceDeps) {
  const { db, clock } = deps;
  const executor = (row: ExecutorRow) => toExecutor(row, new Date(clock.now().getTime() - deps.leaseMs));
  const cache = new ReadCache<MembershipRow | null>(MEMBERSHIP_TTL_MS, () => clock.monotonic(), 50_000);
  const forget = () => cache.forget();
  // Someone's access ended: forget here at once, and tell every replica (they end what it holds open).
  const revoke = (colonyname: string, ids?: string[]) => {
    forget();
    deps.bus.revoke(ids ? { colonyname, ids } : { colonyname });
  };

  const lookup = (colonyname: string, id: string): Promise<MembershipRow | null> =>
    cache.get(colonyname + '\u0000' + id, async () => (await membershipSql.lookup(db, colonyname, id)) ?? null);

  return {
    /** Forgets every cached membership (another replica revoked someone's access). */
    forgetMemberships: forget,

    async membership(colonyname: string, id: string): Promise<Membership> {
      const row = await lookup(colonyname, id);
      if (!row) throw new AppError('COLONY_NOT_FOUND', `colony "${colonyname}" does not exist`);
      return {
        colonyname,
        id,
        isOwner: row.colonyid === id,
        username: row.username,
        executor: row.executorname ? { executorname: row.executorname, executortype: row.executortype!, state: row.executorstate! } : null,
      };
    },

    async addColony(colonyname: string, colonyid: string): Promise<Colony> {
      const row = { colonyname, colonyid, created: clock.now() };
      await uniquely(`colony "${colonyname}"`, () => coloniesSql.insert(db, row));
      forget();
      return toColony(row);
    },
    async listColonies(): Promise<Colony[]> {
      return (await coloniesSql.list(db)).map(toColony);
    },
    async getColony(colonyname: string): Promise<Colony> {
      const row = await coloniesSql.get(db, colonyname);
      if (!row) throw new AppError('COLONY_NOT_FOUND', `colony "${colonyname}" does not exist`);
      return toColony(row);
    },
    async removeColony(colonyname: string): Promise<void> {
      if (!(await coloniesSql.remove(db, colonyname))) throw new AppError('COLONY_NOT_FOUND', `colony "${colonyname}" does not exist`);
      revoke(colonyname);
    },

    async addExecutor(
      colonyname: string,
      e: { executorname: string; executorid: string; executortype: string; location: string },
    ): Promise<Executor> {
      const row = { colonyname, ...e, state: 'PENDING' as const, registered: clock.now(), lastheardfrom: null };
      await uniquely(`executor "${e.executorname}" (or one with this id)`, () => executorsSql.insert(db, row));
      forget();
      return executor(row);
    },
    async listExecutors(colonyname: string): Promise<Executor[]> {
      return (await executorsSql.list(db, colonyname)).map(executor);
    },
    async getExecutor(colonyname: string, executorname: string): Promise<Executor> {
      const row = await executorsSql.get(db, colonyname, executorname);
      if (!row) throw new AppError('EXECUTOR_NOT_FOUND', `executor "${executorname}" is not in colony "${colonyname}"`);
      return executor(row);
    },
    async setExecutorState(colonyname: string, executorname: string, state: ExecutorState): Promise<Executor> {
      const row = await executorsSql.setState(db, colonyname, executorname, state);
      if (!row) throw new AppError('EXECUTOR_NOT_FOUND', `executor "${executorname}" is not in colony "${colonyname}"`);
      if (state === 'APPROVED') forget();
      else revoke(colonyname, [row.executorid]);
      return executor(row);
    },
    async removeExecutor(colonyname: string, executorname: string): Promise<void> {
      const removed = await executorsSql.remove(db, colonyname, executorname);
      if (!removed) throw new AppError('EXECUTOR_NOT_FOUND', `executor "${executorname}" is not in colony "${colonyname}"`);
      revoke(colonyname, [removed.executorid]);
    },

    async addUser(colonyname: string, username: string, userid: string): Promise<User> {
      const row = { colonyname, username, userid };
      await uniquely(`user "${username}" (or one with this id)`, () => usersSql.insert(db, row));
      forget();
      return toUser(row);
    },
    async listUsers(colonyname: string): Promise<User[]> {
      return (await usersSql.list(db, colonyname)).map(toUser);
    },
    async removeUser(colonyname: string, username: string): Promise<void> {
      const removed = await usersSql.remove(db, colonyname, username);
      if (!removed) throw new AppError('USER_NOT_FOUND', `user "${username}" is not in colony "${colonyname}"`);
      revoke(colonyname, [removed.userid]);
    },
  };
}

export type ColonyService = ReturnType<typeof createColonyService>;
