/** A system under test as the workloads see it: how to submit, which workers to start, what to measure. */
import type { Child } from './children.ts';
import type { WorkerArgs } from './common.ts';

export type Role = 'ours' | 'peer' | 'floor';

export interface Target {
  /** Stable key in the JSON, e.g. colonies-postgres-single. */
  id: string;
  system: string;
  role: Role;
  /** default = the plain per-job API; batched = the system's batching options. */
  variant: 'default' | 'batched';
  store: 'PostgreSQL' | 'PGlite';
  /** Human description of the settings, printed under the table. */
  settings: string;
  /** One worker child per entry. */
  workers: WorkerArgs[];
  /** The database this target uses on the shared PostgreSQL (for backend CPU and VACUUM). */
  db?: { name: string; url: string };
  /** The separately running server process, when the system has one. */
  server?: Child;
  /** Pre-submission, as fast as the system allows (not measured as throughput). */
  submitBulk(n: number): Promise<void>;
  /** One job through the system's ordinary submit call, carrying its submit time. */
  submitOne(t: number): Promise<void>;
  /** Removes jobs a capped workload left queued. */
  purge(): Promise<void>;
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function pool<T>(items: number, limit: number, fn: (i: number) => Promise<T>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items) }, async () => {
      while (next < items) await fn(next++);
    }),
  );
}
