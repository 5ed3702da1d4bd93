/**
 * Counts the claim statements the server runs, so a test can tell how many a step took: the claim
 * statement module tells an observer of every claim (observeClaims), whatever its SQL. waitingLongPolls
 * tells a test that its long-polls now wait, instead of sleeping and hoping.
 */
import { EventEmitter } from 'node:events';
import type { ColoniesServer } from '../../server/main.ts';
import { observeClaims } from '../../server/store/sql/processes.ts';

/** 'claim' (executortype, slots, processes claimed) after every claim statement of this test process. */
export const claims = new EventEmitter();
observeClaims(({ executortype, slots, claimed }) => claims.emit('claim', executortype, slots, claimed));

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
