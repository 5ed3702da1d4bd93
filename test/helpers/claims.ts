/**
 * Watches the claim statements a test database runs, so a test can tell how many a step took. A
 * claim is the statement that picks WAITING processes with SKIP LOCKED; $2 is the executor type, $3
 * one executor id per slot (the server coalesces several callers into one claim). It answers one row
 * whose `assigned` lists the processes claimed. waitingLongPolls tells a test that its long-polls now
 * wait, instead of sleeping and hoping.
 */
import { EventEmitter } from 'node:events';
import type { Db, Queryable } from '../../server/store/db.ts';
import type { ColoniesServer } from '../../server/main.ts';

/** 'claim' (executortype, slots, processes claimed) after every claim statement. */
export const claims = new EventEmitter();
const CLAIM = /picked AS[\s\S]*SKIP LOCKED/;

export function observeQueries<Q extends Queryable>(q: Q): Q {
  return new Proxy(q, {
    get(target, prop) {
      if (prop === 'query') {
        return async (sql: string, params?: readonly unknown[]) => {
          const rows = await target.query(sql, params);
          const claimed = (rows[0] as { assigned?: unknown[] } | undefined)?.assigned;
          if (CLAIM.test(sql) && claimed) claims.emit('claim', params?.[1], Array.isArray(params?.[2]) ? params[2].length : 1, claimed.length);
          return rows;
        };
      }
      if (prop === 'relaxed') return observeQueries((target as unknown as Db).relaxed);
      if (prop === 'transaction') {
        return (fn: (tx: Queryable) => Promise<unknown>) => (target as unknown as Db).transaction((tx) => fn(observeQueries(tx)));
      }
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/**
 * Resolves once `n` long-polls of this colony and executor type wait for work (they claimed nothing,
 * or skipped the claim: a claim just now found the queue empty).
 */
export async function waitingLongPolls(server: ColoniesServer, colonyname: string, executortype: string, n = 1): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (server.services.processes.waitingLongPolls(colonyname, executortype) < n) {
    if (Date.now() > deadline) throw new Error(`no ${n} long-polls of ${executortype} in ${colonyname} are waiting`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Counts the claim statements (empty or not) of this executor type from now until stop(). */
export function countClaims(executortype: string): { readonly n: number; stop(): void } {
  let n = 0;
  const on = (type: unknown) => {
    if (type === executortype) n++;
  };
  claims.on('claim', on);
  return {
    get n() {
      return n;
    },
    stop: () => claims.off('claim', on),
  };
}
