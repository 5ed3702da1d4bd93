/**
 * The process lifecycle: submit → (ready) → assign → close | fail → retried or finished; deadlines
 * expire attempts; a user may cancel or remove. Each step is a function of the service's context.
 * See docs/architecture.md, Process semantics. Who gets which process is the dispatcher's business.
 */
import { AppError } from '../../errors.ts';
import type { Queryable } from '../../store/db.ts';
import { toProcess, type ProcessRow } from '../../store/rows.ts';
import { processesSql, type AttemptOutcome, type ListFilter } from '../../store/sql/processes.ts';
import type { FunctionSpec } from '../../../protocol/schemas.ts';
import type { ProcessState } from '../../../protocol/states.ts';
import type { Process, StateCounts } from '../../../protocol/types.ts';
import { inTransaction, type ServiceDeps } from '../context.ts';
import type { Close, Dispatcher } from '../dispatcher/dispatcher.ts';
import type { LeaseReport } from '../dispatcher/heartbeats.ts';
import { freshProcess, newProcess } from './fresh.ts';
import { retried } from './outcomes.ts';
import { publishFlow, settleFailures, sweepGates } from '../gates.ts';
import { sweepTimers } from '../timers.ts';
import { WakeHub } from '../wake.ts';

/** What the lifecycle steps run on: the service's dependencies and its dispatcher. */
export interface ProcessContext extends ServiceDeps {
  dispatcher: Dispatcher;
}

export async function requireProcess(q: Queryable, colonyname: string, processid: string): Promise<ProcessRow> {
  const row = await processesSql.get(q, colonyname, processid);
  if (!row) throw new AppError('PROCESS_NOT_FOUND', `process ${processid} is not in colony "${colonyname}"`);
  return row;
}

/** Explains why a fenced close/fail/log matched nothing. */
export async function whyNotRunning(q: Queryable, colonyname: string, processid: string, executorid: string, attempt?: number): Promise<AppError> {
  const row = await requireProcess(q, colonyname, processid);
  if (row.state !== 'RUNNING') return new AppError('PROCESS_NOT_RUNNING', `process ${processid} is ${row.state}, not RUNNING`, { state: row.state });
  if (row.assignedexecutorid !== executorid) return new AppError('NOT_ASSIGNED', `process ${processid} is assigned to another executor`);
  return new AppError('NOT_ASSIGNED', `attempt ${attempt} of process ${processid} is over; the current attempt is ${row.attempt}`, {
    attempt: row.attempt,
  });
}

/** setvariables outside a workflow run: there are no run variables to set. */
export function noRunVariables(path: string): AppError {
  const message = 'a process outside a workflow run has no variables to set; declare them in a workflow';
  return new AppError('VALIDATION_FAILED', `${path}: ${message}`, { issues: [{ path, message }] });
}

/** Control flow decides by parents and run variables: a standalone process has neither. */
function noControlFlow(spec: FunctionSpec): void {
  if (spec.kind !== undefined && spec.kind !== 'function') {
    // The server starts a node of another kind when its gate opens, which only a workflow has.
    const message = `a node of kind ${spec.kind} runs on the server when its gate opens: submit it in a workflow`;
    throw new AppError('VALIDATION_FAILED', `kind: ${message}`, { issues: [{ path: 'kind', message }] });
  }
  const field =
    spec.conditions.when !== undefined
      ? 'conditions.when'
      : spec.conditions.trigger !== undefined
        ? 'conditions.trigger'
        : spec.expand
          ? 'expand'
          : undefined;
  if (!field) return;
  const message =
    field === 'expand'
      ? 'expand reads a run variable or a parent output: submit it in a workflow'
      : 'a condition or trigger rule decides by parents and run variables: submit it in a workflow';
  throw new AppError('VALIDATION_FAILED', `${field}: ${message}`, { issues: [{ path: field, message }] });
}

/** A new standalone process: WAITING, or RUNNING at once when the dispatcher handed it to an idle executor. */
export async function submit(ctx: ProcessContext, colonyname: string, spec: FunctionSpec, initiatorid: string): Promise<Process> {
  if (spec.setvariables) throw noRunVariables('setvariables');
  noControlFlow(spec);
  const now = ctx.clock.now();
  const p = newProcess(colonyname, spec, initiatorid, now);
  return freshProcess(p, now, await ctx.dispatcher.submit(p, now));
}

