/**
 * The dispatcher decides which executor gets which process, and when (see docs/architecture.md, The
 * dispatcher). It keeps the idle long-polls, hands them new and released work directly (in the very
 * statement that writes it), and routes claims, closes and submits into shared statements (Batcher).
 * The lifecycle (services/processes/) says what each step means; this module only says who runs it.
 */
import type { Process } from '../../../protocol/types.ts';
import { toProcess, type ProcessRow } from '../../store/rows.ts';
import { processesSql, type CloseRow, type NewProcess, type Offer } from '../../store/sql/processes.ts';
import { Batcher } from '../batcher.ts';
import { retryingConflicts, type ServiceDeps } from '../context.ts';
import { freshProcess } from '../processes/fresh.ts';
import { claimEvents, publishCloses, publishSubmits, requeue } from '../processes/outcomes.ts';
import { WakeHub } from '../wake.ts';
import { RecentEnds } from '../ended.ts';
import type { AppError } from '../../errors.ts';
import { LIMITS } from '../../../protocol/schemas.ts';
import { groupBy } from './group.ts';
import { Heartbeats } from './heartbeats.ts';
import { DueRetries, KnownEmpty, RunningParents } from './hints.ts';
import { IdleRegistry, toOffer, withdraw, type IdleExecutor } from './idle.ts';

/** The executor behind a request: who asks, and for which type of work. */
export interface ExecutorCaller {
  id: string;
  executortype: string;
}

/** An executor's result for one attempt of a process. */
export interface Close {
  processid: string;
  attempt: number;
  out: unknown[];
}

/** What a long-poll got: the processes it now runs, and which of its closes went in. */
export interface Assignment {
  processes: Process[];
  closed: Set<string>;
}

/** One long-poll's turn in a claim statement: `count` slots, and the results it hands in. */
interface ClaimAsk {
  executorid: string;
  count: number;
  closes: CloseRow[];
}
interface ClaimAnswer {
  rows: ProcessRow[];
  closed: boolean[];
  exhausted: boolean;
  nextdue: Date | null;
}

export class Dispatcher {
  private readonly idle = new IdleRegistry();
  private readonly knownEmpty: KnownEmpty;
  /** Executors' last contact and reports, for the lease sweep. */
  readonly heartbeats: Heartbeats;
  private readonly runningParents = new RunningParents();
  /** How far the sweep has announced delayed retries coming due. */
  readonly due: DueRetries;
  /** Long-polls of one colony and executor type claim together (per WakeHub.key). */
  private readonly claimers = new Map<string, Batcher<ClaimAsk, ClaimAnswer>>();
  /** Concurrent closes from any executors share one statement. */
  private readonly closes = new Batcher<CloseRow, boolean>((items) => this.closeRows(items), { maxBatch: 200, concurrency: 2 });
  /** Concurrent submits share one INSERT. */
  private readonly submits = new Batcher<{ p: NewProcess; now: Date }, string | null>((items) => this.insertAndHandOut(items), {
    maxBatch: 500,
    concurrency: 2,
  });
  private stopping = false;
  /** Executors whose access ended lately: a long-poll let in before may not go on waiting. */
  private readonly ended: RecentEnds;

  constructor(private readonly deps: ServiceDeps) {
    this.knownEmpty = new KnownEmpty(deps.clock);
    this.heartbeats = new Heartbeats(deps);
    this.due = new DueRetries(deps.clock);
    this.ended = new RecentEnds((LIMITS.maxAssignTimeoutSeconds + 60) * 1000, () => deps.clock.monotonic());
  }

  /** Writes a new process; returns the idle executor it was handed to (RUNNING), or null (WAITING). */
  submit(p: NewProcess, now: Date): Promise<string | null> {
    return this.submits.run({ p, now });
  }

  /** Closes one result, sharing a statement with concurrent closes; true when it is closed (now or before, by the same attempt). */
  close(row: CloseRow): Promise<boolean> {
    return this.closes.run(row);
  }

  /** Closes many results in one statement; per row, whether it is closed. */
  closeMany(rows: CloseRow[]): Promise<boolean[]> {
    return this.closeRows(rows);
  }

