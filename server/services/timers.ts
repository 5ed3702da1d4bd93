/**
 * The timer sweep: sleep nodes whose wake time has come finish with [wake time], `batch` at a time,
 * each batch claimed with SKIP LOCKED so that replicas share the work. Run by the deadline loop
 * (lifecycle.expireDeadlines); the wake times are rows, so timers survive restarts.
 */
import { timersSql } from '../store/sql/events.ts';
import { completeNodes, publishFlow } from './gates.ts';
import { inTransaction, type ServiceDeps } from './context.ts';

/** Finishes the sleep nodes due by now; returns how many. */
export async function sweepTimers(deps: ServiceDeps, batch = 500): Promise<number> {
  let n = 0;
  for (;;) {
    const now = deps.clock.now();
    const { flow, count } = await inTransaction(deps.db, async (tx) => {
      const due = await timersSql.lockDue(tx, now, batch);
      const outputs = new Map(due.map((t) => [t.processid, [t.wake.toISOString()]]));
      return { flow: await completeNodes(tx, outputs, now), count: due.length };
    });
    publishFlow(deps, flow);
    n += flow.completed.length;
    if (count < batch) return n;
  }
}
