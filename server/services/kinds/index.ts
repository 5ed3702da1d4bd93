/**
 * Server nodes: what each kind that runs on no executor does when its gate opens. The node is then
 * ready and WAITING (its maxwaittime bounds the wait); a kind finishes it with its output through
 * gates.ts `completeNodes` when its event, time or user comes, or at once by returning the output.
 * A start that cannot start its node throws NodeFailed: the gate fails the node with its message.
 */
import type { NodeKind } from '../../../protocol/flow.ts';
import type { Process } from '../../../protocol/types.ts';
import type { Queryable } from '../../store/db.ts';
import type { DueGate } from '../../store/sql/gates.ts';
import { eventWaitReasons, startEvent } from './event.ts';
import { sleepWaitReasons, startSleep } from './sleep.ts';
import { startUserTask, userTaskWaitReason } from './usertask.ts';

export { NodeFailed } from './node-failed.ts';

/** Starts a server node whose gate just opened, in the gate's transaction; an output finishes it at once. */
export type StartServerNode = (tx: Queryable, node: DueGate, input: unknown[], now: Date) => Promise<unknown[] | undefined>;

/** Why ready server nodes of one kind wait, by processid ("waiting for event X"): for `process get` and `workflow get`. */
export type ServerWaitReasons = (q: Queryable, nodes: Process[]) => Promise<Map<string, string>>;

const SERVER_NODES: Partial<Record<NodeKind, StartServerNode>> = {
  event: startEvent,
  sleep: startSleep,
  usertask: startUserTask,
};

const WAIT_REASONS: Partial<Record<NodeKind, ServerWaitReasons>> = {
  event: (_q, nodes) => eventWaitReasons(nodes),
  sleep: sleepWaitReasons,
  usertask: (_q, nodes) => Promise.resolve(new Map(nodes.map((p) => [p.processid, userTaskWaitReason(p.spec)]))),
};

export async function startServerNode(tx: Queryable, node: DueGate, input: unknown[], now: Date): Promise<unknown[] | undefined> {
  const start = SERVER_NODES[node.spec.kind ?? 'function'];
  if (!start) throw new Error(`no server node of kind ${node.spec.kind}`);
  return start(tx, node, input, now);
}

/** Why these ready server nodes wait, by processid, each kind asked once for its own. */
export async function serverWaitReasons(q: Queryable, nodes: Process[]): Promise<Map<string, string>> {
  const byKind = new Map<NodeKind, Process[]>();
  for (const p of nodes) {
    const kind = p.spec.kind ?? 'function';
    byKind.set(kind, [...(byKind.get(kind) ?? []), p]);
  }
  const reasons = new Map<string, string>();
  for (const [kind, ps] of byKind) for (const [id, r] of (await WAIT_REASONS[kind]?.(q, ps)) ?? []) reasons.set(id, r);
  return reasons;
}
