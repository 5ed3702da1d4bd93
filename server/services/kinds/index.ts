/**
 * Server nodes: what each kind that runs on no executor does when its gate opens. The node is then
 * ready and WAITING (its maxwaittime bounds the wait); a kind finishes it with its output through
 * gates.ts `completeNodes` when its event, time or user comes, or at once by returning the output.
 */
import type { NodeKind } from '../../../protocol/flow.ts';
import type { Queryable } from '../../store/db.ts';
import type { DueGate } from '../../store/sql/gates.ts';
import type { FunctionSpec } from '../../../protocol/schemas.ts';
import { startUserTask, userTaskWaitReason } from './usertask.ts';

/** Starts a server node whose gate just opened, in the gate's transaction; an output finishes it at once. */
export type StartServerNode = (tx: Queryable, node: DueGate, input: unknown[], now: Date) => Promise<unknown[] | undefined>;

const SERVER_NODES: Partial<Record<NodeKind, StartServerNode>> = {
  usertask: startUserTask,
};

/** Why a ready server node of a kind waits (the `waitreason` of a process get). */
const WAIT_REASONS: Partial<Record<NodeKind, (spec: FunctionSpec) => string>> = {
  usertask: userTaskWaitReason,
};

export function serverNodeWaitReason(spec: FunctionSpec): string {
  const kind = spec.kind ?? 'function';
  return WAIT_REASONS[kind]?.(spec) ?? `waiting for the server to finish this ${kind} node`;
}

export async function startServerNode(tx: Queryable, node: DueGate, input: unknown[], now: Date): Promise<unknown[] | undefined> {
  const start = SERVER_NODES[node.spec.kind ?? 'function'];
  if (!start) throw new Error(`no server node of kind ${node.spec.kind}`);
  return start(tx, node, input, now);
}
