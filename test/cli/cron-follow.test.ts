/** `colonies cron …`, and the live side of the CLI: `log get --follow` streams while the process runs. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Fixture } from '../helpers/fixture.ts';
import type { ExecutionContext } from '../../executor/executor.ts';
import { cliFixture, errorLine, run, start, tableRows, userEnv, type CliFixture } from './helpers.ts';

const TYPE = 'cli-cron';
let f: Fixture;
let dir: string;
let stop: CliFixture['stop'];
let openGate: () => void = () => undefined;
const gate = new Promise<void>((r) => (openGate = r));

before(async () => {
  ({ f, dir, stop } = await cliFixture({
    name: TYPE,
    concurrency: 2,
    functions: {
      gen_nums: () => [1, 2],
      sum_nums: (_ctx: ExecutionContext, a: number, b: number) => a + b,
      slow_talker: async (ctx: ExecutionContext) => {
        await ctx.log('step 1');
        await gate;
        await ctx.log('step 2');
        return 'done';
      },
    },
  }));
});
after(async () => {
  openGate();
  await stop();
});

test('cron add, ls, get, run --wait and remove', async () => {
  const env = userEnv(f);
  const spec = join(dir, 'wf.json');
  writeFileSync(
    spec,
    JSON.stringify([
      { funcname: 'gen_nums', executortype: TYPE },
      { funcname: 'sum_nums', executortype: TYPE, conditions: { dependencies: ['gen_nums'] } },
    ]),
  );
  const bad = await run(['cron', 'add', '--name', 'bad', '--spec', spec, '--cron', '61 * * * *'], env);
  assert.equal(bad.code, 2);
  assert.equal(errorLine(bad).code, 'INVALID_CRON_EXPRESSION');
  const both = await run(['cron', 'add', '--name', 'bad', '--spec', spec, '--cron', '* * * * *', '--interval', '5'], env);
  assert.equal(both.code, 2);

  const added = await run(['cron', 'add', '--name', 'sums', '--spec', spec, '--cron', '0 3 * * *', '--waitprevious'], env);
  assert.equal(added.code, 0, added.stderr);
  assert.match(added.stdout, /cron sums added; next run \d{4}-\d{2}-\d{2} 03:00:00/);

  const ls = await run(['cron', 'ls'], env);
  const rows = tableRows(ls.stdout);
  assert.deepEqual(rows[0], ['NAME', 'SCHEDULE', 'NEXT RUN', 'LAST RUN', 'RUNS', 'SKIPS', 'LAST WORKFLOW']);
  assert.equal(rows[1]![0], 'sums');
  assert.equal(rows[1]![1], '0 3 * * *');

  const fired = await run(['cron', 'run', '--name', 'sums', '--wait'], env);
  assert.equal(fired.code, 0, fired.stderr);
  assert.deepEqual(JSON.parse(fired.stdout), { sum_nums: [3] });

  const got = await run(['cron', 'get', '--name', 'sums', '--json'], env);
  const cron = JSON.parse(got.stdout) as { runs: number; lastprocessgraphid: string; waitforprevprocessgraph: boolean };
  assert.equal(cron.runs, 1);
  assert.equal(cron.waitforprevprocessgraph, true);
  assert.equal((await f.a.userClient.getProcessGraph(cron.lastprocessgraphid)).state, 'SUCCESS');

  assert.equal((await run(['cron', 'remove', '--name', 'sums'], env)).code, 0);
  const gone = await run(['cron', 'get', '--name', 'sums'], env);
  assert.equal(gone.code, 5);
  assert.equal(errorLine(gone).code, 'CRON_NOT_FOUND');
});

test('log get --follow prints lines while the process still runs, and ends when it finishes', async () => {
  const p = await f.a.userClient.submit({ funcname: 'slow_talker', executortype: TYPE });
  const follow = start(['log', 'get', '-p', p.processid, '--follow'], userEnv(f));
  try {
    await follow.waitFor(/step 1/);
    assert.equal((await f.a.userClient.getProcess(p.processid)).state, 'RUNNING', 'the first line arrived before the process finished');
    assert.doesNotMatch(follow.stdout(), /step 2/);
    openGate();
    await follow.waitFor(/step 2/);
    await follow.waitFor(/SUCCESS/, 30_000, 'stderr');
    const exited = new Promise<number | null>((r) =>
      follow.child.exitCode !== null ? r(follow.child.exitCode) : follow.child.once('exit', (c) => r(c)),
    );
    assert.equal(await exited, 0, 'it ends by itself once the process has finished');
  } finally {
    await follow.stop();
  }
});
