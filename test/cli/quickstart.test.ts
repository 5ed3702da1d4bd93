/**
 * examples/quickstart/README.md, step by step, with the real CLI against a live server: register the
 * spec, run it by name, see why it waits, start the executor, inspect the run, search by the
 * variable's value, debug a failing run.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, type Fixture } from '../helpers/fixture.ts';
import { baseEnv, run, start, type Running } from './helpers.ts';
import type { Process, ProcessGraphWithProcesses } from '../../protocol/types.ts';

const SPEC = 'examples/quickstart/quickstart.json';
const TYPE = 'ts-executor';

let f: Fixture;
let executor: Running | undefined;

before(async () => {
  f = await startFixture();
});
after(async () => {
  await executor?.stop();
  await f.close();
});

const env = () => baseEnv({ COLONIES_SERVER_URL: f.url, COLONIES_COLONY_NAME: f.a.colonyname, COLONIES_PRVKEY: f.a.user.prvkey });

async function cli(...args: string[]) {
  const r = await run(args, env());
  assert.equal(r.code, 0, `colonies ${args.join(' ')}: exit ${r.code}\n${r.stderr}`);
  return r;
}
const json = async <T>(...args: string[]): Promise<T> => JSON.parse((await cli(...args, '--json')).stdout) as T;

test('the quickstart, as its README tells it', async () => {
  // 1. Register (twice: the same version), and look at it.
  const registered = await json<{ name: string; version: number }>('workflow', 'spec', 'register', '--name', 'quickstart', '--spec', SPEC);
  assert.equal(registered.version, 1);
  assert.equal((await json<{ version: number }>('workflow', 'spec', 'register', '--name', 'quickstart', '--spec', SPEC)).version, 1);
  const shown = await cli('workflow', 'spec', 'get', 'quickstart');
  assert.match(shown.stdout, /input-name/);
  assert.match(shown.stdout, /greet/);

  // 2. Run by name: no executor serves greet yet, so it waits, and says why.
  const started = await cli('workflow', 'run', 'quickstart', '--var', 'input-name=obi-wan');
  const id = started.stdout.trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  assert.match(started.stderr, /no executor serves greet on ts-executor/);
  const waiting = await cli('workflow', 'get', '-g', id);
  assert.match(waiting.stdout, /WAITING/);
  assert.match(waiting.stdout, /no (online )?executor/);

  // 3. The executor starts and runs it.
  const e = await f.addExecutor(TYPE);
  executor = start(
    ['executor', 'start', '--functions', 'examples/functions.ts'],
    baseEnv({
      COLONIES_SERVER_URL: f.url,
      COLONIES_COLONY_NAME: f.a.colonyname,
      COLONIES_EXECUTOR_PRVKEY: e.key.prvkey,
      COLONIES_EXECUTOR_NAME: e.name,
      COLONIES_EXECUTOR_TYPE: TYPE,
    }),
  );
  const done = await f.a.userClient.waitForProcessGraph(id, 60_000);
  assert.equal(done.state, 'SUCCESS');
  assert.match((await cli('function', 'ls')).stdout, /greet/);

  // 4. Inspect: the run's name and spec, its variables, the process's input and output.
  const graph = await json<ProcessGraphWithProcesses>('workflow', 'get', '-g', id);
  assert.equal(graph.specname, 'quickstart');
  assert.equal(graph.specversion, 1);
  assert.match((await cli('workflow', 'vars', '-g', id)).stdout, /input-name\s.*obi-wan/);
  const [greet] = await json<Process[]>('process', 'pss', '--funcname', 'greet');
  assert.ok(greet);
  assert.deepEqual(greet.in, ['obi-wan']);
  assert.deepEqual(greet.out, ['Hello, obi-wan!']);
  assert.match((await cli('process', 'get', '-p', greet.processid)).stdout, /Hello, obi-wan!/);

  // 5. Search by the variable's value.
  const found = await json<{ processgraphid: string }[]>('workflow', 'search', '--spec', 'quickstart', '--var', 'input-name=obi-wan');
  assert.deepEqual(
    found.map((g) => g.processgraphid),
    [id],
  );
  assert.deepEqual(await json<unknown[]>('workflow', 'search', '--spec', 'quickstart', '--var', 'input-name=asdfasdf'), []);

  // 6. Debug a failing run.
  const failing = await run(['workflow', 'run', 'quickstart', '--var', 'input-name=obi wan!', '--wait'], env());
  assert.equal(failing.code, 1, failing.stderr);
  assert.match(failing.stderr, /is not a name/);
  const failed = await json<{ processgraphid: string }[]>('workflow', 'search', '--spec', 'quickstart', '--state', 'failed');
  assert.equal(failed.length, 1);
  const [bad] = await json<Process[]>('process', 'psf', '--funcname', 'greet');
  assert.ok(bad);
  assert.match((await cli('process', 'get', '-p', bad.processid)).stdout, /is not a name/);
});
