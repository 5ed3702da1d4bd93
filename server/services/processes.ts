/** The process lifecycle: submit → (ready) → assign → close | fail → retry or finish. */
import { AppError } from '../errors.ts';
import type { Queryable } from '../store/db.ts';
import {
  countReady,
  processesSql,
  type AttemptOutcome,
  type CloseOutcome,
  type CloseRow,
  type ListFilter,
  type NewProcess,
  type Offer,
  type ReadyWork,
} from '../store/sql/processes.ts';
import { Batcher } from './batcher.ts';
import { graphsSql } from '../store/sql/graphs.ts';
import { executorsSql } from '../store/sql/colonies.ts';
import { logsSql } from '../store/sql/logs.ts';
import { toLogEntry, toProcess, type ProcessRow } from '../store/rows.ts';
import { graphEvent, inTransaction, processEvent, retryingConflicts, specEvent, type ServiceDeps } from './context.ts';
import type { ColonyEvent } from '../../protocol/events.ts';
import { WakeHub } from './wake.ts';
import { randomId } from '../../protocol/crypto.ts';
import type { FunctionSpec } from '../../protocol/schemas.ts';
import type { LogEntry, Process, StateCounts } from '../../protocol/types.ts';
import type { ProcessState } from '../../protocol/states.ts';

const DAY_MS = 24 * 3600 * 1000;

/** Queue order: lower first; a priority of 1 jumps a whole day of FIFO (DESIGN §6). */
export function priorityTime(submission: Date, priority: number): number {
  return submission.getTime() - priority * DAY_MS;
}

export function newProcess(colonyname: string, spec: FunctionSpec, initiatorid: string, now: Date, graph?: Partial<NewProcess>): NewProcess {
  return {
    processid: randomId(),
    colonyname,
    processgraphid: null,
    spec,
    prioritytime: priorityTime(now, spec.priority),
    input: spec.args,
    waitingparents: 0,
    parents: [],
    children: [],
    initiatorid,
    ...graph,
  };
}

/**
 * The wire form of a process just written from `p` (what reading it back would return, without the
 * read): WAITING, or RUNNING on `executorid` when the submit was handed straight to it.
 */
export function freshProcess(p: NewProcess, now: Date, executorid: string | null = null): Process {
  const ready = p.waitingparents === 0;
  const at = (seconds: number) => (seconds > 0 ? new Date(now.getTime() + seconds * 1000).toISOString() : null);
  return {
    processid: p.processid,
    colonyname: p.colonyname,
    processgraphid: p.processgraphid,
    spec: p.spec,
    state: executorid ? 'RUNNING' : 'WAITING',
    ready,
    in: p.input,
    out: [],
    errors: [],
    retries: 0,
    attempt: executorid ? 1 : 0,
    parents: p.parents,
    children: p.children,
    initiatorid: p.initiatorid,
    assignedexecutorid: executorid,
    submissiontime: now.toISOString(),
    readytime: ready ? now.toISOString() : null,
    starttime: executorid ? now.toISOString() : null,
    endtime: null,
    waitdeadline: ready && !executorid ? at(p.spec.maxwaittime) : null,
    execdeadline: executorid ? at(p.spec.maxexectime) : null,
  };
}

/** One long-poll's turn in a claim statement: `count` slots, and the results it hands in. */
interface ClaimAsk {
  executorid: string;
  count: number;
  closes: CloseRow[];
}

/** A long-poll that found nothing and waits: a submit or a close may hand it processes directly. */
interface IdleExecutor {
  colonyname: string;
  executortype: string;
  executorid: string;
  count: number;
  /** Offered to a close statement in flight (which may start released children on it): not for a submit meanwhile. */
  offered: boolean;
  /** Always called once by whoever took this entry off the idle list: with its processes, or none. */
  deliver(processes: Process[]): void;
}

export interface ExecutorCaller {
  id: string;
  executortype: string;
}

export interface Close {
  processid: string;
  attempt: number;
  out: unknown[];
}

// lastheardfrom is bookkeeping, not a hot-path write: at most once per executor per interval.
const HEARTBEAT_WRITE_MS = 5000;

