/**
 * The Executor runtime: long-poll assign → call the function named by funcname → close with its
 * result, or fail with the error. Concurrency N means N processes at once. It reports what it holds
 * with every assign and in a heartbeat every second while functions run (the server's lease), and
 * stops a function whose process the server says is over (ctx.signal). Stops gracefully: no new work
 * is taken, running functions get a grace period, and whatever is still running after it is failed
 * so the server retries it elsewhere (never left without an owner). It declares the functions of its
 * table when it starts, so that the colony knows what it serves (`colonies function ls`).
 */
import { ColoniesClient, type ChildOptions, type Held } from './client.ts';
import { ColoniesError } from './transport.ts';
import { generateKeyPair, randomNonce } from '../protocol/crypto.ts';
import type { Process } from '../protocol/types.ts';
import { errorKind, type FunctionSpecInput } from '../protocol/schemas.ts';

export interface ExecutionContext {
  process: Process;
  /**
   * The spec's args, on every node. A root's input is its args; a child's input is its parents'
   * outputs, so here is where a child reads the args its spec gives it (an expanded instance's end
   * with its element; a `{"$var": …}` in them is resolved).
   */
  args: unknown[];
  /** The spec's kwargs, on every node (the Python executor passes them as keyword arguments). */
  kwargs: Record<string, unknown>;
  /** A client signing as this executor, bound to its colony. */
  client: ColoniesClient;
  colonyname: string;
  executorname: string;
  executortype: string;
  /** Appends a line to the process's log. */
  log(message: string): Promise<void>;
  /** add_child on this process's graph (see ColoniesClient.addChild). */
  addChild(spec: FunctionSpecInput, nodename: string, o?: { insert?: boolean; childprocessid?: string }): Promise<Process>;
  addChildren(children: ChildOptions[]): Promise<Process[]>;
  /**
   * Fails this attempt with `err` and ends the function (it throws). `{ retry: false }`: the failure is
   * final, the process FAILED whatever retries remain (bad input, say, that no retry can fix). Throwing
   * `err` itself does the same as `ctx.fail(err)`: retried by the spec's policy unless its `name` is in
   * the spec's `noretry`.
   */
  fail(err: unknown, o?: { retry?: boolean }): never;
  /**
   * Aborted when the executor is forced to stop, or when the process is over on the server (cancelled,
   * its graph failed, its attempt expired or its lease lost): its result would be refused, so stop.
   */
  signal: AbortSignal;
}

/** A served function gets the context first, then the process input (or its args when it has none); ctx.args and ctx.kwargs are the spec's. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- functions take whatever their workflow passes
export type ExecutorFunction = (ctx: ExecutionContext, ...args: any[]) => unknown;

export interface ExecutorOptions {
  url: string;
  colonyname: string;
  executortype: string;
  executorname?: string;
  /** The executor's own key; generated when absent (then colonyPrvkey is needed to register it). */
  prvkey?: string;
  /** With the colony owner's key the executor registers and approves itself, as the ColonyOS python executor does. */
  colonyPrvkey?: string;
  functions: Record<string, ExecutorFunction>;
  concurrency?: number;
  /** Seconds each long-poll waits for work. */
  assignTimeout?: number;
  location?: string;
  /** How long stop() lets running functions finish before failing them. */
  graceMs?: number;
  onError?: (err: unknown) => void;
}

/** A function's return value as the process output: an array is the list, a scalar is [x]. */
export function toOutput(result: unknown): unknown[] {
  if (Array.isArray(result)) return result;
  return result === undefined ? [] : [result];
}

/**
 * Sleeps that a signal ends early, however many there are at once: the signal has one listener for
 * them all. (One per sleep piled up past Node's ten during an outage, with every result kept back
 * sleeping between its retries, and Node warned of a leak.)
 */
class Sleeps {
  private readonly sleeping = new Set<() => void>();
  constructor(private readonly signal: AbortSignal) {
    signal.addEventListener('abort', () => this.sleeping.forEach((wake) => wake()), { once: true });
  }

  sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      if (this.signal.aborted) return resolve();
      const wake = () => {
        clearTimeout(timer);
        this.sleeping.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleeping.add(wake);
    });
  }
}

/** What ctx.fail throws: the function's error, and whether a retry may fix it. */
class AttemptFailure extends Error {
  constructor(
    readonly error: unknown,
    readonly retry: boolean,
  ) {
    super(error instanceof Error ? error.message : String(error));
    this.name = 'AttemptFailure';
  }
}

