/**
 * Error handling: flaky fails on its first two attempts; with maxretries=3 the server puts it back to
 * WAITING after each failure, a little later each time (retrydelay 0.5 s, then twice that), the third
 * attempt succeeds, and the workflow ends SUCCESS with retries=2. Given bad input instead, flaky throws
 * a ValidationError, which the spec never retries: the workflow fails at once.
 *   npx tsx examples/retries.ts
 */
import { isDeepStrictEqual } from 'node:util';
import type { ColoniesClient } from '../executor/client.ts';
import { funcSpec, Workflow } from '../executor/workflow.ts';
import { isMain, main, node, submitAndWait, TS_EXECUTOR, type ExampleResult, type RunOptions } from './common.ts';
import { flaky, FLAKY_FAILURES } from './functions.ts';

export const expected = { ok: true, retries: FLAKY_FAILURES };

export function workflow(colonyname?: string, maxretries = 3, args: unknown[] = []): Workflow {
  const wf = new Workflow(colonyname);
  wf.add(
    funcSpec({
      func: flaky,
      args,
      executortype: TS_EXECUTOR,
      maxexectime: 300, // 5 minutes max execution
      maxwaittime: 60, // 1 minute to find an executor, counted again from each retry's delay
      maxretries, // retry up to 3 times on failure
      retrydelay: 0.5, // wait half a second before the first retry…
      retrybackoff: 2, // …and twice as long before each next one
      noretry: ['ValidationError'], // bad input: no retry can fix it
    }),
  );
  return wf;
}

export interface RetriesOptions extends RunOptions {
  /** Defaults to 3; below 2 the workflow fails (that is how the test shows a failed run). */
  maxretries?: number;
  /** flaky's argument: how many times to fail; a bad one (say -1) fails the workflow at once. */
  failures?: unknown;
}

export function run(client: ColoniesClient, o: RetriesOptions = {}): Promise<ExampleResult<{ ok: boolean; retries: number }>> {
  const args = o.failures === undefined ? [] : [o.failures];
  return submitAndWait(client, workflow(client.colonyname, o.maxretries, args), 'flaky', o);
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
