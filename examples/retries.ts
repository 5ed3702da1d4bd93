/**
 * Error handling: flaky fails on its first two attempts; with maxretries=3 the server puts it back to
 * WAITING after each failure, the third attempt succeeds, and the workflow ends SUCCESS with retries=2.
 *   npx tsx examples/retries.ts
 */
import { isDeepStrictEqual } from 'node:util';
import type { ColoniesClient } from '../executor/client.ts';
import { funcSpec, Workflow } from '../executor/workflow.ts';
import { isMain, main, node, submitAndWait, TS_EXECUTOR, type ExampleResult, type RunOptions } from './common.ts';
import { flaky, FLAKY_FAILURES } from './functions.ts';

export const expected = { ok: true, retries: FLAKY_FAILURES };

export function workflow(colonyname?: string, maxretries = 3): Workflow {
  const wf = new Workflow(colonyname);
  wf.add(
    funcSpec({
      func: flaky,
      args: [],
      executortype: TS_EXECUTOR,
      maxexectime: 300, // 5 minutes max execution
      maxwaittime: 60, // 1 minute to find an executor
      maxretries, // retry up to 3 times on failure
    }),
  );
  return wf;
}

export interface RetriesOptions extends RunOptions {
  /** Defaults to 3; below 2 the workflow fails (that is how the test shows a failed run). */
  maxretries?: number;
}

export function run(client: ColoniesClient, o: RetriesOptions = {}): Promise<ExampleResult<{ ok: boolean; retries: number }>> {
  return submitAndWait(client, workflow(client.colonyname, o.maxretries), 'flaky', o);
}

export function check(r: ExampleResult<{ ok: boolean; retries: number }>): string | undefined {
  const p = node(r.graph, 'flaky');
  if (p?.retries !== FLAKY_FAILURES) return `expected the process to have been retried ${FLAKY_FAILURES} times, it shows ${p?.retries}`;
  if (!isDeepStrictEqual(r.result, expected)) return `expected ${JSON.stringify(expected)}, got ${JSON.stringify(r.result)}`;
  return undefined;
}

if (isMain(import.meta.url)) {
  process.exitCode = await main(run, check, {});
}
