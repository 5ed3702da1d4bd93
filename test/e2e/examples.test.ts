/**
 * The seed examples (examples/) run against a real server: every example's run() with the example
 * executors in-process, the failure path of an example's command-line entry, and two real
 * subprocesses: an example script (terminal 3 of examples/README.md) and the example executor
 * itself (terminal 2), stopped with SIGTERM.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startFixture, type Fixture } from '../helpers/fixture.ts';
import { ColoniesClient } from '../../executor/client.ts';
import { CLOUD_EXECUTOR, CONTAINER_EXECUTOR, HPC_EXECUTOR, main, node, TS_EXECUTOR } from '../../examples/common.ts';
import { DEFAULT_TYPES, startExampleExecutors, type ExampleExecutors } from '../../examples/executor.ts';
import * as twoSteps from '../../examples/two-steps.ts';
import * as fanIn from '../../examples/fan-in.ts';
import * as mapReduce from '../../examples/map-reduce.ts';
import * as crossPlatform from '../../examples/cross-platform.ts';
import * as retries from '../../examples/retries.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

let f: Fixture;
let executors: ExampleExecutors | undefined;
const lines: string[] = [];
const children = new Set<ChildProcess>();

before(async () => {
  f = await startFixture();
  executors = await startExampleExecutors({
    url: f.url,
    colonyname: f.a.colonyname,
    colonyPrvkey: f.a.owner.prvkey,
    types: DEFAULT_TYPES,
    assignTimeout: 2,
    log: (line) => lines.push(line),
  });
});

after(async () => {
  for (const c of children) c.kill('SIGKILL');
  await executors?.stop(1000);
  await f?.close();
});

test('two steps: gen_nums → sum_nums gives 3', async () => {
  const said: string[] = [];
  const r = await twoSteps.run(f.a.userClient, { say: (l) => said.push(l) });
  assert.equal(r.state, 'SUCCESS');
  assert.equal(r.result, 3);
  assert.deepEqual(said, [`Workflow submitted: ${r.processgraphid}`]);
  assert.deepEqual(node(r.graph, 'gen_nums')?.out, [1, 2]);
  assert.deepEqual(node(r.graph, 'sum_nums')?.in, [1, 2], "sum_nums' input is gen_nums' output");
  assert.ok(
    lines.some((l) => l.startsWith(`${TS_EXECUTOR} sum_nums (sum_nums)`) && l.includes('→ 3')),
    'the executor logged the process',
  );
});

test('fan-in: fetch_a and fetch_b → merge gives 30, inputs in dependency order', async () => {
  const r = await fanIn.run(f.a.userClient);
  assert.equal(r.state, 'SUCCESS');
  assert.equal(r.result, 30);
  const merge = node(r.graph, 'merge')!;
  assert.deepEqual(merge.in, [
    { source: 'A', value: 10 },
    { source: 'B', value: 20 },
  ]);
  assert.equal(merge.parents.length, 2);
  const logs = await f.a.userClient.getLogs(merge.processid);
  assert.deepEqual(
    logs.map((l) => l.message),
    ['merge: A=10 + B=20'],
  );
});

test('map-reduce: map adds five gen_nums feeding reduce, which gives 15', async () => {
  const r = await mapReduce.run(f.a.userClient);
  assert.equal(r.state, 'SUCCESS');
  assert.equal(r.result, 15);
  assert.equal(r.graph.processes.length, 7);
  assert.equal(r.graph.processcount, 7);
  const map = node(r.graph, 'map')!;
  const reduce = node(r.graph, 'reduce')!;
  const gens = [0, 1, 2, 3, 4].map((i) => node(r.graph, `gen_nums_${i}`)!);
  for (const g of gens) {
    assert.equal(g.state, 'SUCCESS');
    assert.deepEqual(g.parents, [map.processid]);
    assert.deepEqual(g.children, [reduce.processid]);
  }
  // gen_nums_0 was spliced in (insert=true): map is no longer reduce's parent; the five gen_nums are.
  assert.deepEqual([...reduce.parents].sort(), gens.map((g) => g.processid).sort());
  assert.deepEqual([...map.children].sort(), gens.map((g) => g.processid).sort());
  assert.deepEqual(reduce.in, [1, 2, 1, 2, 1, 2, 1, 2, 1, 2]);
  const mapLogs = await f.a.userClient.getLogs(map.processid);
  assert.match(mapLogs[0]?.message ?? '', /^map: added 5 gen_nums children feeding reduce /);
});

test('cross-platform: fetch, process and store each run on their own executor type', async () => {
  const r = await crossPlatform.run(f.a.userClient);
  assert.equal(r.state, 'SUCCESS');
  assert.deepEqual(r.result, crossPlatform.expected);
  assert.deepEqual(r.result, {
    dataset: 'dataset',
    count: 10,
    sum: 55,
    mean: 5.5,
    fetchedOn: CONTAINER_EXECUTOR,
    processedOn: HPC_EXECUTOR,
    storedOn: CLOUD_EXECUTOR,
    location: 'cloud://results/dataset.json',
  });
  const ran = crossPlatform.steps.map((s) => node(r.graph, s.nodename)!);
  const assigned = ran.map((p) => p.assignedexecutorid);
  assert.equal(new Set(assigned).size, 3, 'three steps, three different executors');
  for (const [i, s] of crossPlatform.steps.entries()) {
    assert.equal(ran[i]!.spec.executortype, s.executortype);
    assert.equal(assigned[i], executors!.byType(s.executortype)!.id, `${s.nodename} ran on the ${s.executortype}`);
  }
  assert.equal(crossPlatform.check(r), undefined);
});

test('retries: flaky fails twice, maxretries=3 lets the third attempt succeed with retries=2, each after its delay', async () => {
  const r = await retries.run(f.a.userClient);
  assert.equal(r.state, 'SUCCESS');
  const flaky = node(r.graph, 'flaky')!;
  assert.equal(flaky.state, 'SUCCESS');
  assert.equal(flaky.retries, 2);
  assert.deepEqual(r.result, { ok: true, retries: 2 });
  assert.equal(retries.check(r), undefined);
  const logs = (await f.a.userClient.getLogs(flaky.processid)).map((l) => l.message);
  assert.deepEqual(logs, [
    'flaky: failing on purpose (retries so far: 0)',
    'flaky: failing on purpose (retries so far: 1)',
    'flaky: succeeded after 2 retries',
  ]);
});

test('retries: bad input is a ValidationError, which the spec never retries: the workflow fails at once', async () => {
  const r = await retries.run(f.a.userClient, { failures: -1 });
  assert.equal(r.state, 'FAILED');
  const flaky = node(r.graph, 'flaky')!;
  assert.deepEqual([flaky.state, flaky.retries], ['FAILED', 0]);
  assert.match(flaky.errors[0]!, /failures must be a whole number.*\(not retried: ValidationError is in noretry\)$/);
});

test('an example whose workflow fails exits non-zero and says why', async () => {
  const out: string[] = [];
  const err: string[] = [];
  // maxretries=1: flaky fails for good on its second attempt, and the graph with it.
  const code = await main((client, o) => retries.run(client, { ...o, maxretries: 1 }), retries.check, {
    client: f.a.userClient,
    out: (l) => out.push(l),
    err: (l) => err.push(l),
  });
  assert.equal(code, 1);
  assert.match(out[0] ?? '', /^Workflow submitted: [0-9a-f]{64}$/);
  assert.ok(out.includes('State: FAILED'), out.join('\n'));
  assert.ok(
    err.some((l) => l.includes('flaky: transient failure 2 of 2')),
    err.join('\n'),
  );

  // And a wrong result is caught by the check, even when the graph succeeded.
  const wrong = await main(twoSteps.run, () => 'not what was expected', { client: f.a.userClient, out: () => undefined, err: (l) => err.push(l) });
  assert.equal(wrong, 1);
  assert.ok(err.includes('Wrong result: not what was expected'));
});

interface Exited {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts `node --import tsx <script>` with the example environment; kills it if it outlives timeoutMs. */
function startScript(script: string, args: string[], env: Record<string, string>, timeoutMs = 60_000) {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: root,
    env: { ...process.env, COLONIES_SERVER_URL: f.url, COLONIES_COLONY_NAME: f.a.colonyname, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const exited = new Promise<Exited>((resolve) =>
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, signal, stdout, stderr });
    }),
  );
  return { child, exited, stdout: () => stdout };
}

