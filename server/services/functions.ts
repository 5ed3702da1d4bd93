/**
 * Functions known to the colony: what each executor declares it serves when it starts, listed per
 * executor type; the warning a submit gets when it names a function no executor serves (yet); and why
 * a ready process waits. Reads only: nothing here is on the claim or close path.
 */
import { AppError } from '../errors.ts';
import { SQLSTATE, sqlState } from '../store/db.ts';
import { functionsSql, type FunctionKey, type WaitRow } from '../store/sql/functions.ts';
import type { ServiceDeps } from './context.ts';
import { ReadCache } from './read-cache.ts';
import type { FunctionInfo, Process } from '../../protocol/types.ts';
import { isServerNode } from '../../protocol/flow.ts';
import { serverWaitReasons } from './kinds/index.ts';
import { delayedRetry, retryText } from '../../protocol/retry.ts';

// Submits read the served functions from a per-colony cache, so that the warning costs the submit
// path no query (see docs/architecture.md, Functions). Local declarations clear it at once; another
// replica's, and executors removed, are seen within SERVED_TTL_MS of real time.
const SERVED_TTL_MS = 1000;
const MAX_CACHED_COLONIES = 10_000;

const pairKey = (executortype: string, funcname: string) => executortype + '\u0000' + funcname;

// A server node's executor type (protocol/flow.ts serverExecutorType) starts with ':', which no executor's can.
const onServer = (p: FunctionKey) => p.executortype.startsWith(':');

/** The distinct (executortype, funcname) of specs, in their first order. */
function distinctPairs(specs: readonly FunctionKey[]): FunctionKey[] {
  const seen = new Map<string, FunctionKey>();
  for (const s of specs) {
    const k = pairKey(s.executortype, s.funcname);
    if (!seen.has(k)) seen.set(k, { executortype: s.executortype, funcname: s.funcname });
  }
  return [...seen.values()];
}

export const unservedWarning = (p: FunctionKey): string => `no executor serves ${p.funcname} on ${p.executortype} yet`;

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** Why a ready WAITING process of this (executortype, funcname) is not running, from who could take it. */
export function waitReason(w: WaitRow): string {
  const { executortype: type, funcname } = w;
  const queued = `${plural(w.queued, 'ready process', 'ready processes')} of type ${type} queued`;
  if (w.online === 0) {
    const serving = w.serving === 0 ? `none serves ${funcname}` : `${w.serving} of them serve${w.serving === 1 ? 's' : ''} ${funcname}`;
    return `no online executor of type ${type} (${w.registered === 0 ? 'none is registered' : `${w.registered} registered, ${serving}`})`;
  }
  const allBusy = w.busy >= w.online;
  if (w.onlineserving === 0) {
    return allBusy
      ? `no online executor of type ${type} serves ${funcname}, and all ${w.online} online are busy`
      : `no online executor of type ${type} serves ${funcname}: one that is free will take it and fail it`;
  }
  if (allBusy) return `all ${w.online} busy: every online executor of type ${type} is running work (${queued})`;
  return `an online executor of type ${type} is free and should take it at its next poll (${queued})`;
}

export function createFunctionService(deps: ServiceDeps) {
  const { db, clock } = deps;
  const heardSince = () => new Date(clock.now().getTime() - deps.leaseMs);
  const cache = new ReadCache<Set<string>>(SERVED_TTL_MS, () => clock.monotonic(), MAX_CACHED_COLONIES);
  const served = (colonyname: string): Promise<Set<string>> =>
    cache.get(colonyname, async () => new Set((await functionsSql.served(db, colonyname)).map((r) => pairKey(r.executortype, r.funcname))));

  return {
    /** Replaces the functions this executor declared; answers them, sorted and without repeats. */
    async declare(colonyname: string, executorid: string, funcnames: string[]): Promise<{ functions: string[] }> {
      const functions = [...new Set(funcnames)].sort();
      try {
        await functionsSql.declare(db, colonyname, executorid, functions);
      } catch (err) {
        // Removed after this request was authorized (by another replica, or just now).
        if (sqlState(err) === SQLSTATE.foreignKeyViolation)
          throw new AppError('EXECUTOR_NOT_FOUND', `executor ${executorid} is not in colony "${colonyname}"`);
        throw err;
      }
      cache.forget(colonyname);
      return { functions };
    },

    async list(colonyname: string): Promise<FunctionInfo[]> {
      return functionsSql.list(db, colonyname, heardSince());
    },

    /** One warning per distinct (executortype, funcname) of the specs that no approved executor declared. */
    async warnings(colonyname: string, specs: readonly FunctionKey[]): Promise<string[]> {
      const set = await served(colonyname);
      return distinctPairs(specs)
        .filter((p) => !onServer(p) && !set.has(pairKey(p.executortype, p.funcname)))
        .map(unservedWarning);
    },

    /** The processes with `waitreason` set on those WAITING (a delayed retry says when): one query over the distinct pairs of the ready ones. */
    async explain<P extends Process>(colonyname: string, processes: P[]): Promise<P[]> {
      const now = clock.now().getTime();
      const ready = processes.filter((p) => p.state === 'WAITING' && p.ready && !isServerNode(p.spec) && !delayedRetry(p, now));
      const rows = ready.length > 0 ? await functionsSql.wait(db, colonyname, distinctPairs(ready.map((p) => p.spec)), heardSince()) : [];
      const reasons = new Map(rows.map((w) => [pairKey(w.executortype, w.funcname), waitReason(w)]));
      // Server nodes wait for an event, a time or a user, each kind says which (services/kinds/).
      const nodes = processes.filter((p) => p.state === 'WAITING' && p.ready && isServerNode(p.spec));
      const nodeReasons = nodes.length > 0 ? await serverWaitReasons(db, nodes) : new Map<string, string>();
      return processes.map((p) => {
        if (p.state !== 'WAITING') return p;
        const retry = delayedRetry(p, now);
        if (retry) return { ...p, waitreason: `retry delayed: ${retryText(retry, (iso) => iso)} (last error: ${retry.lasterror})` };
        const waitreason = !p.ready
          ? 'waits for its parents to succeed'
          : isServerNode(p.spec)
            ? nodeReasons.get(p.processid)
            : reasons.get(pairKey(p.spec.executortype, p.spec.funcname));
        return waitreason ? { ...p, waitreason } : p;
      });
    },
  };
}

export type FunctionService = ReturnType<typeof createFunctionService>;
