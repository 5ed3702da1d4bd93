/**
 * The tutorial's basic workflow: gen_nums() returns (1, 2), sum_nums(n1, n2) depends on it → 3.
 *   npx tsx examples/two-steps.ts      (with .colonies/dev.env sourced and examples/executor.ts running)
 */
import type { ColoniesClient } from '../executor/client.ts';
import { funcSpec, Workflow } from '../executor/workflow.ts';
import { isMain, main, submitAndWait, TS_EXECUTOR, type ExampleResult, type RunOptions } from './common.ts';
import { gen_nums, sum_nums } from './functions.ts';

export const expected = 3;

export function workflow(colonyname?: string): Workflow {
  const wf = new Workflow(colonyname);
  // First function: generates data.
  wf.add(funcSpec({ func: gen_nums, args: [], executortype: TS_EXECUTOR, maxexectime: 100, maxwaittime: 100 }));
  // Second function: depends on the first; its input is gen_nums' output, (1, 2).
  const f2 = funcSpec({ func: sum_nums, args: [], executortype: TS_EXECUTOR, maxexectime: 100, maxwaittime: 100 });
  f2.conditions.dependencies.push('gen_nums');
  wf.add(f2);
  return wf;
}

export function run(client: ColoniesClient, o: RunOptions = {}): Promise<ExampleResult<number>> {
  return submitAndWait<number>(client, workflow(client.colonyname), 'sum_nums', o);
}

if (isMain(import.meta.url)) {
  process.exitCode = await main(run, (r) => (r.result === expected ? undefined : `expected ${expected}, got ${JSON.stringify(r.result)}`));
}