/** A failed function's report: its error's message and stack, and its kind (the error's name) when the server can store it. */
export function failureOf(thrown: unknown): { errors: string[]; retry: boolean; errorkind?: string } {
  const retry = !(thrown instanceof AttemptFailure && !thrown.retry);
  const err = thrown instanceof AttemptFailure ? thrown.error : thrown;
  const e = err instanceof Error ? err : new Error(String(err));
  const kind = err instanceof Error && errorKind.safeParse(e.name).success ? { errorkind: e.name } : {};
  return { errors: [e.message, ...(e.stack ? [e.stack] : [])], retry, ...kind };
}

/** The server's limit on one closeMany (LIMITS.maxAssignCount). */
const CLOSE_BATCH = 500;
/** Retries while the server is unreachable back off up to this: held results go in within about a second of its return. */
export const MAX_BACKOFF_MS = 1000;
/** While functions run, what they hold is reported this often: the lease stays fresh and a cancellation is learnt within it. */
export const HEARTBEAT_MS = 1000;

/** One function running in a slot. */
interface Run {
  p: Process;
  /** Aborts ctx.signal when the server says the attempt is over. */
  cancel: AbortController;
  revoked: boolean;
  freeSlot(): void;
}

interface PendingClose {
  p: Process;
  out: unknown[];
  done(): void;
}

const toClose = (c: PendingClose) => ({ processid: c.p.processid, attempt: c.p.attempt, out: c.out });

/** Refusals that declaring again would not change. */
const GIVE_UP_DECLARING = new Set(['VALIDATION_FAILED', 'ROUTE_NOT_FOUND']);

const isTransient = (err: unknown) =>
  err instanceof ColoniesError && (err.code === 'UNREACHABLE' || err.code === 'UNAVAILABLE' || err.code === 'INTERNAL');

/** The executor's access to its colony ended (removed, no longer approved, the colony gone): asking again cannot help. */
const isRevoked = (err: unknown): err is ColoniesError =>
  err instanceof ColoniesError && (err.code === 'NOT_A_MEMBER' || err.code === 'EXECUTOR_NOT_APPROVED' || err.code === 'COLONY_NOT_FOUND');

export class Executor {
  readonly client: ColoniesClient;
  readonly executorname: string;
  readonly prvkey: string;
  private readonly opts: ExecutorOptions;
  private readonly polls = new AbortController();
  private readonly hardStop = new AbortController();
  private readonly beats = new AbortController();
  private readonly pollSleeps = new Sleeps(this.polls.signal);
  private readonly hardStopSleeps = new Sleeps(this.hardStop.signal);
  private readonly beatSleeps = new Sleeps(this.beats.signal);
  /** Functions running, and results not yet acknowledged: what this executor holds. */
  private readonly running = new Map<string, Run>();
  private poller: Promise<void> = Promise.resolve();
  /** Runs in progress, until their close or fail is acknowledged (`done` waits for them). */
  private readonly inflight = new Set<Promise<void>>();
  private slotFreed: () => void = () => {};
  /** Closes waiting to go out, with the next assign or together in one closeMany. */
  private closeQueue: PendingClose[] = [];
  /** Functions running now: each holds a slot. */
  private executing = 0;
  private stopping: Promise<void> | undefined;
  /** Its function table is not yet known to the server: declared before the next assign. */
  private undeclared = true;
  /** Processes this executor closed successfully, failed (function threw), and stopped because the server said they were over. */
  readonly stats = { closed: 0, failed: 0, revoked: 0 };

  constructor(opts: ExecutorOptions) {
    this.opts = opts;
    this.prvkey = opts.prvkey ?? generateKeyPair().prvkey;
    this.executorname = opts.executorname ?? `${opts.executortype}-${this.prvkey.slice(0, 8)}`;
    this.client = new ColoniesClient({ url: opts.url, prvkey: this.prvkey, colonyname: opts.colonyname });
  }

  get id(): string {
    return this.client.id;
  }

