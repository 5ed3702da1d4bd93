/** The contract between a worker child (bench/worker.ts) and the job runners it loads from bench/workers/. */

/** What a job runner tells the counters. */
export interface Sink {
  /** A function started; `submittedAt` (now() in the submitter) when the job carried it. */
  started(submittedAt?: unknown): void;
  /** n jobs completed (acknowledged to their queue, where the runner can see it). */
  done(n?: number): void;
  extra(key: string, value: unknown): void;
  error(err: unknown): void;
}

/** One target's workers, taking work between start and stop. */
export interface JobRunner {
  start(): Promise<void>;
  stop(): Promise<void>;
  close(): Promise<void>;
}
