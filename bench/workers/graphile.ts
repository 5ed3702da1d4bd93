/**
 * graphile-worker 0.17 runners: `run({concurrency, taskList})` as documented (LISTEN/NOTIFY wake-ups),
 * and the same with its batching options (a local queue of prefetched jobs and batched completions,
 * the settings of its own performance page).
 */
import { Logger, run, type Runner } from 'graphile-worker';
import type { WorkerArgs } from '../common.ts';
import type { JobRunner, Sink } from './runner.ts';

type Args = Extract<WorkerArgs, { kind: 'graphile-worker' }>;

const quiet = new Logger(() => () => {});

export async function createGraphileRunner(args: Args, sink: Sink): Promise<JobRunner> {
  let runner: Runner | undefined;
  return {
    async start() {
      runner = await run({
        connectionString: args.url,
        concurrency: args.slots,
        maxPoolSize: Math.max(10, args.slots + 2),
        noHandleSignals: true,
        logger: quiet,
        taskList: {
          noop: async (payload) => {
            sink.started((payload as { t?: number } | null)?.t);
          },
        },
        ...(args.mode === 'batched'
          ? { preset: { worker: { localQueue: { size: args.localQueue }, completeJobBatchDelay: 0, failJobBatchDelay: 0 } } }
          : {}),
      });
      // job:success fires when the task resolved; completion (single or batched) follows at once.
      runner.events.on('job:success', () => sink.done(1));
      runner.events.on('job:error', ({ error }) => sink.error(error));
    },
    async stop() {
      await runner?.stop();
      runner = undefined;
    },
    async close() {},
  };
}
