/**
 * The event node: once its gate opens it consumes the oldest event of its name kept for its graph,
 * and finishes with [data]; with none kept it waits, ready, for one to be posted (services/events.ts).
 */
import type { Process } from '../../../protocol/types.ts';
import { eventsSql } from '../../store/sql/events.ts';
import type { StartServerNode } from './index.ts';

/** Idempotent: a node started again (resume) finds what it finds, as the first time. */
export const startEvent: StartServerNode = async (tx, node, _input, now) => {
  const name = node.spec.event!;
  await eventsSql.lockName(tx, node.processgraphid, name);
  const kept = await eventsSql.consumeOldest(tx, node.processgraphid, name, node.processid, now);
  return kept ? [kept.data] : undefined;
};

export const eventWaitReasons = (nodes: Process[]): Promise<Map<string, string>> =>
  Promise.resolve(new Map(nodes.map((p) => [p.processid, `waiting for event ${p.spec.event ?? ''}`])));