  /**
   * Long-poll: claims up to `count` ready processes, waiting up to timeoutMs for one to appear or be
   * handed over. `closes` (this executor's results) go in the first claim's statement.
   */
  async assign(
    colonyname: string,
    executor: ExecutorCaller,
    count: number,
    timeoutMs: number,
    signal: AbortSignal | undefined,
    closes: Close[],
  ): Promise<Assignment> {
    this.heartbeats.heard(colonyname, executor.id);
    const key = WakeHub.key(colonyname, executor.executortype);
    const asked = this.deps.clock.monotonic();
    const until = asked + timeoutMs;
    const closed = new Set<string>();
    let pending: CloseRow[] = closes.map((c) => ({ ...c, colonyname, executorid: executor.id }));
    for (;;) {
      const generation = this.deps.wake.generation(key);
      // Results go in even when the caller has left: they are finished work to keep.
      if (signal?.aborted && pending.length === 0) return { processes: [], closed };
      let got: Process[] = [];
      if (pending.length > 0 || !this.knownEmpty.has(key, generation)) {
        // A caller that has left gets no new work: its closes go in alone.
        const r = await this.claimer(colonyname, executor.executortype).run({
          executorid: executor.id,
          count: signal?.aborted ? 0 : count,
          closes: pending,
        });
        pending.forEach((c, i) => {
          if (r.closed[i]) closed.add(c.processid);
        });
        pending = [];
        got = r.rows.map(toProcess);
        if (r.exhausted) this.knownEmpty.note(key, generation, r.nextdue);
      }
      if (got.length === 0) {
        if (this.stopping) return { processes: [], closed };
        // Access ended after this request was let in: it may not wait (its closes are in).
        const revoked = this.ended.since(colonyname, executor.id, asked);
        if (revoked) throw revoked;
        // Work made ready meanwhile (by the closes just made, say) has moved the generation: claim again at once.
        const caller = { colonyname, executortype: executor.executortype, executorid: executor.id, count };
        const w = await this.waitForWork(caller, generation, until - this.deps.clock.monotonic(), signal);
        if (w === false || (w === true && this.stopping)) return { processes: [], closed };
        if (w === true) continue;
        got = w;
        if (got.length === 0) continue;
      }
      if (signal?.aborted) {
        // The caller left while we claimed: give the work back at once rather than after maxexectime.
        await requeue(
          this.deps,
          colonyname,
          executor.id,
          got.map((p) => p.processid),
        );
        return { processes: [], closed };
      }
      return { processes: got, closed };
    }
  }

  /** Long-polls of this colony and executor type waiting for work now. */
  waitingLongPolls(colonyname: string, executortype: string): number {
    return this.idle.count(WakeHub.key(colonyname, executortype));
  }

  /** The dispatcher's side of revocation (auth/revocation.ts): executors' long-polls, refused when their access ends. */
  readonly longPolls = {
    role: 'executor' as const,
    colonies: (): string[] => [...new Set(this.idle.waiting().map((e) => e.colonyname))],
    holders: (colonyname: string): string[] => [
      ...new Set(
        this.idle
          .waiting()
          .filter((e) => e.colonyname === colonyname)
          .map((e) => e.executorid),
      ),
    ],
    // Not held back while the check runs (a query): work handed over meanwhile is taken back, since the
    // removed executor's closes are refused and the lease sweep retries its processes at once.
    hold: (): void => {},
    release: (): void => {},
    end: (colonyname: string, executorid: string, err: AppError): void => {
      this.ended.add(colonyname, executorid, err);
      this.idle.refuse(colonyname, executorid, err);
    },
  };

  /** Makes pending long-polls answer at once and refuses new waits (graceful shutdown). */
  stop(): void {
    this.stopping = true;
    this.deps.wake.wakeAll();
  }

  /**
   * Waits for work after an empty claim: resolves true when woken (claim again), false on timeout or
   * abort, or with the processes a submit or a close handed over.
   */
  private async waitForWork(
    caller: { colonyname: string; executortype: string; executorid: string; count: number },
    generation: number,
    ms: number,
    signal?: AbortSignal,
  ): Promise<boolean | Process[]> {
    const key = WakeHub.key(caller.colonyname, caller.executortype);
    let deliver!: (ps: Process[]) => void;
    let refuse!: (err: Error) => void;
    const delivered = new Promise<Process[]>((resolve, reject) => ((deliver = resolve), (refuse = reject)));
    const entry: IdleExecutor = { ...caller, offered: false, deliver, refuse };
    this.idle.add(key, entry);
    // A delivery ends the wait too (not an AbortController per wait: each abort() builds a DOMException).
    const first = await Promise.race([this.deps.wake.wait(key, generation, ms, signal, delivered), delivered]);
    if (Array.isArray(first)) return first;
    // Woken or timed out. Unless a submit or a close has taken this entry meanwhile (its delivery always comes), we are done.
    return this.idle.remove(key, entry) ? first : await delivered;
  }

  /**
   * Runs a close statement (alone or in a claim). When its closes may release children this replica
   * started, the idle long-polls of `colonies` are offered to it (withdrawn if it fails); the caller
   * delivers the children started on them (IdleRegistry.deliverHanded), which withdraws the offers.
   */
  private async withOffers<R>(
    closes: CloseRow[],
    colonies: () => Set<string>,
    statement: (offers: Offer[] | undefined) => Promise<R>,
  ): Promise<{ r: R; offered: IdleExecutor[] }> {
    const offered = this.runningParents.releasing(closes) ? this.idle.offer(colonies()) : undefined;
    try {
      return { r: await retryingConflicts(() => statement(offered?.map(toOffer))), offered: offered ?? [] };
    } catch (err) {
      withdraw(offered);
      throw err;
    }
  }

