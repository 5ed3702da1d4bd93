/**
 * Multiple dependencies: fetch_a and fetch_b run in parallel, merge(a, b) depends on both → 10 + 20 = 30.
 *   npx tsx examples/fan-in.ts
 */
import type { ColoniesClient } from '../executor/client.ts';
import { funcSpec, Workflow } from '../executor/workflow.ts';
import { isMain, main, submitAndWait, TS_EXECUTOR, type ExampleResult, type RunOptions } from './common.ts';
import { fetch_a, fetch_b, merge } from './functions.ts';

export const expected = 30;

export function workflow(colonyname?: string): Workflow {
  const wf = new Workflow(colonyname);
  // Two parallel fetchers.
  wf.add(funcSpec({ func: fetch_a, args: [], executortype: TS_EXECUTOR, maxexectime: 60, maxwaittime: 60 }));
  wf.add(funcSpec({ func: fetch_b, args: [], executortype: TS_EXECUTOR, maxexectime: 60, maxwaittime: 60 }));
  // Merge depends on both; its input is [fetch_a's output, fetch_b's output], in this order.
  const fMerge = funcSpec({ func: merge, args: [], executortype: TS_EXECUTOR, maxexectime: 60, maxwaittime: 60 });
  fMerge.conditions.dependencies.push('fetch_a', 'fetch_b');
  wf.add(fMerge);
  return wf;
}

export function run(client: ColoniesClient, o: RunOptions = {}): Promise<ExampleResult<number>> {
  return submitAndWait<number>(client, workflow(client.colonyname), 'merge', o);
}

if (isMain(import.meta.url)) {
  process.exitCode = await main(run, (r) => (r.result === expected ? undefined : `expected ${expected}, got ${JSON.stringify(r.result)}`));
}