export async function get(ctx: ServiceDeps, colonyname: string, processid: string): Promise<Process> {
  return toProcess(await requireProcess(ctx.db, colonyname, processid));
}

export async function list(ctx: ServiceDeps, colonyname: string, filter: ListFilter): Promise<Process[]> {
  return (await processesSql.list(ctx.db, colonyname, filter)).map((r) =>
    r.runname === null ? toProcess(r) : { ...toProcess(r), runname: r.runname },
  );
}

export async function stats(ctx: ServiceDeps, colonyname: string): Promise<StateCounts> {
  return processesSql.stateCounts(ctx.db, colonyname);
}

/** One result of its executor's current attempt: SUCCESS (see closeSql). Refused with the reason when fenced off. */
export async function close(ctx: ProcessContext, colonyname: string, executorid: string, c: Close): Promise<void> {
  const closed = await ctx.dispatcher.close({ ...c, colonyname, executorid });
  if (!closed) throw await whyNotRunning(ctx.db, colonyname, c.processid, executorid, c.attempt);
}

/** Many results of one executor in one statement (the batch endpoint). Returns the ids that closed. */
export async function closeMany(ctx: ProcessContext, colonyname: string, executorid: string, closes: Close[]): Promise<Set<string>> {
  const results = await ctx.dispatcher.closeMany(closes.map((c) => ({ ...c, colonyname, executorid })));
  return new Set(closes.filter((_, i) => results[i]).map((c) => c.processid));
}

/** Why an attempt failed when its executor gave no error (ColonyOS accepts a fail without one): a failed attempt always says why. */
export const noMessageReason = (executorname: string, attempt: number): string =>
  `failed by executor ${executorname} without a message (attempt ${attempt})`;

/** How an executor fails an attempt: `retry: false` makes it final; `errorkind` is matched against the spec's noretry. */
export interface FailOptions {
  retry?: boolean;
  errorkind?: string | undefined;
}

/**
 * A failed attempt: retried (after its spec's retry delay) while retries remain, else FAILED (and its
 * graph with it); FAILED at once when it is final or its error kind is one the spec never retries.
 */
export async function fail(
  ctx: ServiceDeps,
  colonyname: string,
  executor: { id: string; name: string },
  processid: string,
  attempt: number,
  errors: string[],
  o: FailOptions = {},
): Promise<Process> {
  const now = ctx.clock.now();
  const executorid = executor.id;
  const reasons = errors.length > 0 ? errors : [noMessageReason(executor.name, attempt)];
  const how = { final: o.retry === false, errorkind: o.errorkind };
  const result = await inTransaction(ctx.db, async (tx) => {
    const o = await processesSql.fail(tx, colonyname, processid, executorid, attempt, reasons, now, how);
    return o ? { outcome: o, flow: await settleFailures(tx, [o], now) } : undefined;
  });
  if (!result) throw await whyNotRunning(ctx.db, colonyname, processid, executorid, attempt);
  ctx.bus.ready(retried([result.outcome], now));
  publishFlow(ctx, result.flow);
  return get(ctx, colonyname, processid);
}

/** What one sweep expired, by kind. */
export interface Expired {
  /** Attempts past maxexectime. */
  exec: number;
  /** Processes past maxwaittime. */
  wait: number;
  /** Attempts whose executor was not heard from within the lease. */
  silent: number;
  /** Attempts their executor reported not holding. */
  unheld: number;
  /** Gated processes decided by the sweep (left due by a crash between a close and its check). */
  gates: number;
  /** Sleep nodes whose wake time came (services/timers.ts). */
  timers: number;
}

/** How long after an assignment an executor's report may still lack it: its answer may be on the way. */
export const holdingGraceMs = (leaseMs: number): number => Math.min(5000, leaseMs);

/**
 * Deadline sweep: attempts past maxexectime, or whose executor went silent for a lease or reported
 * not holding them, are retried or fail; processes past maxwaittime fail. Any replica may run it:
 * SKIP LOCKED hands each expired process to one.
 */