  /** Registers and approves this executor with the colony owner's key (idempotent). */
  async register(): Promise<void> {
    if (!this.opts.colonyPrvkey) return;
    const owner = this.client.withKey(this.opts.colonyPrvkey);
    try {
      await owner.addExecutor({
        executorname: this.executorname,
        executorid: this.id,
        executortype: this.opts.executortype,
        location: this.opts.location ?? '',
      });
    } catch (err) {
      if (!(err instanceof ColoniesError && err.code === 'ALREADY_EXISTS')) throw err;
    }
    await owner.approveExecutor(this.executorname);
  }

  /**
   * Declares the functions of its table to the server (replacing what it declared before). Serving
   * does not depend on it: a failure is reported, and tried again before the next assign unless the
   * server refused the table itself (or does not know the route).
   */
  private async declare(): Promise<void> {
    try {
      await this.client.declareFunctions(Object.keys(this.opts.functions));
      this.undeclared = false;
      this.admitted = true; // only an approved executor may declare
    } catch (err) {
      if (err instanceof ColoniesError && GIVE_UP_DECLARING.has(err.code)) this.undeclared = false;
      // An unreachable server is the poll's to report.
      if (!this.polls.signal.aborted && !isTransient(err)) this.report(err);
    }
  }

  /** Registers (when it can), declares its functions and starts polling for work. Resolves once started. */
  async start(): Promise<void> {
    await this.register();
    await this.declare();
    this.poller = this.poll(Math.max(1, this.opts.concurrency ?? 1));
    void this.beat();
  }

  /** Whether the server has let it in (an assign answered, its functions declared): from then on, a refusal means its access ended. */
  private admitted = false;
  /** Set when the server refused the executor's access (removed, rejected, colony gone): it has stopped. */
  accessEnded: ColoniesError | undefined;

  /** This run of the executor, named in its lease reports (a lost assignment then costs no retry). */
  readonly instance = randomNonce();

  /** Every attempt this executor holds: running, or its result not yet acknowledged. */
  holding(): Held[] {
    return [...this.running.values()].map((r) => ({ processid: r.p.processid, attempt: r.p.attempt }));
  }

  /** Resolves when polling has stopped and every running function has been reported. */
  get done(): Promise<void> {
    return this.poller.then(async () => {
      while (this.inflight.size > 0) await Promise.all([...this.inflight]);
    });
  }

  /** Stops taking work, waits up to graceMs for running functions, then fails what is left. */
  stop(graceMs = this.opts.graceMs ?? 30_000): Promise<void> {
    this.stopping ??= (async () => {
      this.polls.abort();
      this.slotFreed();
      const finished = this.done;
      let timer: NodeJS.Timeout | undefined;
      const graceOver = new Promise<'grace'>((r) => (timer = setTimeout(() => r('grace'), graceMs)));
      if ((await Promise.race([finished.then(() => 'done' as const), graceOver])) === 'grace') {
        this.hardStop.abort();
        await Promise.all(
          [...this.running.values()].map(({ p }) =>
            this.client.fail(p.processid, p.attempt, ['executor stopped before the function finished']).catch(() => undefined),
          ),
        );
      }
      clearTimeout(timer);
      this.beats.abort();
    })();
    return this.stopping;
  }

  /** SIGINT/SIGTERM stop gracefully; a second signal fails running work at once. */
  installSignalHandlers(onStopped: () => void = () => process.exit(0)): void {
    let signals = 0;
    const handler = () => {
      signals++;
      void this.stop(signals > 1 ? 0 : undefined).then(onStopped);
    };
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
  }