export function createProcessService(deps: ServiceDeps) {
  const { db, clock } = deps;
  const lastTouched = new Map<string, number>();
  let closing = false;

  function touchExecutor(colonyname: string, executorid: string): void {
    const t = Date.now();
    if (t - (lastTouched.get(executorid) ?? 0) < HEARTBEAT_WRITE_MS) return;
    lastTouched.set(executorid, t);
    executorsSql
      .touch(db.relaxed, colonyname, executorid, clock.now())
      .catch((err: unknown) => deps.log.warn('heartbeat write failed', { err: String(err) }));
  }

  async function requireProcess(q: Queryable, colonyname: string, processid: string): Promise<ProcessRow> {
    const row = await processesSql.get(q, colonyname, processid);
    if (!row) throw new AppError('PROCESS_NOT_FOUND', `process ${processid} is not in colony "${colonyname}"`);
    return row;
  }

  /** Explains why a fenced close/fail/log matched nothing. */
  async function whyNotRunning(q: Queryable, colonyname: string, processid: string, executorid: string, attempt?: number): Promise<AppError> {
    const row = await requireProcess(q, colonyname, processid);
    if (row.state !== 'RUNNING')
      return new AppError('PROCESS_NOT_RUNNING', `process ${processid} is ${row.state}, not RUNNING`, { state: row.state });
    if (row.assignedexecutorid !== executorid) return new AppError('NOT_ASSIGNED', `process ${processid} is assigned to another executor`);
    return new AppError('NOT_ASSIGNED', `attempt ${attempt} of process ${processid} is over; the current attempt is ${row.attempt}`, {
      attempt: row.attempt,
    });
  }

  /**
   * Processes whose attempt failed: those that failed for good fail their graph, and whatever still
   * waits in it is cancelled. Returns the events of every change.
   */
  async function settleFailures(tx: Queryable, outcomes: AttemptOutcome[], now: Date): Promise<ColonyEvent[]> {
    const events = outcomes.map((o) => processEvent(o, now));
    for (const o of outcomes) {
      if (o.state !== 'FAILED' || !o.processgraphid) continue;
      const reason = `process ${o.processid} failed: ${o.errors[o.errors.length - 1] ?? 'failed'}`;
      if (await graphsSql.finish(tx, o.processgraphid, 'FAILED', reason, now)) {
        events.push(graphEvent(o.colonyname, o.processgraphid, 'FAILED', now));
        for (const c of await processesSql.cancelInGraph(tx, o.processgraphid, false, reason, now)) events.push(processEvent(c, now));
      }
    }
    return events;
  }

  /**
   * Publishes what a close statement did (events, ready work) and tells, per item, whether it is
   * closed: now, or already by the same executor and attempt.
   */
  async function settleCloses(items: CloseRow[], { closed, ready, handed, finished }: CloseOutcome, now: Date): Promise<boolean[]> {
    const events = closed.map((r) => processEvent(r, now));
    for (const r of handed) events.push(specEvent(r, 'RUNNING', r.retries, r.assignedexecutorid, now));
    for (const g of finished) events.push(graphEvent(g.colonyname, g.processgraphid, 'SUCCESS', now));
    deps.bus.ready(ready);
    deps.bus.emit(events);
    const ids = new Set(closed.map((r) => r.processid));
    // A close sent again after its answer was lost (a dropped connection, an aborted request) is
    // acknowledged, not refused: the process is SUCCESS by this executor on this attempt.
    const missed = items.filter((i) => !ids.has(i.processid));
    if (missed.length > 0) for (const id of await processesSql.alreadyClosed(db, missed)) ids.add(id);
    return items.map((i) => ids.has(i.processid));
  }

  /**
   * SUCCESS for each row that is still RUNNING on that executor and attempt, in one statement:
   * children whose last parent this was become ready (or start on an idle long-poll), and graphs
   * whose every process succeeded finish. Returns, per row, whether it is closed.
   */
  async function closeRows(items: CloseRow[]): Promise<boolean[]> {
    const now = clock.now();
    const offered = releasing(items) ? offerIdle(new Set(items.map((i) => i.colonyname))) : undefined;
    const outcome = await withdrawnOnError(offered, () => retryingConflicts(() => processesSql.close(db, items, now, offered?.map(toOffer))));
    noteParents(outcome.handed);
    const undelivered = deliverHanded(outcome.handed, offered ?? []);
    const closed = await settleCloses(items, outcome, now);
    await requeueAll(undelivered);
    return closed;
  }
  const closes = new Batcher<CloseRow, boolean>(closeRows, { maxBatch: 200, concurrency: 2 });

  /** Idle long-polls per colony + executor type, oldest first. */
  const idle = new Map<string, IdleExecutor[]>();
  function removeIdle(key: string, entry: IdleExecutor): boolean {
    const list = idle.get(key);
    const i = list?.indexOf(entry) ?? -1;
    if (i < 0) return false;
    list!.splice(i, 1);
    if (list!.length === 0) idle.delete(key);
    return true;
  }
  function takeIdle(key: string): IdleExecutor | undefined {
    const entry = idle.get(key)?.find((e) => !e.offered);
    if (entry) removeIdle(key, entry);
    return entry;
  }

  /**
   * The idle long-polls of these colonies that no other close has on offer: a close statement may
   * start the children it releases on them (one statement per hop instead of a close and a claim).
   */
  function offerIdle(colonies: Set<string>): IdleExecutor[] {
    const offered: IdleExecutor[] = [];
    for (const list of idle.values())
      for (const e of list)
        if (!e.offered && colonies.has(e.colonyname)) {
          e.offered = true;
          offered.push(e);
        }
    return offered;
  }
  const toOffer = (e: IdleExecutor): Offer => ({ colonyname: e.colonyname, executortype: e.executortype, executorid: e.executorid, count: e.count });

  async function withdrawnOnError<T>(offered: IdleExecutor[] | undefined, statement: () => Promise<T>): Promise<T> {
    try {
      return await statement();
    } catch (err) {
      for (const e of offered ?? []) e.offered = false;
      throw err;
    }
  }

  /**
   * Processes this replica started that have children. Only a close of one of them uses the statement
   * that starts the children it releases (the plain close costs less to plan); a process closed on
   * another replica, or one whose children came later by add_child, releases them the ordinary way
   * (ready, for the next claim). A hint, not a record: bounded, and cleared when it grows too big.
   */
  const runningParents = new Set<string>();
  function noteParents(rows: ProcessRow[]): void {
    for (const r of rows) {
      if (r.children.length === 0) continue;
      if (runningParents.size >= 100_000) runningParents.clear();
      runningParents.add(r.processid);
    }
  }
  function releasing(items: CloseRow[]): boolean {
    let any = false;
    for (const i of items) if (runningParents.delete(i.processid)) any = true;
    return any;
  }

  /**
   * Hands the children a close started to the offered long-polls they were started on (in offer
   * order, up to each one's count) and withdraws the offers. A long-poll that stopped waiting while
   * its offer was out (woken by other work, timed out, gone) cannot take its rows: they are returned,
   * for requeueAll once the close is published.
   */
  function deliverHanded(rows: ProcessRow[], offered: IdleExecutor[]): ProcessRow[] {
    const byExecutor = groupBy(rows, (r) => r.assignedexecutorid!);
    for (const e of offered) {
      e.offered = false;
      const mine = byExecutor.get(e.executorid);
      const take = mine?.filter((r) => r.colonyname === e.colonyname && r.spec.executortype === e.executortype).slice(0, e.count) ?? [];
      if (take.length === 0 || !removeIdle(WakeHub.key(e.colonyname, e.executortype), e)) continue;
      byExecutor.set(
        e.executorid,
        mine!.filter((r) => !take.includes(r)),
      );
      e.deliver(take.map(toProcess));
    }
    return [...byExecutor.values()].flat();
  }

  async function requeueAll(rows: ProcessRow[]): Promise<void> {
    for (const g of groupBy(rows, (r) => r.colonyname + '\u0000' + r.assignedexecutorid).values())
      await requeue(
        g[0]!.colonyname,
        g[0]!.assignedexecutorid!,
        g.map((r) => r.processid),
      );
  }

  /**
   * Concurrent submits share one INSERT (see Batcher). A ready process of a type some executor is
   * idly long-polling for is handed to it in that same INSERT (RUNNING at once), so an idle executor
   * gets new work without a claim round trip. The waiter was idle because its claim found nothing:
   * nothing older of its type was waiting.
   */
  const submits = new Batcher<{ p: NewProcess; now: Date }, string | null>(
    async (items) => {
      const now = items[0]!.now;
      // Deal the ready processes out to idle long-polls of their type, oldest first, up to each one's
      // count. An entry taken leaves the idle list at once: its delivery comes from this flush only.
      const takers = new Map<IdleExecutor, string[]>();
      const filling = new Map<string, IdleExecutor>();
      const handoff = new Map<string, string>();
      for (const { p } of items) {
        if (p.waitingparents > 0) continue;
        const key = WakeHub.key(p.colonyname, p.spec.executortype);
        let entry = filling.get(key);
        if (!entry || takers.get(entry)!.length >= entry.count) {
          entry = takeIdle(key);
          if (!entry) continue;
          filling.set(key, entry);
          takers.set(entry, []);
        }
        takers.get(entry)!.push(p.processid);
        handoff.set(p.processid, entry.executorid);
      }
      let handed = new Map<string, string>();
      try {
        handed = await processesSql.insert(
          db,
          items.map((i) => ({ ...i.p, handoff: handoff.get(i.p.processid) ?? null })),
          now,
        );
      } finally {
        // Those the INSERT did not hand over (the executor is no longer APPROVED, or it failed) stay
        // WAITING and are announced as ready below; the long-poll then claims or waits as usual.
        const byId = new Map(items.map((i) => [i.p.processid, i.p]));
        for (const [entry, ids] of takers)
          entry.deliver(ids.filter((id) => handed.get(id) === entry.executorid).map((id) => freshProcess(byId.get(id)!, now, entry.executorid)));
      }
      const waiting = items.filter((i) => !handed.has(i.p.processid));
      deps.bus.ready(countReady(waiting.map((i) => ({ colonyname: i.p.colonyname, executortype: i.p.spec.executortype }))));
      const events: ColonyEvent[] = items.map(({ p }) => specEvent(p, 'WAITING', 0, null, now));
      for (const { p } of items) {
        const executorid = handed.get(p.processid);
        if (executorid) events.push(specEvent(p, 'RUNNING', 0, executorid, now));
      }
      deps.bus.emit(events);
      return items.map((i) => handed.get(i.p.processid) ?? null);
    },
    { maxBatch: 500, concurrency: 2 },
  );

  /**
   * Waits for work after an empty claim: resolves true when woken (claim again), false on timeout or
   * abort, or with the processes a submit or a close handed over.
   */
  async function waitForWork(
    caller: { colonyname: string; executortype: string; executorid: string },
    generation: number,
    ms: number,
    count: number,
    signal?: AbortSignal,
  ) {
    const key = WakeHub.key(caller.colonyname, caller.executortype);
    let deliver!: (ps: Process[]) => void;
    const delivered = new Promise<Process[]>((r) => (deliver = r));
    const entry: IdleExecutor = { ...caller, count, offered: false, deliver };
    let list = idle.get(key);
    if (!list) idle.set(key, (list = []));
    list.push(entry);
    // A delivery ends the wait too (an AbortController per wait for that was 2.5% of the server's CPU:
    // each abort() builds a DOMException).
    const first = await Promise.race([deps.wake.wait(key, generation, ms, signal, delivered), delivered]);
    if (Array.isArray(first)) return first;
    // Woken or timed out. Unless a submit or a close has taken this entry meanwhile (its delivery always comes), we are done.
    return removeIdle(key, entry) ? first : await delivered;
  }

  /**
   * Long-polls of one colony and executor type claim together: one statement, rows dealt out in queue
   * order. Results an executor hands in with its assign are closed in that same statement.
   */
  const claimers = new Map<string, Batcher<ClaimAsk, { rows: ProcessRow[]; closed: boolean[]; exhausted: boolean }>>();
  function claimer(colonyname: string, executortype: string) {
    const key = WakeHub.key(colonyname, executortype);
    let b = claimers.get(key);
    if (!b) {
      b = new Batcher(
        async (asks) => {
          const now = clock.now();
          const slots = asks.flatMap((a) => Array<string>(a.count).fill(a.executorid));
          const closing = asks.flatMap((a) => a.closes);
          // Children the closes release go to slots this claim leaves unused, then to idle long-polls.
          const offered = releasing(closing) ? offerIdle(new Set([colonyname])) : undefined;
          // A claim alone need not wait for the disk (Db.relaxed); one that carries closes commits them durably.
          const r = await withdrawnOnError(offered, () =>
            retryingConflicts(() =>
              processesSql.assign(closing.length ? db : db.relaxed, colonyname, executortype, slots, now, closing, offered?.map(toOffer)),
            ),
          );
          noteParents(r.assigned);
          noteParents(r.handed);
          const events: ColonyEvent[] = [];
          for (const row of r.assigned) {
            events.push(specEvent(row, row.state, row.retries, row.assignedexecutorid, now));
            if (row.graphstarted && row.processgraphid) events.push(graphEvent(colonyname, row.processgraphid, 'RUNNING', now));
          }
          // Each row carries the executor its slot belonged to; they are dealt out to that executor's asks
          // in order: the claimed rows, then the children started on the slots left.
          const byExecutor = groupBy([...r.assigned, ...r.handed], (row) => row.assignedexecutorid!);
          const answers = asks.map((a) => byExecutor.get(a.executorid)?.splice(0, a.count) ?? []);
          // What the asks did not take is children started for the idle long-polls offered.
          const undelivered = deliverHanded([...byExecutor.values()].flat(), offered ?? []);
          const closed = closing.length ? await settleCloses(closing, r, now) : [];
          deps.bus.emit(events);
          await requeueAll(undelivered);
          let at = 0;
          return asks.map((a, i) => ({
            rows: answers[i]!,
            closed: closed.slice(at, (at += a.closes.length)),
            exhausted: r.exhausted,
          }));
        },
        // Long-polls woken by one notify resume together, in one microtask checkpoint: claiming at its
        // end still serves them all with one statement, and does not wait behind other I/O.
        { maxBatch: 64, concurrency: 2, start: 'now' },
      );
      claimers.set(key, b);
    }
    return b;
  }

  /**
   * Per colony + executor type: the wake generation at which the last claim that found the queue
   * exhausted began, and when it ended. Until the generation moves (work became ready, here or on
   * another replica) the queue is known empty, so a long-poll arriving meanwhile waits without a claim
   * statement: an idle executor's close-and-claim answers at once and its next long-poll follows
   * within a round trip (a statement per idle cycle saved: 3.5 → 2.6 per process in a trickle).
   * Trusted only briefly: a wake-up missed (another replica's NOTIFY while the listener reconnects)
   * then delays new polls by one long-poll at most, as it already delays those that wait.
   */
  const foundEmpty = new Map<string, { generation: number; at: number }>();
  const KNOWN_EMPTY_MS = 1000;
  function knownEmpty(key: string, generation: number): boolean {
    const e = foundEmpty.get(key);
    return e !== undefined && e.generation === generation && Date.now() - e.at < KNOWN_EMPTY_MS;
  }

  /**
   * Long-poll: claims up to `count` ready processes, waiting up to timeoutMs for one to appear. `closes`
   * (this executor's results) are closed by the first claim's statement. Returns the processes and
   * the ids closed.
   */
  async function claimOrWait(
    colonyname: string,
    executor: ExecutorCaller,
    count: number,
    timeoutMs: number,
    signal: AbortSignal | undefined,
    closes: Close[],
  ): Promise<{ processes: Process[]; closed: Set<string> }> {
    touchExecutor(colonyname, executor.id);
    const key = WakeHub.key(colonyname, executor.executortype);
    const until = Date.now() + timeoutMs;
    const closed = new Set<string>();
    let pending: CloseRow[] = closes.map((c) => ({ ...c, colonyname, executorid: executor.id }));
    for (;;) {
      const generation = deps.wake.generation(key);
      // Results go in even when the caller has left: they are finished work to keep.
      if (signal?.aborted && pending.length === 0) return { processes: [], closed };
      let got: Process[] = [];
      if (pending.length > 0 || !knownEmpty(key, generation)) {
        // A caller that has left gets no new work: its closes go in alone.
        const r = await claimer(colonyname, executor.executortype).run({
          executorid: executor.id,
          count: signal?.aborted ? 0 : count,
          closes: pending,
        });
        pending.forEach((c, i) => {
          if (r.closed[i]) closed.add(c.processid);
        });
        pending = [];
        got = r.rows.map(toProcess);
        if (r.exhausted) foundEmpty.set(key, { generation, at: Date.now() });
      }
      if (got.length === 0) {
        if (closing) return { processes: [], closed };
        // Work made ready meanwhile (by the closes just made, say) has moved the generation: claim again at once.
        const w = await waitForWork(
          { colonyname, executortype: executor.executortype, executorid: executor.id },
          generation,
          until - Date.now(),
          count,
          signal,
        );
        if (w === false || (w === true && closing)) return { processes: [], closed };
        if (w === true) continue;
        got = w;
        if (got.length === 0) continue;
      }
      if (signal?.aborted) {
        // The caller left while we claimed: give the work back at once rather than after maxexectime.
        await requeue(
          colonyname,
          executor.id,
          got.map((p) => p.processid),
        );
        return { processes: [], closed };
      }
      return { processes: got, closed };
    }
  }

  /** Returns claimed-but-undelivered processes to the queue without counting a retry. */
  async function requeue(colonyname: string, executorid: string, processids: string[]): Promise<void> {
    const now = clock.now();
    const back = await processesSql.requeue(db, colonyname, executorid, processids);
    deps.log.debug('processes claimed for an executor that could not take them; requeued', { n: back.length });
    deps.bus.ready(back.map((r) => ({ colonyname, executortype: r.executortype, n: 1 })));
    deps.bus.emit(back.map((r) => processEvent(r, now)));
  }

  function retried(outcomes: AttemptOutcome[]): ReadyWork[] {
    return outcomes.filter((o) => o.state === 'WAITING').map((o) => ({ colonyname: o.colonyname, executortype: o.executortype, n: 1 }));
  }

  return {
    /** Long-polls of this colony and executor type waiting for work now. */
    waitingLongPolls(colonyname: string, executortype: string): number {
      return idle.get(WakeHub.key(colonyname, executortype))?.length ?? 0;
    },

    /** Makes pending long-polls answer at once and refuses new waits (graceful shutdown). */
    stop(): void {
      closing = true;
      deps.wake.wakeAll();
    },

    /** Concurrent submits share one INSERT (see Batcher); the reply is built from what was written. */
    async submit(colonyname: string, spec: FunctionSpec, initiatorid: string): Promise<Process> {
      const now = clock.now();
      const p = newProcess(colonyname, spec, initiatorid, now);
      return freshProcess(p, now, await submits.run({ p, now }));
    },

    async get(colonyname: string, processid: string): Promise<Process> {
      return toProcess(await requireProcess(db, colonyname, processid));
    },

    async list(colonyname: string, filter: ListFilter): Promise<Process[]> {
      return (await processesSql.list(db, colonyname, filter)).map(toProcess);
    },

    async stats(colonyname: string): Promise<StateCounts> {
      return processesSql.stateCounts(db, colonyname);
    },

    /** Long-poll: claims up to `count` ready processes, waiting up to timeoutMs for one to appear. */
    async assign(colonyname: string, executor: ExecutorCaller, count: number, timeoutMs: number, signal?: AbortSignal): Promise<Process[]> {
      return (await claimOrWait(colonyname, executor, count, timeoutMs, signal, [])).processes;
    },

    /** An executor's results and its next long-poll: the closes go in the first claim's statement. Returns the ids closed too. */
    closeAndAssign(
      colonyname: string,
      executor: ExecutorCaller,
      closes: Close[],
      count: number,
      timeoutMs: number,
      signal?: AbortSignal,
    ): Promise<{ processes: Process[]; closed: Set<string> }> {
      return claimOrWait(colonyname, executor, count, timeoutMs, signal, closes);
    },

    requeue,

    /** Closes many processes of one executor in one transaction (the batch endpoint). Returns the ids that closed. */
    async closeMany(colonyname: string, executorid: string, closes: Close[]): Promise<Set<string>> {
      const results = await closeRows(closes.map((c) => ({ ...c, colonyname, executorid })));
      return new Set(closes.filter((_, i) => results[i]).map((c) => c.processid));
    },

    /** Concurrent closes from any executors share one transaction (see Batcher). */
    async close(colonyname: string, executorid: string, c: Close): Promise<void> {
      const closed = await closes.run({ ...c, colonyname, executorid });
      if (!closed) throw await whyNotRunning(db, colonyname, c.processid, executorid, c.attempt);
    },

    /** A failed attempt: retried while retries remain, else FAILED (and its graph with it). */
    async fail(colonyname: string, executorid: string, processid: string, attempt: number, errors: string[]): Promise<Process> {
      const now = clock.now();
      const result = await inTransaction(db, async (tx) => {
        const o = await processesSql.fail(tx, colonyname, processid, executorid, attempt, errors, now);
        return o ? { outcome: o, events: await settleFailures(tx, [o], now) } : undefined;
      });
      if (!result) throw await whyNotRunning(db, colonyname, processid, executorid, attempt);
      deps.bus.ready(retried([result.outcome]));
      deps.bus.emit(result.events);
      return this.get(colonyname, processid);
    },

    /** Deadline sweep (any replica may run it; SKIP LOCKED hands each expired process to one). */
    async expireDeadlines(batch = 500): Promise<{ exec: number; wait: number }> {
      let exec = 0;
      let wait = 0;
      for (const expire of [processesSql.expireExecutions, processesSql.expireWaits]) {
        for (;;) {
          const now = clock.now();
          const { outcomes, events } = await inTransaction(db, async (tx) => {
            const o = await expire(tx, now, batch);
            return { outcomes: o, events: await settleFailures(tx, o, now) };
          });
          deps.bus.ready(retried(outcomes));
          deps.bus.emit(events);
          if (expire === processesSql.expireExecutions) exec += outcomes.length;
          else wait += outcomes.length;
          if (outcomes.length < batch) break;
        }
      }
      return { exec, wait };
    },

    async cancel(colonyname: string, processid: string): Promise<Process> {
      const now = clock.now();
      await inTransaction(db, async (tx) => {
        const row = await requireProcess(tx, colonyname, processid);
        if (row.processgraphid)
          throw new AppError('PART_OF_GRAPH', `process ${processid} belongs to process graph ${row.processgraphid}; cancel the graph`);
        const done = await processesSql.cancel(tx, colonyname, processid, 'cancelled by user', now);
        if (!done) throw new AppError('PROCESS_FINISHED', `process ${processid} is already ${row.state}`);
      });
      return this.get(colonyname, processid);
    },

    async remove(colonyname: string, processid: string, force: boolean): Promise<void> {
      await inTransaction(db, async (tx) => {
        const row = await requireProcess(tx, colonyname, processid);
        if (row.processgraphid)
          throw new AppError('PART_OF_GRAPH', `process ${processid} belongs to process graph ${row.processgraphid}; remove the graph`);
        if (row.state === 'RUNNING' && !force)
          throw new AppError('PROCESS_IS_RUNNING', `process ${processid} is RUNNING; cancel it first or pass force=true`);
        await processesSql.remove(tx, colonyname, processid);
      });
    },

    async removeAll(colonyname: string, state: ProcessState | undefined): Promise<number> {
      if (state === 'RUNNING') throw new AppError('VALIDATION_FAILED', 'running processes cannot be removed in bulk; cancel them first');
      const states: ProcessState[] = state ? [state] : ['WAITING', 'SUCCESS', 'FAILED', 'CANCELLED'];
      return processesSql.removeAll(db, colonyname, states);
    },

    async addLog(colonyname: string, executorid: string, processid: string, message: string): Promise<void> {
      const time = clock.now();
      const row = await logsSql.insert(db, { processid, colonyname, executorid, message, time });
      if (!row) throw await whyNotRunning(db, colonyname, processid, executorid);
      deps.bus.emit([
        { type: 'log', colonyname, processgraphid: row.processgraphid, processid, executorid, message, time: time.toISOString(), seq: row.seq },
      ]);
    },

    async logs(colonyname: string, processid: string, since: number, count: number): Promise<LogEntry[]> {
      await requireProcess(db, colonyname, processid);
      return (await logsSql.byProcess(db, colonyname, processid, since, count)).map(toLogEntry);
    },

    async executorLogs(colonyname: string, executorid: string, since: number, count: number): Promise<LogEntry[]> {
      return (await logsSql.byExecutor(db, colonyname, executorid, since, count)).map(toLogEntry);
    },
  };
}

export type ProcessService = ReturnType<typeof createProcessService>;

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const g = groups.get(key(item));
    if (g) g.push(item);
    else groups.set(key(item), [item]);
  }
  return groups;
}
