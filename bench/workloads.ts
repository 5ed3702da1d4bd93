/**
 * The independent-job workloads (1–3), the same for every system:
 *   drain    n jobs already queued; workers start; jobs/s from the first function start to the last completion.
 *   e2e      workers idle; `inflight` submitters push n jobs through the ordinary submit call; jobs/s from
 *            the first submit to the last completion.
 *   latency  one job every `intervalMs`; submit → function start, measured in the worker against the
 *            submit time the job carries (same machine, same clock).
 * Each is bounded by a time cap; a capped run reports the rate of what finished and purges the rest.
 */
import { Child } from './children.ts';
import { now, sleep, summarize, type CpuTime, type Summary, type WorkerReport } from './common.ts';
import type { PgAdmin } from './pg-admin.ts';
import type { Target } from './target.ts';

export interface Cost {
  /** CPU seconds of the server process (systems that have one). */
  serverCpuS: number | null;
  /** CPU seconds of the worker/executor processes. */
  workerCpuS: number;
  /** CPU seconds of this harness process: the submitters during the E2E and latency runs. */
  harnessCpuS: number;
  /** CPU seconds of the PostgreSQL backends serving this target's database. */
  pgCpuS: number | null;
  /** Peak RSS of the server process so far (it only grows: the kernel's high-water mark). */
  serverPeakRssMB: number | null;
  /** WAL written (whole cluster: other users of this PostgreSQL add to it). */
  walBytes: number | null;
  /**
   * Rows the target's database inserted, updated and deleted (pg_stat_database; measured in the E2E
   * run only, where every job's whole life falls in the window, and not on PGlite).
   */
  rowsWritten: number | null;
  /** Statements sent to PostgreSQL (server and workers, through node-postgres; null on PGlite). */
  pgStatements: number | null;
  /** API requests the server answered (Colonies only). */
  httpRequests: number | null;
}

export interface QueueResult {
  workload: 'drain' | 'e2e' | 'latency';
  n: number;
  done: number;
  seconds: number;
  /** Jobs per second (drain, e2e). */
  rate: number;
  /** Stopped by the time cap (or, for a drain, fewer than asked could be queued within its cap). */
  capped: boolean;
  latency: Summary | null;
  /** Pre-submission rate (drain) or submit rate (e2e). */
  submitRate: number | null;
  /** Jobs submitted within the cap (e2e; equals n elsewhere). */
  submitted: number;
  cost: Cost;
  errors: string[];
}

export interface QueueSizes {
  drain: number;
  /** Jobs drained, unmeasured, before a target's first workload (see runQueueTarget). */
  warmup: number;
  e2e: number;
  inflight: number;
  latencyCount: number;
  latencyIntervalMs: number;
  /** Time caps of the drain's pre-submission and of the drain (also the latency run's tail after its last submit). */
  submitCapMs: number;
  capMs: number;
  /**
   * The end-to-end run's, shorter than the drain's: most peers cannot finish the E2E in any cap (their
   * submission is the limit) and run to it at a steady rate, which a shorter window measures as well.
   */
  e2eCapMs: number;
  /** Whether the E2E counts the rows written (it waits for PostgreSQL's statistics to settle: off in --quick). */
  measureRows: boolean;
}

const PRESUBMIT_CHUNK = 500;

const cpuSeconds = (c: CpuTime) => (c.user + c.system) / 1e6;

/**
 * The worker children, kept across targets: `configure` makes them the next target's workers
 * (a child that died is replaced), which saves starting processes for every target.
 */
export class Workers {
  private pool: Child[] = [];
  children: Child[] = [];
  private spawned = 0;

  async configure(t: Target): Promise<void> {
    this.pool = this.pool.filter((c) => c.alive);
    while (this.pool.length < t.workers.length) {
      const { child } = await Child.spawn(`worker ${++this.spawned}`, './worker.ts', null);
      this.pool.push(child);
    }
    this.children = this.pool.slice(0, t.workers.length);
    await Promise.all(this.children.map((c, i) => c.call('configure', t.workers[i], 60_000)));
  }

  done(): number {
    return this.children.reduce((s, c) => s + c.progress, 0);
  }

  async start(): Promise<void> {
    for (const c of this.children) c.progress = 0;
    await Promise.all(this.children.map((c) => c.call('start')));
  }

  async stop(): Promise<void> {
    await Promise.all(this.children.map((c) => c.call('stop', undefined, 30_000)));
  }

