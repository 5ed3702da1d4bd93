/**
 * Shared by the harness and its child processes: the clock, statistics, and the IPC protocol.
 *
 * Timestamps cross processes (submit time in the orchestrator, function start in a worker), so they
 * must share one clock domain: `now()` is wall-clock milliseconds since the epoch (the same domain as
 * Date.now(), which every process on this machine reads from the same system clock) with the
 * sub-millisecond resolution of performance.now(), because the latency targets are a few ms.
 */
export const now = (): number => performance.timeOrigin + performance.now();

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface Summary {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export function summarize(samples: readonly number[]): Summary | null {
  if (samples.length === 0) return null;
  const s = [...samples].sort((a, b) => a - b);
  return {
    n: s.length,
    p50: percentile(s, 50),
    p90: percentile(s, 90),
    p99: percentile(s, 99),
    max: s[s.length - 1]!,
    mean: s.reduce((a, b) => a + b, 0) / s.length,
  };
}

/** Seeded PRNG (mulberry32): the random DAG is the same in every run. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface CpuTime {
  user: number;
  system: number;
}

/** What a worker child reports when asked to `collect` (counters reset at `start`). */
export interface WorkerReport {
  done: number;
  /** now() of the first function start and of the last completion since `start`. */
  firstStartAt: number | null;
  lastDoneAt: number | null;
  /** submit → function start, ms, for jobs that carried their submit time. */
  latencies: number[];
  cpu: CpuTime;
  /** Statements sent to PostgreSQL through node-postgres (peers' workers; 0 for Colonies executors). */
  pgStatements: number;
  /** Workload-specific records (chain hop times, reduce sums). */
  extras: Record<string, unknown[]>;
  errors: string[];
}

/** Parent → child: a call with an id; the child answers with the same id. */
export interface CallMessage {
  id: number;
  cmd: string;
  data?: unknown;
}

/** Child → parent. */
export type ChildMessage =
  | { type: 'ready'; data?: unknown }
  | { type: 'reply'; id: number; ok: true; result: unknown }
  | { type: 'reply'; id: number; ok: false; error: string }
  | { type: 'progress'; done: number }
  | { type: 'fatal'; error: string };

/** Arguments of a worker child, by kind. */
export type WorkerArgs =
  | {
      kind: 'colonies';
      mode: 'single' | 'batch';
      url: string;
      colonyname: string;
      executortype: string;
      prvkey: string;
      /** single: Executor slots; batch: long-poll loops. */
      slots: number;
      /** batch: processes per assign (and per closeMany). */
      batch: number;
    }
  | { kind: 'pg-boss'; mode: 'work' | 'fetch'; url: string; queue: string; slots: number; batch: number; pollMs: number }
  | { kind: 'graphile-worker'; mode: 'default' | 'batched'; url: string; slots: number; localQueue: number }
  | { kind: 'raw-sql'; url: string; connections: number; batch: number };

export function errorText(err: unknown): string {
  if (err instanceof Error) return err.stack ?? err.message;
  return String(err);
}
