/**
 * What the process statements did, made known after they commit: live events, ready work (which wakes
 * long-polls); the consequences of a failed attempt are control flow's (gates.ts). See docs/architecture.md, Process semantics.
 */
import type { ColonyEvent } from '../../../protocol/events.ts';
import {
  countReady,
  processesSql,
  type AttemptOutcome,
  type ClaimedRow,
  type CloseOutcome,
  type CloseRow,
  type NewProcess,
  type ReadyWork,
} from '../../store/sql/processes.ts';
import { graphEvent, processEvent, specEvent, type ServiceDeps } from '../context.ts';
import { checkGates } from '../gates.ts';

/**
 * The attempts that go back to the queue (retried) and may run by `now`, as ready work. A retry
 * delayed beyond it is announced when it comes due (lifecycle.ts, wakeDue).
 */
export function retried(outcomes: AttemptOutcome[], now: Date): ReadyWork[] {
  return outcomes
    .filter((o) => o.state === 'WAITING' && (o.notbefore === null || new Date(o.notbefore).getTime() <= now.getTime()))
    .map((o) => ({ colonyname: o.colonyname, executortype: o.executortype, n: 1 }));
}

/**
 * Publishes what a close statement did (events, ready work) and tells, per item, whether it is
 * closed: now, or already by the same executor and attempt.
 */
export async function publishCloses(
  deps: ServiceDeps,
  items: CloseRow[],
  { closed, ready, handed, finished, gates }: CloseOutcome,
  now: Date,
): Promise<boolean[]> {
  const events = closed.map((r) => processEvent(r, now));
  for (const r of handed) events.push(specEvent(r, 'RUNNING', r.retries, r.assignedexecutorid, now));
  for (const g of finished) events.push(graphEvent(g.colonyname, g.processgraphid, g.state, now));
  deps.bus.ready(ready);
  deps.bus.emit(events);
  await checkGates(deps, gates);
  const ids = new Set(closed.map((r) => r.processid));
  // A close sent again after its answer was lost (a dropped connection, an aborted request) is
  // acknowledged, not refused: the process is SUCCESS by this executor on this attempt.
  const missed = items.filter((i) => !ids.has(i.processid));
  if (missed.length > 0) for (const id of await processesSql.alreadyClosed(deps.db, missed)) ids.add(id);
  return items.map((i) => ids.has(i.processid));
}

/** Publishes new processes: each WAITING, then RUNNING when the insert handed it to an executor (`handed`: id → executor). */
export function publishSubmits(deps: ServiceDeps, news: NewProcess[], handed: Map<string, string>, now: Date): void {
  const waiting = news.filter((p) => !handed.has(p.processid));
  deps.bus.ready(countReady(waiting.map((p) => ({ colonyname: p.colonyname, executortype: p.spec.executortype }))));
  const events: ColonyEvent[] = news.map((p) => specEvent(p, 'WAITING', 0, null, now));
  for (const p of news) {
    const executorid = handed.get(p.processid);
    if (executorid) events.push(specEvent(p, 'RUNNING', 0, executorid, now));
  }
  deps.bus.emit(events);
}

/** The events of claimed rows: each RUNNING, and its graph RUNNING when the claim started it. */
export function claimEvents(colonyname: string, rows: ClaimedRow[], now: Date): ColonyEvent[] {
  const events: ColonyEvent[] = [];
  for (const row of rows) {
    events.push(specEvent(row, row.state, row.retries, row.assignedexecutorid, now));
    if (row.graphstarted && row.processgraphid) events.push(graphEvent(colonyname, row.processgraphid, 'RUNNING', now));
  }
  return events;
}

/** Returns claimed-but-undelivered processes to the queue without counting a retry. */
export async function requeue(deps: ServiceDeps, colonyname: string, executorid: string, processids: string[]): Promise<void> {
  const now = deps.clock.now();
  const back = await processesSql.requeue(deps.db, colonyname, executorid, processids);
  deps.log.debug('processes claimed for an executor that could not take them; requeued', { n: back.length });
  deps.bus.ready(back.filter((r) => r.state === 'WAITING').map((r) => ({ colonyname, executortype: r.executortype, n: 1 })));
  deps.bus.emit(back.map((r) => processEvent(r, now)));
}
