/**
 * An example executor (what examples/python_executor.py is to ColonyOS): one SDK Executor per executor
 * type it serves, each registering and approving itself with the colony owner's key and serving every
 * function of examples/functions.ts. One line per process it runs; SIGINT/SIGTERM stop it gracefully
 * (a second signal fails whatever is still running, so the server can retry it elsewhere).
 *
 *   source .colonies/dev.env && npx tsx examples/executor.ts [--types ts-executor,hpc-executor] [--concurrency 2]
 *
 * Environment: COLONIES_SERVER_URL (or COLONIES_SERVER_HOST + COLONIES_SERVER_PORT),
 * COLONIES_COLONY_NAME, COLONIES_COLONY_PRVKEY.
 */
import { parseArgs } from 'node:util';
import { clientEnv } from '../executor/env.ts';
import { Executor, type ExecutionContext, type ExecutorFunction } from '../executor/executor.ts';
import { CLOUD_EXECUTOR, CONTAINER_EXECUTOR, HPC_EXECUTOR, isMain, TS_EXECUTOR } from './common.ts';
import * as functions from './functions.ts';

/** The tutorial's type plus the three platforms of the cross-platform example. */
export const DEFAULT_TYPES: readonly string[] = [TS_EXECUTOR, CONTAINER_EXECUTOR, HPC_EXECUTOR, CLOUD_EXECUTOR];

export interface ExampleExecutorsOptions {
  url: string;
  colonyname: string;
  /** The colony owner's key: each executor registers and approves itself with it. */
  colonyPrvkey: string;
  types?: readonly string[];
  /** Processes each executor runs at once. */
  concurrency?: number;
  /** Seconds each long-poll for work waits. */
  assignTimeout?: number;
  /** Where the one-line-per-process log goes; silent when absent. */
  log?: (line: string) => void;
}

export interface ExampleExecutors {
  executors: Executor[];
  /** The executor serving a type. */
  byType(executortype: string): Executor | undefined;
  /** Stops them all; running functions get graceMs to finish. */
  stop(graceMs?: number): Promise<void>;
}

/** examples/functions.ts, each function wrapped to log one line when its process finishes. */
function servedFunctions(executortype: string, log: (line: string) => void): Record<string, ExecutorFunction> {
  const served: Record<string, ExecutorFunction> = {};
  for (const [name, value] of Object.entries(functions)) {
    if (typeof value !== 'function') continue;
    const fn = value as ExecutorFunction;
    served[name] = async (ctx: ExecutionContext, ...args: unknown[]) => {
      const p = ctx.process;
      const what = `${executortype} ${p.spec.nodename} (${name}) process ${p.processid.slice(0, 12)}${p.retries > 0 ? ` retry ${p.retries}` : ''}`;
      const started = Date.now();
      try {
        const result = await fn(ctx, ...args);
        log(`${what}: done in ${Date.now() - started} ms → ${JSON.stringify(result) ?? 'nothing'}`);
        return result;
      } catch (err) {
        log(`${what}: failed in ${Date.now() - started} ms: ${err instanceof Error ? err.message : String(err)}`);
        throw err;
      }
    };
  }
  return served;
}

/** Starts one registered, approved Executor per type; all serve examples/functions.ts. */
export async function startExampleExecutors(o: ExampleExecutorsOptions): Promise<ExampleExecutors> {
  const log = o.log ?? (() => undefined);
  const types = [...new Set(o.types ?? DEFAULT_TYPES)];
  if (types.length === 0) throw new Error('no executor types to serve');
  const executors = types.map(
    (executortype) =>
      new Executor({
        url: o.url,
        colonyname: o.colonyname,
        colonyPrvkey: o.colonyPrvkey,
        executortype,
        functions: servedFunctions(executortype, log),
        concurrency: o.concurrency ?? 1,
        ...(o.assignTimeout !== undefined ? { assignTimeout: o.assignTimeout } : {}),
        onError: (err) => log(`${executortype}: ${err instanceof Error ? err.message : String(err)}`),
      }),
  );
  const stop = async (graceMs?: number) => {
    await Promise.all(executors.map((e) => e.stop(graceMs)));
  };
  try {
    for (const e of executors) await e.start();
  } catch (err) {
    await stop(0);
    throw err;
  }
  return { executors, byType: (t) => executors.find((_, i) => types[i] === t), stop };
}

async function cli(): Promise<void> {
  const { values } = parseArgs({
    options: {
      types: { type: 'string', short: 't' },
      concurrency: { type: 'string', short: 'c' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(
      `Usage: npx tsx examples/executor.ts [--types ${DEFAULT_TYPES.join(',')}] [--concurrency 1]\n` +
        'Serves examples/functions.ts; needs COLONIES_SERVER_URL, COLONIES_COLONY_NAME and COLONIES_COLONY_PRVKEY (source .colonies/dev.env).',
    );
    return;
  }
  const env = clientEnv();
  if (!env.colonyname || !env.colonyPrvkey) {
    console.error(
      'COLONIES_COLONY_NAME and COLONIES_COLONY_PRVKEY must be set: start a dev server (npm run dev) and run "source .colonies/dev.env" first',
    );
    process.exitCode = 2;
    return;
  }
  const types = values.types
    ? values.types
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean)
    : DEFAULT_TYPES;
  const concurrency = values.concurrency ? Number(values.concurrency) : 1;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    console.error(`--concurrency must be a positive integer, got ${values.concurrency}`);
    process.exitCode = 2;
    return;
  }
  const log = (line: string) => console.log(`${new Date().toISOString()} ${line}`);
  const running = await startExampleExecutors({ url: env.url, colonyname: env.colonyname, colonyPrvkey: env.colonyPrvkey, types, concurrency, log });
  for (const e of running.executors) log(`executor ${e.executorname} started (colony ${env.colonyname}, server ${env.url})`);
  log(
    `serving ${Object.keys(functions)
      .filter((k) => typeof (functions as Record<string, unknown>)[k] === 'function')
      .join(', ')}; Ctrl-C stops`,
  );

  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    log(signals > 1 ? `${signal} again: failing running processes and stopping now` : `${signal}: stopping (running processes may finish)`);
    void running.stop(signals > 1 ? 0 : undefined).then(() => {
      log('stopped');
      process.exit(0);
    });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

if (isMain(import.meta.url)) {
  try {
    await cli();
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    process.exitCode = 1;
  }
}
