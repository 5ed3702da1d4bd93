/**
 * `--wait`: the whole id first on stderr, the result on stdout; and a wait that outlives the server.
 * The server restarts (same port and store) under a running `process submit --wait`: it reconnects,
 * subscribes again and ends normally when the process finishes after the restart. A workflow that
 * finishes while the connection is cut is not missed: the new snapshot says so. --timeout still holds
 * while it reconnects. `log get --follow` outlives a restart and a cut connection the same way, each
 * line printed once. Against a fixture server, with an SDK executor in this process.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Fixture } from '../helpers/fixture.ts';
import { cutProxy } from '../helpers/cut-proxy.ts';
import type { ExecutionContext } from '../../executor/executor.ts';
import type { ColoniesClient } from '../../executor/client.ts';
import type { Process, ProcessGraphWithProcesses } from '../../protocol/types.ts';
import { cliFixture, run, start, type CliFixture, type Running } from './helpers.ts';

const TYPE = 'cli-wait';
/** Served by no executor: the test assigns and closes these processes itself, when it chooses. */
const MANUAL = 'cli-wait-manual';
let f: Fixture;
let dir: string;
let env: CliFixture['env'];
let stop: CliFixture['stop'];
let manual: ColoniesClient;

before(async () => {
  ({ f, dir, env, stop } = await cliFixture({ name: TYPE, functions: { sum_nums: (_ctx: ExecutionContext, a: number, b: number) => a + b } }));
  manual = (await f.addExecutor(MANUAL)).client;
});
after(() => stop());

const ok = (r: { code: number | null; stderr: string }) => assert.equal(r.code, 0, r.stderr);

/** Assigns the waiting processes of the manual type and closes each with `out`; resolves to their ids. */
async function finishManual(out: unknown[], n = 1): Promise<string[]> {
  const done: string[] = [];
  while (done.length < n) {
    for (const p of await manual.assign({ timeout: 5, count: n - done.length })) {
      await manual.close(p.processid, p.attempt, out);
      done.push(p.processid);
    }
  }
  return done;
}

test('--wait: the whole id comes first on stderr; stdout is the result, as before', async () => {
  const w = await run(['process', 'submit', '--funcname', 'sum_nums', '--args', '[1, 2]', '--type', TYPE, '--wait'], env());
  ok(w);
  assert.equal(w.stdout, '[3]\n');
  const first = /^process ([0-9a-f]{64}): waiting for it to finish \(Ctrl-C stops the waiting, not the process\)\n/.exec(w.stderr);
  assert.ok(first, w.stderr);
  const done = await f.a.userClient.getProcess(first[1]!);
  assert.deepEqual([done.spec.funcname, done.state, done.out], ['sum_nums', 'SUCCESS', [3]]);
  assert.match(w.stderr, new RegExp(`process ${first[1]!.slice(0, 12)} sum_nums: SUCCESS\\n$`));

  const j = await run(['process', 'submit', '--funcname', 'sum_nums', '--args', '[2, 3]', '--type', TYPE, '--wait', '--json'], env());
  ok(j);
  const jp = JSON.parse(j.stdout) as Process;
  assert.equal(jp.state, 'SUCCESS');
  assert.ok(j.stderr.startsWith(`process ${jp.processid}: waiting for it to finish`), j.stderr);

  const spec = join(dir, 'sum.json');
  writeFileSync(spec, JSON.stringify([{ nodename: 'sum', funcname: 'sum_nums', args: [4, 5], executortype: TYPE }]));
  const wf = await run(['workflow', 'submit', '--spec', spec, '--wait'], env());
  ok(wf);
  assert.equal(wf.stdout, '{"sum":[9]}\n');
  const wfId = /^workflow ([0-9a-f]{64}): waiting for it to finish \(Ctrl-C stops the waiting, not the workflow\)\n/.exec(wf.stderr);
  assert.ok(wfId, wf.stderr);
  assert.equal((await f.a.userClient.getProcessGraph(wfId[1]!)).state, 'SUCCESS');

  await f.a.userClient.registerWorkflowSpec('cli-wait-sum', [{ nodename: 'sum', funcname: 'sum_nums', args: [6, 7], executortype: TYPE }]);
  const runOut = await run(['workflow', 'run', 'cli-wait-sum', '--wait', '--json'], env());
  ok(runOut);
  const g = JSON.parse(runOut.stdout) as ProcessGraphWithProcesses;
  assert.equal(g.state, 'SUCCESS');
  assert.ok(runOut.stderr.startsWith(`workflow ${g.processgraphid}: waiting for it to finish`), runOut.stderr);
});

test('process submit --wait outlives a server restart and ends normally when the process finishes after it', async (t) => {
  const cli = start(['process', 'submit', '--funcname', 'after_restart', '--type', MANUAL, '--wait'], env());
  t.after(() => cli.stop('SIGKILL'));
  const [, short] = await cli.waitFor(/process ([0-9a-f]{12}) after_restart: WAITING\n/, 30_000, 'stderr');
  // Down until the CLI has noticed (its connection closed, its attempts refused), then up again on the same port and store.
  await f.restart(async () => {
    await cli.waitFor(/WAITING \(connection to the server lost, reconnecting\)\n/, 30_000, 'stderr');
  });
  // Subscribed again: the snapshot's line comes after the remark.
  await cli.waitFor(/reconnecting\)\nprocess [0-9a-f]{12} after_restart: WAITING\n/, 30_000, 'stderr');
  const [id] = await finishManual([42]);
  assert.ok(id!.startsWith(short!));
  const r = await cli.exited();
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '[42]\n');
  assert.match(r.stderr, new RegExp(`process ${short} after_restart: SUCCESS\n$`));
});