  async collect(): Promise<WorkerReport[]> {
    return Promise.all(this.children.map((c) => c.call<WorkerReport>('collect')));
  }

  /** Resolves true once n jobs are done, false at the deadline (now() ms). */
  async waitDone(n: number, deadline: number): Promise<boolean> {
    while (this.done() < n) {
      if (now() >= deadline) return false;
      await sleep(5);
    }
    return true;
  }

  /** The children let go of the current target (before its database is dropped). */
  async release(): Promise<void> {
    await Promise.all(this.pool.filter((c) => c.alive).map((c) => c.call('release', undefined, 30_000).catch(() => undefined)));
  }

  /** Ends every child (after a failure, so that the next target starts from fresh processes). */
  async kill(): Promise<void> {
    await Promise.all(this.pool.map((c) => c.kill()));
    this.pool = [];
    this.children = [];
  }
}

/** Measures CPU, memory and WAL over a window; with `rows`, the rows written too (it waits for their count to settle). */
export async function costMeter(t: Target, admin: PgAdmin, { rows = false } = {}): Promise<(reports: WorkerReport[]) => Promise<Cost>> {
  const rows0 = rows && t.db ? await admin.rowsWritten(t.db.name) : undefined;
  const server0 = t.server ? await t.server.call<{ cpu: CpuTime; pgStatements: number; httpRequests: number }>('mark') : undefined;
  const pg0 = t.db ? await admin.backendCpu(t.db.name) : undefined;
  // WAL of the shared PostgreSQL says nothing about PGlite.
  const lsn0 = t.store === 'PGlite' ? undefined : await admin.walLsn().catch(() => undefined);
  const harness0 = process.cpuUsage();
  return async (reports) => {
    const harness = process.cpuUsage(harness0);
    const server1 = t.server
      ? await t.server.call<{ cpu: CpuTime; peakRss: number; pgStatements: number; httpRequests: number }>('stats')
      : undefined;
    const workerStatements = reports.reduce((s, r) => s + r.pgStatements, 0);
    return {
      serverCpuS: server0 && server1 ? cpuSeconds(server1.cpu) - cpuSeconds(server0.cpu) : null,
      workerCpuS: reports.reduce((s, r) => s + cpuSeconds(r.cpu), 0),
      harnessCpuS: cpuSeconds(harness),
      pgCpuS: t.db && pg0 ? await admin.backendCpuSince(t.db.name, pg0) : null,
      serverPeakRssMB: server1 ? server1.peakRss / 2 ** 20 : null,
      walBytes: lsn0 ? await admin.walBytesSince(lsn0).catch(() => null) : null,
      rowsWritten: rows0 !== undefined ? (await admin.rowsWritten(t.db!.name)) - rows0 : null,
      pgStatements: t.store === 'PGlite' ? null : workerStatements + (server0 && server1 ? server1.pgStatements - server0.pgStatements : 0),
      httpRequests: server0 && server1 ? server1.httpRequests - server0.httpRequests : null,
    };
  };
}

function merge(reports: WorkerReport[]) {
  const starts = reports.flatMap((r) => (r.firstStartAt === null ? [] : [r.firstStartAt]));
  const ends = reports.flatMap((r) => (r.lastDoneAt === null ? [] : [r.lastDoneAt]));
  return {
    done: reports.reduce((s, r) => s + r.done, 0),
    firstStartAt: starts.length ? Math.min(...starts) : null,
    lastDoneAt: ends.length ? Math.max(...ends) : null,
    latencies: reports.flatMap((r) => r.latencies),
    errors: reports.flatMap((r) => r.errors),
  };
}

/**
 * Each workload starts from an empty, vacuumed queue: what an earlier capped workload left (a claim
 * requeued after its purge, an attempt failed by a stopping worker and retried) would otherwise run
 * here, and count as this workload's (a leftover end-to-end job would read as a latency of seconds).
 */
async function startEmpty(t: Target, admin: PgAdmin): Promise<void> {
  await t.purge();
  // The embedded store too: its own periodic vacuum would clean up after the previous workload in the
  // middle of this one, and its one connection serves nothing meanwhile.
  if (t.db) await admin.vacuum(t.db.url);
  else await t.server?.call('vacuum');
}

/** `around` runs just before and after the measured window (the bench's --profile). */
export interface WorkloadHooks {
  around?: (phase: 'start' | 'stop') => Promise<void>;
}