test('subprocess: node --import tsx examples/two-steps.ts prints the graph id and 3, and exits 0', async () => {
  const { exited } = startScript('examples/two-steps.ts', [], { COLONIES_PRVKEY: f.a.user.prvkey });
  const r = await exited;
  assert.equal(r.code, 0, `exit ${r.code} ${r.signal}\n${r.stdout}\n${r.stderr}`);
  const out = r.stdout.trim().split('\n');
  assert.match(out[0] ?? '', /^Workflow submitted: [0-9a-f]{64}$/);
  assert.equal(out[1], 'State: SUCCESS');
  assert.match(out[2] ?? '', new RegExp(`^  gen_nums  ${TS_EXECUTOR}  SUCCESS on executor [0-9a-f]{8}$`));
  assert.match(out[3] ?? '', new RegExp(`^  sum_nums  ${TS_EXECUTOR}  SUCCESS on executor [0-9a-f]{8}$`));
  assert.deepEqual(out.slice(4), ['Result: 3']);
  const graph = await f.a.userClient.getProcessGraph(out[0]!.slice('Workflow submitted: '.length));
  assert.equal(graph.state, 'SUCCESS');
});

test('subprocess: examples/executor.ts serves the examples and stops on SIGTERM with exit 0', async () => {
  // The in-process executors leave, so only the subprocess can run the work.
  await executors!.stop(1000);
  executors = undefined;

  const ex = startScript('examples/executor.ts', ['--types', `${TS_EXECUTOR},${HPC_EXECUTOR}`], { COLONIES_COLONY_PRVKEY: f.a.owner.prvkey });
  const deadline = Date.now() + 30_000;
  while (!ex.stdout().includes('Ctrl-C stops')) {
    assert.ok(ex.child.exitCode === null, `the executor exited early:\n${ex.stdout()}`);
    assert.ok(Date.now() < deadline, `the executor did not start:\n${ex.stdout()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const started = ex.stdout();
  assert.match(started, new RegExp(`executor ${TS_EXECUTOR}-[0-9a-f]{8} started \\(colony ${f.a.colonyname}`));
  assert.match(started, new RegExp(`executor ${HPC_EXECUTOR}-[0-9a-f]{8} started`));
  const registered = (await f.a.ownerClient.listExecutors()).filter((e) => e.executortype === TS_EXECUTOR || e.executortype === HPC_EXECUTOR);
  assert.ok(registered.some((e) => e.executortype === TS_EXECUTOR && e.state === 'APPROVED'));

  const r = await fanIn.run(new ColoniesClient({ url: f.url, prvkey: f.a.user.prvkey, colonyname: f.a.colonyname }));
  assert.equal(r.result, 30);

  ex.child.kill('SIGTERM');
  const exit = await ex.exited;
  assert.equal(exit.code, 0, `exit ${exit.code} ${exit.signal}\n${exit.stdout}\n${exit.stderr}`);
  const log = exit.stdout.split('\n');
  for (const n of ['fetch_a', 'fetch_b', 'merge']) {
    assert.ok(
      log.some((l) => l.includes(`${TS_EXECUTOR} ${n} (${n}) process `) && l.includes(': done in ')),
      `a line for ${n}:\n${exit.stdout}`,
    );
  }
  assert.ok(log.some((l) => l.endsWith('SIGTERM: stopping (running processes may finish)')));
  assert.ok(log.some((l) => l.endsWith(' stopped')));
});