  /**
   * One long-poll at a time asks for as many processes as there are free slots, so a busy executor
   * takes work in batches (one request for many processes) and an idle one reacts at once. Closes
   * queued meanwhile ride along (closeAndAssign): a busy executor needs one request per cycle.
   */
  private async poll(concurrency: number): Promise<void> {
    let backoff = 100;
    const timeout = this.opts.assignTimeout ?? 10;
    while (!this.polls.signal.aborted) {
      const free = concurrency - this.executing;
      if (free <= 0) {
        await new Promise<void>((resolve) => (this.slotFreed = resolve));
        continue;
      }
      if (this.undeclared) await this.declare();
      const closes = this.closeQueue.splice(0, CLOSE_BATCH);
      let procs: Process[];
      try {
        if (closes.length > 0) {
          // No wait when closing: the closes are acknowledged at once, and whatever is ready comes along.
          const r = await this.client.closeAndAssign(
            closes.map(toClose),
            { timeout: 0, count: free, holding: this.holding(), instance: this.instance },
            this.polls.signal,
          );
          this.acknowledge(closes, r.refused);
          procs = r.processes;
        } else {
          procs = await this.client.assign({ timeout, count: free, holding: this.holding(), instance: this.instance }, this.polls.signal);
        }
        this.admitted = true;
        backoff = 100;
      } catch (err) {
        // The closes go out again on their own (a close that did land is acknowledged again, not refused).
        if (closes.length > 0) {
          this.closeQueue.unshift(...closes);
          setImmediate(() => void this.flushCloses());
        }
        if (this.polls.signal.aborted) break;
        this.report(err);
        if (this.endedAccess(err)) break;
        await this.pollSleeps.sleep(backoff);
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
        continue;
      }
      for (const p of procs) {
        const run = this.run(p).finally(() => this.inflight.delete(run));
        this.inflight.add(run);
      }
      // Let the functions just started run up to their first wait before asking again: a quick one's
      // result then rides along with the next ask, and the child its close releases comes back in the
      // same answer (one request per chain hop, instead of a long-poll racing a separate close).
      if (procs.length > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /** The refusal last reported while waiting to be let in: reported once, not at every poll. */
  private refusal: string | undefined;

  /**
   * Reports an error (onError). Before the server has let it in, a refusal of its access says what is
   * missing and how to mend it, once: the executor keeps asking, and serves as soon as it is approved.
   */
  private report(err: unknown): void {
    if (this.admitted || !isRevoked(err)) {
      this.opts.onError?.(err);
      return;
    }
    if (this.refusal === err.code) return;
    this.refusal = err.code;
    const who = `executor ${this.executorname} (id ${this.id})`;
    const message =
      err.code === 'NOT_A_MEMBER'
        ? `${who} is not registered in colony "${this.opts.colonyname}": the colony owner registers it ("colonies executor add --name ${this.executorname} --type ${this.opts.executortype} --executorid ${this.id}") and approves it, or give the Executor the colony owner's key (colonyPrvkey) to register itself; it keeps asking meanwhile`
        : `${err.message}; it keeps asking meanwhile and serves once it is let in`;
    this.opts.onError?.(new ColoniesError(err.code, message, err.status, err.details));
  }

  /** While functions run: reports what they hold every HEARTBEAT_MS, and stops those the server says are over. */
  private async beat(): Promise<void> {
    while (!this.beats.signal.aborted) {
      await this.beatSleeps.sleep(HEARTBEAT_MS);
      if (this.running.size === 0 || this.beats.signal.aborted) continue;
      try {
        this.revoke((await this.client.heartbeat(this.holding(), this.instance)).revoked);
      } catch (err) {
        // Unreachable is the poll's to report; the next beat tries again.
        if (!isTransient(err)) this.opts.onError?.(err);
        this.endedAccess(err);
      }
    }
  }

  /**
   * When the server refused the executor's access (removed, rejected, the colony gone), nothing it runs
   * can be closed any more: its functions are told now (ctx.signal) and it stops serving. True then.
   */
  private endedAccess(err: unknown): boolean {
    // Before its first answer it may be waiting for its approval: it keeps asking.
    if (!this.admitted || !isRevoked(err)) return false;
    this.accessEnded ??= err;
    void this.stop(0);
    return true;
  }

  /** The server says these attempts are over: their functions are told (ctx.signal), their slots freed, their results dropped. */
  private revoke(ids: string[]): void {
    for (const id of ids) {
      const r = this.running.get(id);
      if (!r) continue;
      r.revoked = true;
      this.running.delete(id);
      this.stats.revoked++;
      const queued = this.closeQueue.findIndex((c) => c.p === r.p);
      if (queued >= 0) this.closeQueue.splice(queued, 1)[0]!.done();
      r.cancel.abort();
      r.freeSlot();
    }
  }

  private context(p: Process, cancel: AbortSignal): ExecutionContext {
    const { client } = this;
    return {
      process: p,
      args: p.spec.args,
      kwargs: p.spec.kwargs,
      client,
      colonyname: this.opts.colonyname,
      executorname: this.executorname,
      executortype: this.opts.executortype,
      log: (message) => client.addLog(p.processid, message),
      addChild: (spec, nodename, o = {}) => client.addChild(p.processgraphid ?? '', p.processid, o.childprocessid, spec, nodename, o.insert ?? false),
      addChildren: (children) => client.addChildren(p.processgraphid ?? '', p.processid, children),
      signal: AbortSignal.any([this.hardStop.signal, cancel]),
      fail: (err, o = {}) => {
        throw new AttemptFailure(err, o.retry ?? true);
      },
    };
  }

  /** Runs the function in a slot; the slot is free again once the result is handed over (queued or sent). */
  private async run(p: Process): Promise<void> {
    this.executing++;
    let slotHeld = true;
    const freeSlot = () => {
      if (!slotHeld) return;
      slotHeld = false;
      this.executing--;
      this.slotFreed();
    };
    const r: Run = { p, cancel: new AbortController(), revoked: false, freeSlot };
    this.running.set(p.processid, r);
    try {
      const fn = this.opts.functions[p.spec.funcname];
      let outcome: { out: unknown[] } | ReturnType<typeof failureOf>;
      if (!fn) {
        outcome = {
          errors: [
            `function "${p.spec.funcname}" is not served by executor ${this.executorname} (it serves: ${Object.keys(this.opts.functions).join(', ')})`,
          ],
          retry: true,
        };
      } else {
        try {
          const args = p.in.length > 0 ? p.in : p.spec.args;
          outcome = { out: toOutput(await fn(this.context(p, r.cancel.signal), ...args)) };
        } catch (err) {
          outcome = failureOf(err);
        }
      }
      // stop() already failed it, or the server said it is over: its result would be refused.
      if (this.hardStop.signal.aborted || r.revoked) return;
      if ('out' in outcome) {
        const acknowledged = this.queueClose(p, outcome.out);
        freeSlot();
        await acknowledged;
      } else {
        // Closes or fails, retrying while the server is unreachable: a finished result is not thrown away.
        await this.retrying(async () => {
          const { errors, ...how } = outcome;
          await this.client.fail(p.processid, p.attempt, errors, how);
          this.stats.failed++;
        });
      }
    } finally {
      freeSlot();
      // The same process may be running again here on a newer attempt.
      if (this.running.get(p.processid) === r) this.running.delete(p.processid);
    }
  }

  /** Queues a close; it goes out with the next assign or, failing that, in a closeMany at the end of this turn. */
  private queueClose(p: Process, out: unknown[]): Promise<void> {
    return new Promise<void>((done) => {
      this.closeQueue.push({ p, out, done });
      if (this.closeQueue.length === 1) setImmediate(() => void this.flushCloses());
    });
  }

  /** The server answered for these closes (`refused` is undefined when it could not be reached: nothing is counted). */
  private acknowledge(batch: PendingClose[], refused: string[] | undefined): void {
    if (!refused) {
      for (const c of batch) c.done();
      return;
    }
    const no = new Set(refused);
    this.stats.closed += batch.length - no.size;
    for (const id of no) {
      // e.g. the attempt timed out and was given to another executor, or the graph was cancelled;
      // one the server already revoked (heartbeat) was expected, and is dropped quietly.
      if (!batch.some((c) => c.p.processid === id && this.running.get(id)?.p === c.p)) continue;
      this.opts.onError?.(new ColoniesError('PROCESS_NOT_RUNNING', `process ${id} was no longer running on this attempt; its result was not kept`));
    }
    for (const c of batch) c.done();
  }

  /** A flush is under way: results queued meanwhile go with its next request, not in a retry loop of their own. */
  private flushing = false;

  /** Closes that no assign took along in this turn go out in one request (one transaction) each batch, one batch at a time. */
  private async flushCloses(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      for (let batch = this.closeQueue.splice(0, CLOSE_BATCH); batch.length > 0; batch = this.closeQueue.splice(0, CLOSE_BATCH)) {
        let refused: string[] | undefined;
        await this.retrying(async () => {
          refused = (await this.client.closeMany(batch.map(toClose))).refused;
        });
        this.acknowledge(batch, refused);
      }
    } finally {
      this.flushing = false;
    }
  }

  private async retrying(send: () => Promise<void>): Promise<void> {
    for (let delay = 100; ; delay = Math.min(delay * 2, MAX_BACKOFF_MS)) {
      try {
        await send();
        return;
      } catch (err) {
        if (!isTransient(err) || this.hardStop.signal.aborted) {
          this.opts.onError?.(err);
          return;
        }
        await this.hardStopSleeps.sleep(delay);
      }
    }
  }
}
