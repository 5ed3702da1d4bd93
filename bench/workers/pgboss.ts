/**
 * pg-boss 10 workers.
 *   work:  its documented API, `work(queue, {batchSize, pollingIntervalSeconds}, handler)`, one per
 *          slot. A v10 worker fetches up to batchSize jobs, runs the handler, completes them, and then
 *          sleeps out the rest of its polling interval (0.5 s is the minimum pg-boss accepts).
 *   fetch: tight loops of fetch(batchSize) → complete(ids), sleeping `pollMs` only when the queue is empty.
 */
import PgBoss from 'pg-boss';
import { sleep, type WorkerArgs } from '../common.ts';
import type { JobRunner, Sink } from './runner.ts';

type Args = Extract<WorkerArgs, { kind: 'pg-boss' }>;

export async function createPgBossRunner(args: Args, sink: Sink): Promise<JobRunner> {
  const boss = new PgBoss({ connectionString: args.url, max: args.slots + 2 });
  boss.on('error', (err) => sink.error(err));
  await boss.start();
  let stopping: AbortController | undefined;
  let loops: Promise<void>[] = [];

  const handle = (jobs: PgBoss.Job<{ t?: number }>[]) => {
    for (const j of jobs) sink.started(j.data?.t);
  };

  async function fetchLoop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        const jobs = await boss.fetch<{ t?: number }>(args.queue, { batchSize: args.batch });
        if (jobs.length === 0) {
          await sleep(args.pollMs);
          continue;
        }
        handle(jobs);
        await boss.complete(
          args.queue,
          jobs.map((j) => j.id),
        );
        sink.done(jobs.length);
      } catch (err) {
        sink.error(err);
        await sleep(100);
      }
    }
  }

  return {
    async start() {
      if (args.mode === 'work') {
        for (let i = 0; i < args.slots; i++) {
          await boss.work<{ t?: number }>(args.queue, { batchSize: args.batch, pollingIntervalSeconds: args.pollMs / 1000 }, async (jobs) => {
            handle(jobs);
            // pg-boss completes the batch right after the handler resolves (not awaited by its loop).
            sink.done(jobs.length);
          });
        }
      } else {
        stopping = new AbortController();
        const signal = stopping.signal;
        loops = Array.from({ length: args.slots }, () => fetchLoop(signal));
      }
    },
    async stop() {
      if (args.mode === 'work') await boss.offWork(args.queue);
      stopping?.abort();
      await Promise.all(loops);
      loops = [];
    },
    async close() {
      await boss.stop({ graceful: false, wait: true, timeout: 2000 });
    },
  };
}