export async function expireDeadlines(ctx: ProcessContext, batch = 500): Promise<Expired> {
  const heartbeats = ctx.dispatcher.heartbeats;
  try {
    // A replica that has not listened for a whole lease (just started, or its database was away) cannot tell silence.
    const listening = heartbeats.listening(ctx.clock.now());
    return {
      exec: await expireAll(ctx, processesSql.expireExecutions, batch),
      wait: await expireAll(ctx, processesSql.expireWaits, batch),
      silent: await expireAll(ctx, (q, now, n) => processesSql.expireSilent(q, now, n, ctx.leaseMs, listening), batch),
      unheld: await expireAll(ctx, (q, now, n) => processesSql.expireUnheld(q, now, n, holdingGraceMs(ctx.leaseMs)), batch),
      gates: await sweepGates(ctx, batch),
      timers: await sweepTimers(ctx, batch),
    };
  } catch (err) {
    heartbeats.deaf();
    throw err;
  }
}

/**
 * Wakes the long-polls of delayed retries that came due since the last call on this replica (the
 * deadline loop calls it every sweep; each replica wakes its own long-polls). One read on a small
 * index. Returns how many came due.
 */
export async function wakeDue(ctx: ProcessContext): Promise<number> {
  const now = ctx.clock.now();
  const since = ctx.dispatcher.due.from(now);
  if (!since) return 0;
  const due = await processesSql.comingDue(ctx.db, since, now);
  ctx.dispatcher.due.announced(now);
  for (const w of due) ctx.wake.notify(WakeHub.key(w.colonyname, w.executortype), w.n);
  return due.reduce((n, w) => n + w.n, 0);
}

/** Runs one expiry statement in batches until a batch comes back short; returns how many expired. */
async function expireAll(
  ctx: ServiceDeps,
  expire: (q: Queryable, now: Date, limit: number) => Promise<AttemptOutcome[]>,
  batch: number,
): Promise<number> {
  let n = 0;
  for (;;) {
    const now = ctx.clock.now();
    const { outcomes, flow } = await inTransaction(ctx.db, async (tx) => {
      const o = await expire(tx, now, batch);
      return { outcomes: o, flow: await settleFailures(tx, o, now) };
    });
    ctx.bus.ready(retried(outcomes, now));
    publishFlow(ctx, flow);
    n += outcomes.length;
    if (outcomes.length < batch) return n;
  }
}

/** Of the attempts an executor says it runs, those that are over (cancelled, expired, lost, removed): it should stop them. */
export async function heartbeat(ctx: ProcessContext, colonyname: string, executorid: string, report: LeaseReport): Promise<string[]> {
  ctx.dispatcher.heartbeats.heard(colonyname, executorid, report);
  return report.holding.length > 0 ? processesSql.revoked(ctx.db, colonyname, executorid, report.holding) : [];
}

/** Cancels a standalone process that has not finished (one in a graph is cancelled with its graph). */
export async function cancel(ctx: ServiceDeps, colonyname: string, processid: string): Promise<Process> {
  const now = ctx.clock.now();
  await inTransaction(ctx.db, async (tx) => {
    const row = await requireProcess(tx, colonyname, processid);
    if (row.processgraphid)
      throw new AppError('PART_OF_GRAPH', `process ${processid} belongs to process graph ${row.processgraphid}; cancel the graph`);
    const done = await processesSql.cancel(tx, colonyname, processid, 'cancelled by user', now);
    if (!done) throw new AppError('PROCESS_FINISHED', `process ${processid} is already ${row.state}`);
  });
  return get(ctx, colonyname, processid);
}

export async function remove(ctx: ServiceDeps, colonyname: string, processid: string, force: boolean): Promise<void> {
  await inTransaction(ctx.db, async (tx) => {
    const row = await requireProcess(tx, colonyname, processid);
    if (row.processgraphid)
      throw new AppError('PART_OF_GRAPH', `process ${processid} belongs to process graph ${row.processgraphid}; remove the graph`);
    if (row.state === 'RUNNING' && !force)
      throw new AppError('PROCESS_IS_RUNNING', `process ${processid} is RUNNING; cancel it first or pass force=true`);
    await processesSql.remove(tx, colonyname, processid);
  });
}

export async function removeAll(ctx: ServiceDeps, colonyname: string, state: ProcessState | undefined): Promise<number> {
  if (state === 'RUNNING') throw new AppError('VALIDATION_FAILED', 'running processes cannot be removed in bulk; cancel them first');
  const states: ProcessState[] = state ? [state] : ['WAITING', 'SUCCESS', 'FAILED', 'CANCELLED', 'SKIPPED'];
  return processesSql.removeAll(ctx.db, colonyname, states);
}