export async function runDrain(t: Target, w: Workers, admin: PgAdmin, s: QueueSizes, hooks: WorkloadHooks = {}): Promise<QueueResult> {
  await startEmpty(t, admin);
  // Pre-submission is bounded too: a slow submit path drains fewer jobs rather than running for minutes.
  const s0 = now();
  let queued = 0;
  while (queued < s.drain && now() < s0 + s.submitCapMs) {
    const k = Math.min(PRESUBMIT_CHUNK, s.drain - queued);
    await t.submitBulk(k);
    queued += k;
  }
  const submitRate = queued / ((now() - s0) / 1000);
  // A backlog that has waited is one the planner knows of (autovacuum analyzes a table once 2% of it
  // changed; the embedded store's vacuum loop does too): the drain is planned with statistics that
  // count the queued jobs, not those of the empty table startEmpty left.
  if (t.db) await admin.analyze(t.db.url);
  else await t.server?.call('analyze');
  const meter = await costMeter(t, admin);
  await hooks.around?.('start');
  const t0 = now();
  await w.start();
  const finished = await w.waitDone(queued, t0 + s.capMs);
  const reports = await w.collect();
  const cost = await meter(reports);
  await hooks.around?.('stop');
  await w.stop();
  if (!finished) await t.purge();
  const m = merge(reports);
  const seconds = m.firstStartAt !== null && m.lastDoneAt !== null ? (m.lastDoneAt - m.firstStartAt) / 1000 : (now() - t0) / 1000;
  return {
    workload: 'drain',
    n: queued,
    submitted: queued,
    done: m.done,
    seconds,
    rate: m.done / seconds,
    capped: !finished || queued < s.drain,
    latency: null,
    submitRate,
    cost,
    errors: m.errors,
  };
}

export async function runEndToEnd(t: Target, w: Workers, admin: PgAdmin, s: QueueSizes, hooks: WorkloadHooks = {}): Promise<QueueResult> {
  await startEmpty(t, admin);
  await w.start();
  await sleep(300); // workers idle in their waits
  const meter = await costMeter(t, admin, { rows: s.measureRows });
  await hooks.around?.('start');
  const t0 = now();
  const deadline = t0 + s.e2eCapMs;
  let submitted = 0;
  const errors: string[] = [];
  await Promise.all(
    Array.from({ length: s.inflight }, async () => {
      while (submitted < s.e2e && now() < deadline && errors.length < 10) {
        submitted++;
        try {
          await t.submitOne(now());
        } catch (err) {
          errors.push(`submit: ${(err as Error).message}`);
        }
      }
    }),
  );
  const submitSeconds = (now() - t0) / 1000;
  const finished = await w.waitDone(submitted, deadline);
  const reports = await w.collect();
  const cost = await meter(reports);
  await hooks.around?.('stop');
  await w.stop();
  if (!finished || submitted < s.e2e) await t.purge();
  const m = merge(reports);
  const seconds = ((m.lastDoneAt ?? now()) - t0) / 1000;
  return {
    workload: 'e2e',
    n: s.e2e,
    submitted,
    done: m.done,
    seconds,
    rate: m.done / seconds,
    capped: !finished || submitted < s.e2e,
    latency: summarize(m.latencies),
    submitRate: submitted / submitSeconds,
    cost,
    errors: [...errors, ...m.errors],
  };
}

export async function runLatency(t: Target, w: Workers, admin: PgAdmin, s: QueueSizes): Promise<QueueResult> {
  await startEmpty(t, admin);
  await w.start();
  await sleep(300); // workers idle in their waits
  const meter = await costMeter(t, admin);
  const t0 = now();
  const errors: string[] = [];
  const submits: Promise<void>[] = [];
  for (let i = 0; i < s.latencyCount; i++) {
    const wait = t0 + i * s.latencyIntervalMs - now();
    if (wait > 0) await sleep(wait);
    submits.push(t.submitOne(now()).catch((err: unknown) => void errors.push(`submit: ${(err as Error).message}`)));
  }
  await Promise.all(submits);
  const finished = await w.waitDone(s.latencyCount, t0 + s.latencyCount * s.latencyIntervalMs + s.capMs);
  const reports = await w.collect();
  const cost = await meter(reports);
  await w.stop();
  if (!finished) await t.purge();
  const m = merge(reports);
  const seconds = (now() - t0) / 1000;
  return {
    workload: 'latency',
    n: s.latencyCount,
    submitted: s.latencyCount,
    done: m.done,
    seconds,
    rate: m.done / seconds,
    capped: !finished,
    latency: summarize(m.latencies),
    submitRate: null,
    cost,
    errors: [...errors, ...m.errors],
  };
}
