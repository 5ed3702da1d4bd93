/**
 * The process service: the lifecycle's steps (processes/lifecycle.ts, processes/logs.ts) over one
 * dispatcher (dispatcher/dispatcher.ts), behind the API the transports call.
 */
import type { ListFilter } from '../store/sql/processes.ts';
import type { FunctionSpec } from '../../protocol/schemas.ts';
import type { ProcessState } from '../../protocol/states.ts';
import type { LogEntry, Process, StateCounts } from '../../protocol/types.ts';
import type { ServiceDeps } from './context.ts';
import { Dispatcher, type Assignment, type Close, type ExecutorCaller } from './dispatcher/dispatcher.ts';
import * as lifecycle from './processes/lifecycle.ts';
import type { LeaseReport } from './dispatcher/heartbeats.ts';
import * as logs from './processes/logs.ts';
import { requeue } from './processes/outcomes.ts';

export { freshProcess, newProcess, priorityTime } from './processes/fresh.ts';
export type { Close, ExecutorCaller } from './dispatcher/dispatcher.ts';

export function createProcessService(deps: ServiceDeps) {
  const ctx: lifecycle.ProcessContext = { ...deps, dispatcher: new Dispatcher(deps) };
  return {
    /** Long-polls of this colony and executor type waiting for work now. */
    waitingLongPolls: (colonyname: string, executortype: string): number => ctx.dispatcher.waitingLongPolls(colonyname, executortype),
    /** Executors' waiting long-polls, ended when their access is revoked (auth/revocation.ts). */
    longPolls: ctx.dispatcher.longPolls,
    /** Makes pending long-polls answer at once and refuses new waits (graceful shutdown). */
    stop: (): void => ctx.dispatcher.stop(),

    /** Concurrent submits share one INSERT (see Batcher); the reply is built from what was written. */
    submit: (colonyname: string, spec: FunctionSpec, initiatorid: string): Promise<Process> => lifecycle.submit(ctx, colonyname, spec, initiatorid),
    get: (colonyname: string, processid: string): Promise<Process> => lifecycle.get(ctx, colonyname, processid),
    list: (colonyname: string, filter: ListFilter): Promise<Process[]> => lifecycle.list(ctx, colonyname, filter),
    stats: (colonyname: string): Promise<StateCounts> => lifecycle.stats(ctx, colonyname),

    /** Long-poll: claims up to `count` ready processes, waiting up to timeoutMs for one to appear. */
    assign: async (colonyname: string, executor: ExecutorCaller, count: number, timeoutMs: number, signal?: AbortSignal): Promise<Process[]> =>
      (await ctx.dispatcher.assign(colonyname, executor, count, timeoutMs, signal, [])).processes,
    /** An executor's results and its next long-poll: the closes go in the first claim's statement. Returns the ids closed too. */
    closeAndAssign: (
      colonyname: string,
      executor: ExecutorCaller,
      closes: Close[],
      count: number,
      timeoutMs: number,
      signal?: AbortSignal,
    ): Promise<Assignment> => ctx.dispatcher.assign(colonyname, executor, count, timeoutMs, signal, closes),
    /** Returns claimed-but-undelivered processes to the queue without counting a retry. */
    requeue: (colonyname: string, executorid: string, processids: string[]): Promise<void> => requeue(ctx, colonyname, executorid, processids),

    /** Closes many processes of one executor in one transaction (the batch endpoint). Returns the ids that closed. */
    closeMany: (colonyname: string, executorid: string, closes: Close[]): Promise<Set<string>> =>
      lifecycle.closeMany(ctx, colonyname, executorid, closes),
    /** Concurrent closes from any executors share one transaction (see Batcher). */
    close: (colonyname: string, executorid: string, c: Close): Promise<void> => lifecycle.close(ctx, colonyname, executorid, c),
    /**
     * A failed attempt: retried (after the spec's delay) while retries remain, else FAILED (and its graph
     * with it); FAILED at once when final or of a kind in noretry. No errors: a reason naming the executor.
     */
    fail: (
      colonyname: string,
      executor: { id: string; name: string },
      processid: string,
      attempt: number,
      errors: string[],
      o?: lifecycle.FailOptions,
    ): Promise<Process> => lifecycle.fail(ctx, colonyname, executor, processid, attempt, errors, o),
    /** Deadline and lease sweep (any replica may run it; SKIP LOCKED hands each expired process to one). */
    expireDeadlines: (batch?: number): Promise<lifecycle.Expired> => lifecycle.expireDeadlines(ctx, batch),
    /** Wakes the long-polls of delayed retries that came due since the last call (the deadline loop's). */
    wakeDue: (): Promise<number> => lifecycle.wakeDue(ctx),
    /** An executor was heard from (any request); `report`, when given, is every attempt it runs now. */
    heard: (colonyname: string, executorid: string, report?: LeaseReport): void => ctx.dispatcher.heartbeats.heard(colonyname, executorid, report),
    /** An executor's heartbeat: records what it holds; returns those of them it should stop (no longer RUNNING on that attempt). */
    heartbeat: (colonyname: string, executorid: string, report: LeaseReport): Promise<string[]> =>
      lifecycle.heartbeat(ctx, colonyname, executorid, report),
    cancel: (colonyname: string, processid: string): Promise<Process> => lifecycle.cancel(ctx, colonyname, processid),
    remove: (colonyname: string, processid: string, force: boolean): Promise<void> => lifecycle.remove(ctx, colonyname, processid, force),
    removeAll: (colonyname: string, state: ProcessState | undefined): Promise<number> => lifecycle.removeAll(ctx, colonyname, state),

    addLog: (colonyname: string, executorid: string, processid: string, message: string): Promise<void> =>
      logs.addLog(ctx, colonyname, executorid, processid, message),
    logs: (colonyname: string, processid: string, since: number, count: number): Promise<LogEntry[]> =>
      logs.logs(ctx, colonyname, processid, since, count),
    executorLogs: (colonyname: string, executorid: string, since: number, count: number): Promise<LogEntry[]> =>
      logs.executorLogs(ctx, colonyname, executorid, since, count),
  };
}

export type ProcessService = ReturnType<typeof createProcessService>;