test('workflow submit --wait does not miss a workflow that finished while its connection was cut', async () => {
  const proxy = await cutProxy(f.url);
  let cli: Running | undefined;
  try {
    const spec = join(dir, 'two.json');
    writeFileSync(
      spec,
      JSON.stringify([
        { nodename: 'a', funcname: 'step', executortype: MANUAL },
        { nodename: 'b', funcname: 'step', executortype: MANUAL },
      ]),
    );
    cli = start(['workflow', 'submit', '--spec', spec, '--wait'], env({ COLONIES_SERVER_URL: proxy.url }));
    const [, id] = await cli.waitFor(/^workflow ([0-9a-f]{64}): waiting/m, 30_000, 'stderr');
    await cli.waitFor(/WAITING: 0\/2 done, 0 running, 2 waiting\n/, 30_000, 'stderr');
    proxy.cut();
    await cli.waitFor(/\(connection to the server lost, reconnecting\)\n/, 30_000, 'stderr');
    // The whole workflow runs and ends while the CLI cannot reach the server.
    await finishManual(['done'], 2);
    assert.equal((await f.a.userClient.getProcessGraph(id!)).state, 'SUCCESS');
    proxy.restore();
    const r = await cli.exited();
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '{"a":["done"],"b":["done"]}\n');
    assert.match(r.stderr, /SUCCESS: 2\/2 done, 0 running, 0 waiting\n$/);
  } finally {
    await cli?.stop('SIGKILL');
    await proxy.close();
  }
});

test('--timeout holds while the CLI reconnects: exit 1, TIMEOUT', async () => {
  const proxy = await cutProxy(f.url);
  let cli: Running | undefined;
  try {
    cli = start(
      ['process', 'submit', '--funcname', 'never', '--type', MANUAL + '-unserved', '--wait', '--timeout', '3'],
      env({ COLONIES_SERVER_URL: proxy.url }),
    );
    await cli.waitFor(/never: WAITING\n/, 30_000, 'stderr');
    proxy.cut();
    const r = await cli.exited();
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /\(connection to the server lost, reconnecting\)\n/);
    assert.match(r.stderr.trim().split('\n').at(-1)!, /^error: TIMEOUT: process [0-9a-f]{64} did not finish within 3 s$/);
  } finally {
    await cli?.stop('SIGKILL');
    await proxy.close();
  }
});

/** Submits a process of the manual type and assigns it here: it runs until the test closes it. */
async function runningManual(funcname: string): Promise<Process> {
  const submitted = await f.a.userClient.submit({ funcname, executortype: MANUAL });
  for (;;) {
    const [p] = await manual.assign({ timeout: 5 });
    if (p) {
      assert.equal(p.processid, submitted.processid);
      return p;
    }
  }
}

const logLines = (stdout: string) =>
  stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => l.replace(/^\S+ \S+ {2}/, ''));

test('log get --follow outlives a server restart: goes on from the last line printed, ends when the process finishes', async (t) => {
  const p = await runningManual('talker');
  await manual.addLog(p.processid, 'before the restart');
  const cli = start(['log', 'get', '-p', p.processid, '--follow'], env());
  t.after(() => cli.stop('SIGKILL'));
  await cli.waitFor(/before the restart\n/);
  // Down until the CLI has noticed, then up again on the same port and store.
  await f.restart(async () => {
    await cli.waitFor(/\(connection to the server lost, reconnecting\)\n/, 30_000, 'stderr');
  });
  await manual.addLog(p.processid, 'after the restart');
  await cli.waitFor(/after the restart\n/);
  await manual.close(p.processid, p.attempt, []);
  const r = await cli.exited();
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(logLines(r.stdout), ['before the restart', 'after the restart']);
  assert.match(r.stderr, new RegExp(`process ${p.processid} SUCCESS\n$`));
  assert.equal(r.stderr.match(/reconnecting/g)?.length, 1, 'said once per outage');
});

test('log get --follow does not miss the lines and the end of a process written while its connection was cut', async () => {
  const proxy = await cutProxy(f.url);
  let cli: Running | undefined;
  try {
    const p = await runningManual('cut-talker');
    await manual.addLog(p.processid, 'line 1');
    cli = start(['log', 'get', '-p', p.processid, '--follow', '--json'], env({ COLONIES_SERVER_URL: proxy.url }));
    await cli.waitFor(/"line 1"/);
    proxy.cut();
    await cli.waitFor(/\(connection to the server lost, reconnecting\)\n/, 30_000, 'stderr');
    // The rest of the process's life happens while the CLI cannot reach the server.
    await manual.addLog(p.processid, 'line 2');
    await manual.addLog(p.processid, 'line 3');
    await manual.close(p.processid, p.attempt, []);
    proxy.restore();
    const r = await cli.exited();
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { message: string }).message);
    assert.deepEqual(lines, ['line 1', 'line 2', 'line 3']);
  } finally {
    await cli?.stop('SIGKILL');
    await proxy.close();
  }
});
