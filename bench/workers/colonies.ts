/**
 * Colonies executors for the bench, through the SDK, every request signed and over HTTP.
 *   single: the SDK's Executor (one long-poll for its free slots; results go in with the next assign).
 *   batch:  loops that assign up to K processes per long-poll and hand their results in with the next assign.
 * The functions are no-ops except for what the graph workloads need (map adds children, range lists, reduce sums,
 * step records when it started).
 */
import { ColoniesClient } from '../../executor/client.ts';
import { Executor } from '../../executor/executor.ts';
import type { Process } from '../../protocol/types.ts';
import { now, sleep, type WorkerArgs } from '../common.ts';
import type { JobRunner, Sink } from './runner.ts';

type Args = Extract<WorkerArgs, { kind: 'colonies' }>;

interface Ctx {
  process: Process;
  client: ColoniesClient;
  executortype: string;
}

const MAP_CHUNK = 5000;

function benchFunctions(sink: Sink) {
  return {
    /** args: [submittedAt] when the submitter measures reaction latency. */
    noop: (_ctx: Ctx, submittedAt?: unknown) => {
      sink.started(submittedAt);
    },
    /** A map-reduce leaf: contributes 1 to the sum. */
    gen: () => {
      sink.started();
      return 1;
    },
    /** The expand workload's list: 0 … n-1 (its output, which `each` expands over). */
    range: (_ctx: Ctx, n: number) => {
      sink.started();
      return Array.from({ length: n }, (_, i) => i);
    },
    /** Adds `width` gen children, each an extra parent of reduce (add_child insert=false). */
    map: async (ctx: Ctx, width: number) => {
      sink.started();
      const graphid = ctx.process.processgraphid!;
      const reduce = await ctx.client.findProcess(graphid, 'reduce');
      for (let i = 0; i < width; i += MAP_CHUNK) {
        const n = Math.min(MAP_CHUNK, width - i);
        await ctx.client.addChildren(
          graphid,
          ctx.process.processid,
          Array.from({ length: n }, (_, k) => ({
            spec: { funcname: 'gen', executortype: ctx.executortype, nodename: `gen_${i + k}` },
            childprocessid: reduce.processid,
            insert: false,
          })),
        );
      }
    },
    reduce: (_ctx: Ctx, ...nums: number[]) => {
      sink.started();
      let sum = 0;
      for (const n of nums) sum += n;
      sink.extra('sums', sum);
      return sum;
    },
    /** A chain step: records [index, start time] (its args, since a parent's empty output leaves them). */
    step: (ctx: Ctx) => {
      sink.started();
      sink.extra('hops', [ctx.process.spec.args[0], now()]);
    },
  };
}

export async function createColoniesRunner(args: Args, sink: Sink): Promise<JobRunner> {
  const fns = benchFunctions(sink);
  return args.mode === 'single' ? singleRunner(args, sink, fns) : batchRunner(args, sink, fns);
}

function singleRunner(args: Args, sink: Sink, fns: ReturnType<typeof benchFunctions>): JobRunner {
  let ex: Executor | undefined;
  return {
    async start() {
      ex = new Executor({
        url: args.url,
        colonyname: args.colonyname,
        executortype: args.executortype,
        prvkey: args.prvkey,
        functions: fns,
        concurrency: args.slots,
        assignTimeout: 10,
        graceMs: 2000,
        onError: (err) => sink.error(err),
      });
      // Count a process when its close has been acknowledged, not when the function returned. (The
      // Executor hands closes in with its next assign, or together in one closeMany.)
      const client = ex.client;
      const closeMany = client.closeMany.bind(client);
      client.closeMany = async (...a: Parameters<ColoniesClient['closeMany']>) => {
        const r = await closeMany(...a);
        sink.done(r.closed.length);
        return r;
      };
      const closeAndAssign = client.closeAndAssign.bind(client);
      client.closeAndAssign = async (...a: Parameters<ColoniesClient['closeAndAssign']>) => {
        const r = await closeAndAssign(...a);
        sink.done(r.closed.length);
        return r;
      };
      await ex.start();
    },
    async stop() {
      await ex?.stop(2000);
      ex = undefined;
    },
    async close() {},
  };
}

function batchRunner(args: Args, sink: Sink, fns: ReturnType<typeof benchFunctions>): JobRunner {
  const client = new ColoniesClient({ url: args.url, prvkey: args.prvkey, colonyname: args.colonyname });
  const table = fns as unknown as Record<string, (ctx: Ctx, ...a: unknown[]) => unknown>;
  let polls: AbortController | undefined;
  let loops: Promise<void>[] = [];

  async function runOne(p: Process): Promise<{ processid: string; attempt: number; out: unknown[] }> {
    const fn = table[p.spec.funcname];
    if (!fn) throw new Error(`bench executor has no function ${p.spec.funcname}`);
    const input = p.in.length > 0 ? p.in : p.spec.args;
    const r = await fn({ process: p, client, executortype: args.executortype }, ...input);
    return { processid: p.processid, attempt: p.attempt, out: Array.isArray(r) ? r : r === undefined ? [] : [r] };
  }

  async function loop(signal: AbortSignal): Promise<void> {
    let closes: { processid: string; attempt: number; out: unknown[] }[] = [];
    while (!signal.aborted) {
      let procs: Process[];
      try {
        if (closes.length > 0) {
          // The results go in with the next assign (no wait: an empty queue answers at once).
          const r = await client.closeAndAssign(closes, { timeout: 0, count: args.batch }, signal);
          sink.done(r.closed.length);
          if (r.refused.length > 0) sink.error(new Error(`closeAndAssign refused ${r.refused.length}`));
          procs = r.processes;
        } else {
          procs = await client.assign({ timeout: 10, count: args.batch }, signal);
        }
        closes = [];
      } catch (err) {
        if (signal.aborted) return;
        sink.error(err);
        await sleep(100);
        continue;
      }
      if (procs.length > 0) closes = await Promise.all(procs.map(runOne));
    }
    if (closes.length > 0)
      await client.closeMany(closes).then(
        (r) => sink.done(r.closed.length),
        (err: unknown) => sink.error(err),
      );
  }

  return {
    async start() {
      polls = new AbortController();
      const signal = polls.signal;
      loops = Array.from({ length: args.slots }, () => loop(signal));
    },
    async stop() {
      polls?.abort();
      await Promise.all(loops);
      loops = [];
    },
    async close() {},
  };
}
