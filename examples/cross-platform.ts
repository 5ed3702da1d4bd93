/**
 * A workflow spanning three executor types: fetch on a container executor, process on an HPC
 * executor, store on a cloud executor. Each step records where it ran, so the result shows the path.
 *   npx tsx examples/cross-platform.ts
 */
import { isDeepStrictEqual } from 'node:util';
import type { ColoniesClient } from '../executor/client.ts';
import { funcSpec, Workflow } from '../executor/workflow.ts';
import {
  CLOUD_EXECUTOR,
  CONTAINER_EXECUTOR,
  HPC_EXECUTOR,
  isMain,
  main,
  node,
  submitAndWait,
  type ExampleResult,
  type RunOptions,
} from './common.ts';
import { fetch, process as processData, store, type Stored } from './functions.ts';

/** The node names of the three steps and the executor type each must run on. */
export const steps = [
  { nodename: 'fetch', executortype: CONTAINER_EXECUTOR },
  { nodename: 'process', executortype: HPC_EXECUTOR },
  { nodename: 'store', executortype: CLOUD_EXECUTOR },
] as const;

export const expected: Stored = {
  dataset: 'dataset',
  count: 10,
  sum: 55,
  mean: 5.5,
  fetchedOn: CONTAINER_EXECUTOR,
  processedOn: HPC_EXECUTOR,
  storedOn: CLOUD_EXECUTOR,
  location: 'cloud://results/dataset.json',
};

export function workflow(colonyname?: string): Workflow {
  const wf = new Workflow(colonyname);
  // Fetch from the data source (container executor).
  wf.add(funcSpec({ func: fetch, args: ['dataset'], executortype: CONTAINER_EXECUTOR, maxexectime: 300, maxwaittime: 60 }));
  // Process on HPC (hpc executor).
  const f2 = funcSpec({ func: processData, args: [], executortype: HPC_EXECUTOR, maxexectime: 3600, maxwaittime: 300 });
  f2.conditions.dependencies.push('fetch');
  wf.add(f2);
  // Store the results (cloud executor).
  const f3 = funcSpec({ func: store, args: [], executortype: CLOUD_EXECUTOR, maxexectime: 120, maxwaittime: 60 });
  f3.conditions.dependencies.push('process');
  wf.add(f3);
  return wf;
}

export function run(client: ColoniesClient, o: RunOptions = {}): Promise<ExampleResult<Stored>> {
  return submitAndWait<Stored>(client, workflow(client.colonyname), 'store', o);
}

/** What is wrong with a finished run (undefined when nothing): the receipt, and one executor per step. */
export function check(r: ExampleResult<Stored>): string | undefined {
  if (!isDeepStrictEqual(r.result, expected)) return `expected ${JSON.stringify(expected)}, got ${JSON.stringify(r.result)}`;
  const ran = steps.map((s) => node(r.graph, s.nodename));
  for (const [i, p] of ran.entries()) {
    if (p?.spec.executortype !== steps[i]!.executortype) return `${steps[i]!.nodename} was not submitted to ${steps[i]!.executortype}`;
  }
  if (new Set(ran.map((p) => p?.assignedexecutorid)).size !== steps.length) return 'the three steps did not run on three different executors';
  return undefined;
}

if (isMain(import.meta.url)) {
  process.exitCode = await main(run, check, {});
}
