/** `colonies function ls`, the submit's warning on stderr and the wait reason of `process get` / `workflow get`. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Fixture } from '../helpers/fixture.ts';
import type { FunctionInfo } from '../../protocol/types.ts';
import { baseEnv, cliFixture, run, start, tableRows, userEnv, type CliFixture } from './helpers.ts';

let f: Fixture;
let dir: string;
let stop: CliFixture['stop'];
before(async () => {
  ({ f, dir, stop } = await cliFixture({ name: 'cli-fn' }));
});
after(() => stop());

test('executor start declares its module; function ls lists it; an unserved submit warns; get says why it waits', async () => {
  const env = userEnv(f);
  const empty = await run(['function', 'ls'], env);
  assert.equal(empty.code, 0, empty.stderr);
  assert.match(empty.stderr, /^No functions declared/);

  const executor = start(
    ['executor', 'start', '--functions', join('test', 'cli', 'fixtures', 'functions.ts'), '--name', 'cli-fn-1'],
    baseEnv({
      COLONIES_SERVER_URL: f.url,
      COLONIES_COLONY_NAME: f.a.colonyname,
      COLONIES_COLONY_PRVKEY: f.a.owner.prvkey,
      COLONIES_EXECUTOR_TYPE: 'cli-fn',
    }),
  );
  try {
    await executor.waitFor(/serving explode, gen_nums, sum_nums in colony colony-a/);
    const ls = await run(['function', 'ls'], env);
    assert.equal(ls.code, 0, ls.stderr);
    assert.deepEqual(tableRows(ls.stdout), [
      ['FUNCNAME', 'EXECUTOR TYPE', 'EXECUTORS', 'ONLINE', 'EXECUTOR NAMES'],
      ['explode', 'cli-fn', '1', '1 of 1', 'cli-fn-1'],
      ['gen_nums', 'cli-fn', '1', '1 of 1', 'cli-fn-1'],
      ['sum_nums', 'cli-fn', '1', '1 of 1', 'cli-fn-1'],
    ]);
    const json = await run(['function', 'ls', '--json'], env);
    assert.deepEqual(
      (JSON.parse(json.stdout) as FunctionInfo[]).map((x) => [x.funcname, x.executortype, x.executors, x.online]),
      [
        ['explode', 'cli-fn', 1, 1],
        ['gen_nums', 'cli-fn', 1, 1],
        ['sum_nums', 'cli-fn', 1, 1],
      ],
    );
  } finally {
    const stopped = await executor.stop('SIGTERM');
    assert.equal(stopped.code, 0, stopped.stderr);
  }

  // A function no executor serves: accepted (the id on stdout), the warning on stderr.
  const submitted = await run(['process', 'submit', '--funcname', 'greet', '--type', 'cli-gpu'], env);
  assert.equal(submitted.code, 0, submitted.stderr);
  assert.match(submitted.stdout, /^[0-9a-f]{64}\n$/);
  assert.equal(submitted.stderr, 'warning: no executor serves greet on cli-gpu yet\n');
  const got = await run(['process', 'get', '-p', submitted.stdout.trim()], env);
  assert.equal(got.code, 0, got.stderr);
  assert.match(got.stdout, /Waiting +│ no online executor of type cli-gpu \(none is registered\)/);

  const spec = join(dir, 'wf.json');
  writeFileSync(
    spec,
    JSON.stringify([
      { nodename: 'a', funcname: 'greet', executortype: 'cli-gpu' },
      { nodename: 'b', funcname: 'sum_nums', executortype: 'cli-fn', conditions: { dependencies: ['a'] } },
    ]),
  );
  const wf = await run(['workflow', 'submit', '--spec', spec], env);
  assert.equal(wf.code, 0, wf.stderr);
  assert.equal(wf.stderr, 'warning: no executor serves greet on cli-gpu yet\n', 'sum_nums on cli-fn is served (by an executor now offline)');
  const graph = await run(['workflow', 'get', '-g', wf.stdout.trim()], env);
  assert.equal(graph.code, 0, graph.stderr);
  assert.match(graph.stdout, /Waiting +│ a: no online executor of type cli-gpu \(none is registered\)/);
});
