/**
 * A worker child: Colonies executors or a peer's workers, running no-op jobs and counting them.
 * Commands: configure {args} (become another target's worker), start (begin taking work; counters reset),
 * stop (stop taking work), collect (the WorkerReport since start), exit. Progress (jobs done) is pushed every 20 ms.
 */
import { childArgs, fatal, progress, ready, serveParent } from './child-side.ts';
import { errorText, now, type WorkerArgs, type WorkerReport } from './common.ts';
import { installPgCounter } from './pg-count.ts';
import type { JobRunner, Sink } from './workers/runner.ts';

const MAX_ERRORS = 20;

function createSink() {
  const statements = installPgCounter();
  let r: WorkerReport;
  const reset = () => {
    r = { done: 0, firstStartAt: null, lastDoneAt: null, latencies: [], cpu: process.cpuUsage(), pgStatements: statements(), extras: {}, errors: [] };
  };
  reset();
  const sink: Sink = {
    started(submittedAt) {
      const t = now();
      r.firstStartAt ??= t;
      if (typeof submittedAt === 'number') r.latencies.push(t - submittedAt);
    },
    done(n = 1) {
      r.done += n;
      r.lastDoneAt = now();
    },
    extra(key, value) {
      (r.extras[key] ??= []).push(value);
    },
    error(err) {
      if (r.errors.length < MAX_ERRORS) r.errors.push(errorText(err).split('\n').slice(0, 3).join(' | '));
    },
  };
  return { sink, reset, report: () => ({ ...r, cpu: process.cpuUsage(r.cpu), pgStatements: statements() - r.pgStatements }), done: () => r.done };
}

async function load(args: WorkerArgs, sink: Sink): Promise<JobRunner> {
  switch (args.kind) {
    case 'colonies':
      return (await import('./workers/colonies.ts')).createColoniesRunner(args, sink);
    case 'pg-boss':
      return (await import('./workers/pgboss.ts')).createPgBossRunner(args, sink);
    case 'graphile-worker':
      return (await import('./workers/graphile.ts')).createGraphileRunner(args, sink);
    case 'raw-sql':
      return (await import('./workers/raw.ts')).createRawRunner(args, sink);
  }
}

try {
  const counters = createSink();
  let runner: JobRunner | undefined;
  let running = false;
  const release = async () => {
    if (running) await runner?.stop().catch(() => undefined);
    running = false;
    await runner?.close().catch(() => undefined);
    runner = undefined;
  };
  const initial = childArgs<WorkerArgs | null>();
  if (initial) runner = await load(initial, counters.sink);
  let sent = -1;
  const ticker = setInterval(() => {
    const d = counters.done();
    if (d !== sent) {
      sent = d;
      progress(d);
    }
  }, 20);
  serveParent(
    {
      // One child serves target after target (saves a process start per target): configure swaps the runner.
      configure: async (args) => {
        await release();
        runner = await load(args as WorkerArgs, counters.sink);
        return true;
      },
      start: async () => {
        if (!runner) throw new Error('not configured');
        counters.reset();
        sent = -1;
        running = true;
        await runner.start();
        return true;
      },
      stop: async () => {
        if (running) await runner?.stop();
        running = false;
        return true;
      },
      collect: () => counters.report(),
      /** Lets go of the target (its connections) before its database is dropped. */
      release: async () => {
        await release();
        return true;
      },
    },
    async () => {
      clearInterval(ticker);
      await release();
    },
  );
  ready();
} catch (err) {
  fatal(err);
}
