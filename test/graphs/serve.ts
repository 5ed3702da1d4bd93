/** Test helpers for graph suites: an SDK Executor serving functions for one executor type, and a seeded PRNG. */
import type { Fixture } from '../helpers/fixture.ts';
import { Executor, type ExecutorFunction, type ExecutorOptions } from '../../executor/executor.ts';

/** Registers a fresh approved executor of `type` in colony A and starts an SDK Executor with it (`extra`: more options). */
export async function serve(
  f: Fixture,
  type: string,
  functions: Record<string, ExecutorFunction>,
  concurrency = 4,
  extra: Partial<ExecutorOptions> = {},
): Promise<Executor> {
  const e = await f.addExecutor(type);
  const ex = new Executor({
    url: f.url,
    colonyname: f.a.colonyname,
    executortype: type,
    executorname: e.name,
    prvkey: e.key.prvkey,
    functions,
    concurrency,
    assignTimeout: 5,
    ...extra,
  });
  await ex.start();
  return ex;
}

/** mulberry32: a small deterministic PRNG, so a failing random graph can be replayed from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
