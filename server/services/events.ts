/**
 * External events posted to a graph (`colonies event post`): an event node of the graph waiting for
 * the name consumes the event and finishes with [data]; with none waiting it is kept, and the first
 * node of that name to reach its gate consumes it (kinds/event.ts). One event, one node, oldest first.
 * See docs/architecture.md, Events and timers.
 */
import { AppError } from '../errors.ts';
import { randomId } from '../../protocol/crypto.ts';
import { FINISHED_STATES } from '../../protocol/states.ts';
import type { ColonyEvent } from '../../protocol/events.ts';
import type { GraphEvent } from '../../protocol/types.ts';
import type { Queryable } from '../store/db.ts';
import { eventsSql } from '../store/sql/events.ts';
import { completeNodes, publishFlow, type FlowOutcome } from './gates.ts';
import { inTransaction, type ServiceDeps } from './context.ts';
import type { Membership } from './colonies.ts';

// A node found waiting may be taken by another transaction (its wait deadline, a cancel) before this
// one completes it; the next one is tried, this many at most, and then the event is kept.
const MAX_TRIES = 10;

const notFound = (colonyname: string, processgraphid: string) =>
  new AppError('PROCESSGRAPH_NOT_FOUND', `process graph ${processgraphid} is not in colony "${colonyname}"`);

/** The name a poster is shown by: its user or executor name ('' for the colony owner's key). */
const posterName = (m: Membership) => m.username ?? m.executor?.executorname ?? '';

export function createEventService(deps: ServiceDeps) {
  const { db, clock } = deps;

  /** Completes the longest-waiting node of the name with the event's data, if one waits; its id, or null. */
  async function consumeNow(tx: Queryable, colonyname: string, processgraphid: string, name: string, data: unknown, now: Date) {
    for (let i = 0; i < MAX_TRIES; i++) {
      const processid = await eventsSql.waitingNode(tx, colonyname, processgraphid, name);
      if (!processid) break;
      const flow = await completeNodes(tx, new Map([[processid, [data]]]), now);
      if (flow.completed.length > 0) return { processid, flow };
    }
    return { processid: null, flow: undefined };
  }

  return {
    /** Posts an event: consumed by the node waiting longest for its name, or kept. Refused (nothing stored) on no such or a finished graph. */
    async post(member: Membership, processgraphid: string, name: string, data: unknown): Promise<GraphEvent> {
      const { colonyname } = member;
      const now = clock.now();
      const { event, flow } = await inTransaction(db, async (tx) => {
        const state = await eventsSql.graphState(tx, colonyname, processgraphid);
        if (!state) throw notFound(colonyname, processgraphid);
        if ((FINISHED_STATES as readonly string[]).includes(state))
          throw new AppError('PROCESS_FINISHED', `process graph ${processgraphid} is already ${state}; it takes no more events`);
        await eventsSql.lockName(tx, processgraphid, name);
        const consumed = await consumeNow(tx, colonyname, processgraphid, name, data, now);
        const e = await eventsSql.insert(
          tx,
          {
            eventid: randomId(),
            processgraphid,
            colonyname,
            name,
            data,
            postedby: member.id,
            postedbyname: posterName(member),
            consumedby: consumed.processid,
          },
          now,
        );
        return { event: e, flow: consumed.flow };
      });
      const live: ColonyEvent = {
        type: 'graph-event',
        colonyname,
        processgraphid,
        eventid: event.eventid,
        name,
        processid: event.consumedby,
        time: now.toISOString(),
      };
      const outcome: FlowOutcome = flow ?? { events: [], ready: [] };
      publishFlow(deps, { ...outcome, events: [live, ...outcome.events] });
      return event;
    },

    /** The graph's events, oldest first. */
    async list(colonyname: string, processgraphid: string): Promise<GraphEvent[]> {
      if (!(await eventsSql.graphState(db, colonyname, processgraphid))) throw notFound(colonyname, processgraphid);
      return eventsSql.list(db, processgraphid);
    },
  };
}

export type EventService = ReturnType<typeof createEventService>;
