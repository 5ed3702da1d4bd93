/**
 * The sleep node: once its gate opens it records when it wakes (processes.notbefore: `seconds` from
 * now, or `until`, a time or a run variable holding one) and finishes with [wake time] then, when the
 * timer sweep (services/timers.ts) finds it due — at once when that time has already come.
 */
import type { Queryable } from '../../store/db.ts';
import type { DueGate } from '../../store/sql/gates.ts';
import { timersSql } from '../../store/sql/events.ts';
import type { Process } from '../../../protocol/types.ts';
import { isDateTime } from '../../../protocol/variables.ts';
import { NodeFailed } from './node-failed.ts';
import type { StartServerNode } from './index.ts';

/** When a sleep node whose gate opens now wakes; NodeFailed when its `until` holds no time. */
export function wakeTime(node: Pick<DueGate, 'spec' | 'variables'>, now: Date): Date {
  const { seconds, until } = node.spec;
  if (seconds !== undefined) return new Date(now.getTime() + seconds * 1000);
  if (typeof until === 'string') return timeOf(until, `until "${until}"`);
  if (until === undefined) throw new NodeFailed('a sleep node needs seconds or until');
  const name = until.$var;
  if (!Object.hasOwn(node.variables, name) || node.variables[name] === null || node.variables[name] === undefined)
    throw new NodeFailed(`until: run variable "${name}" has no value`);
  const value = node.variables[name];
  if (typeof value !== 'string') throw new NodeFailed(`until: run variable "${name}" holds ${JSON.stringify(value)}, not an ISO 8601 time`);
  return timeOf(value, `until: run variable "${name}" holds "${value}", which`);
}

function timeOf(s: string, what: string): Date {
  if (!isDateTime(s)) throw new NodeFailed(`${what} is not an ISO 8601 time such as 2026-12-24T18:00:00Z`);
  return new Date(s);
}

/** Idempotent: a node started again (resume) keeps the wake time it has. */
export const startSleep: StartServerNode = async (tx, node, _input, now) => {
  const wake = await timersSql.set(tx, node.processid, wakeTime(node, now));
  return wake.getTime() <= now.getTime() ? [wake.toISOString()] : undefined;
};

export async function sleepWaitReasons(q: Queryable, nodes: Process[]): Promise<Map<string, string>> {
  const times = await timersSql.wakeTimes(
    q,
    nodes.map((p) => p.processid),
  );
  return new Map(times.filter((t) => t.wake !== null).map((t) => [t.processid, `sleeping until ${t.wake!.toISOString()}`]));
}
