/**
 * A dynamic workflow: map adds five gen_nums children while it runs, all feeding reduce
 * → (1 + 2) × 5 = 15.
 *   npx tsx examples/map-reduce.ts
 */
import type { ColoniesClient } from '../executor/client.ts';
import { funcSpec, Workflow } from '../executor/workflow.ts';
import { isMain, main, submitAndWait, TS_EXECUTOR, type ExampleResult, type RunOptions } from './common.ts';
import { map, reduce } from './functions.ts';

export const expected = 15;

export function workflow(colonyname?: string): Workflow {
  const wf = new Workflow(colonyname);
  // Map: adds the gen_nums children at run time (see map in functions.ts).
  wf.add(funcSpec({ func: map, args: [], executortype: TS_EXECUTOR, maxexectime: 100, maxwaittime: 100 }));
  // Reduce: depends on map; by the time it runs its parents are the five gen_nums.
  const fReduce = funcSpec({ func: reduce, args: [], executortype: TS_EXECUTOR, maxexectime: 100, maxwaittime: 100 });
  fReduce.conditions.dependencies.push('map');
  wf.add(fReduce);
  return wf;
}

export function run(client: ColoniesClient, o: RunOptions = {}): Promise<ExampleResult<number>> {
  return submitAndWait<number>(client, workflow(client.colonyname), 'reduce', o);
}

if (isMain(import.meta.url)) {
  process.exitCode = await main(run, (r) => (r.result === expected ? undefined : `expected ${expected}, got ${JSON.stringify(r.result)}`));
}