  /**
   * SUCCESS for each row that is still RUNNING on that executor and attempt, in one statement:
   * children whose last parent this was become ready (or start on an idle long-poll), and graphs
   * whose every process succeeded finish. Returns, per row, whether it is closed.
   */
  private async closeRows(items: CloseRow[]): Promise<boolean[]> {
    const now = this.deps.clock.now();
    const { r, offered } = await this.withOffers(
      items,
      () => new Set(items.map((i) => i.colonyname)),
      (offers) => processesSql.close(this.deps.db, items, now, offers),
    );
    this.runningParents.note(r.handed);
    const undelivered = this.idle.deliverHanded(r.handed, offered);
    const closed = await publishCloses(this.deps, items, r, now);
    await this.requeueAll(undelivered);
    return closed;
  }

  /**
   * One INSERT for concurrent submits. A ready process of a type some executor is idly long-polling
   * for is handed to it in that same INSERT (RUNNING at once), so an idle executor gets new work
   * without a claim round trip. The waiter was idle because its claim found nothing: nothing older of
   * its type was waiting.
   */
  private async insertAndHandOut(items: { p: NewProcess; now: Date }[]): Promise<(string | null)[]> {
    const now = items[0]!.now;
    const news = items.map((i) => i.p);
    const takers = this.idle.dealOut(news);
    const handoff = new Map<string, string>();
    for (const [entry, ps] of takers) for (const p of ps) handoff.set(p.processid, entry.executorid);
    let handed = new Map<string, string>();
    try {
      handed = await processesSql.insert(
        this.deps.db,
        news.map((p) => ({ ...p, handoff: handoff.get(p.processid) ?? null })),
        now,
      );
    } finally {
      // Those the INSERT did not hand over (the executor is no longer APPROVED, or it failed) stay
      // WAITING and are announced as ready; the long-poll then claims or waits as usual.
      for (const [entry, ps] of takers)
        entry.deliver(ps.filter((p) => handed.get(p.processid) === entry.executorid).map((p) => freshProcess(p, now, entry.executorid)));
    }
    publishSubmits(this.deps, news, handed, now);
    return news.map((p) => handed.get(p.processid) ?? null);
  }

  /**
   * Long-polls of one colony and executor type claim together: one statement, rows dealt out in queue
   * order. Results an executor hands in with its assign are closed in that same statement.
   */
  private claimer(colonyname: string, executortype: string): Batcher<ClaimAsk, ClaimAnswer> {
    const key = WakeHub.key(colonyname, executortype);
    let b = this.claimers.get(key);
    if (!b) {
      // Long-polls woken by one notify resume together, in one microtask checkpoint: claiming at its
      // end still serves them all with one statement, and does not wait behind other I/O.
      b = new Batcher((asks) => this.claim(colonyname, executortype, asks), { maxBatch: 64, concurrency: 2, start: 'now' });
      this.claimers.set(key, b);
    }
    return b;
  }

  /** One claim statement for these asks (with the closes they carry); each ask gets its rows in slot order. */
  private async claim(colonyname: string, executortype: string, asks: ClaimAsk[]): Promise<ClaimAnswer[]> {
    const now = this.deps.clock.now();
    const slots = asks.flatMap((a) => Array<string>(a.count).fill(a.executorid));
    const closes = asks.flatMap((a) => a.closes);
    // A claim alone need not wait for the disk (Db.relaxed); one that carries closes commits them durably.
    const q = closes.length ? this.deps.db : this.deps.db.relaxed;
    // Children the closes release go to slots this claim leaves unused, then to idle long-polls.
    const { r, offered } = await this.withOffers(
      closes,
      () => new Set([colonyname]),
      (offers) => processesSql.assign(q, colonyname, executortype, slots, now, closes, offers),
    );
    this.runningParents.note(r.assigned);
    this.runningParents.note(r.handed);
    // Each row carries the executor its slot belonged to; they are dealt out to that executor's asks
    // in order: the claimed rows, then the children started on the slots left.
    const byExecutor = groupBy([...r.assigned, ...r.handed], (row) => row.assignedexecutorid!);
    const answers = asks.map((a) => byExecutor.get(a.executorid)?.splice(0, a.count) ?? []);
    // What the asks did not take is children started for the idle long-polls offered.
    const undelivered = this.idle.deliverHanded([...byExecutor.values()].flat(), offered);
    const closed = closes.length ? await publishCloses(this.deps, closes, r, now) : [];
    this.deps.bus.emit(claimEvents(colonyname, r.assigned, now));
    await this.requeueAll(undelivered);
    let at = 0;
    return asks.map((a, i) => ({ rows: answers[i]!, closed: closed.slice(at, (at += a.closes.length)), exhausted: r.exhausted, nextdue: r.nextdue }));
  }

  private async requeueAll(rows: ProcessRow[]): Promise<void> {
    for (const g of groupBy(rows, (r) => r.colonyname + '\u0000' + r.assignedexecutorid).values())
      await requeue(
        this.deps,
        g[0]!.colonyname,
        g[0]!.assignedexecutorid!,
        g.map((r) => r.processid),
      );
  }
}
