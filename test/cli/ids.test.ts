/**
 * Short ids in the CLI: every command that takes a process or workflow id takes a prefix of 6 or more
 * characters too; an ambiguous prefix lists the candidates (exit 2), one that starts no id is the
 * kind's not-found error (exit 5); a whole id costs no lookup. Against a fixture server.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, type Fixture } from '../helpers/fixture.ts';
import { addGraphWithId, addProcessWithId, idWithPrefix } from '../helpers/chosen-ids.ts';
import type { GraphEvent, Process, ProcessGraphWithProcesses } from '../../protocol/types.ts';
import { errorLine, run, userEnv } from './helpers.ts';

let f: Fixture;

before(async () => {
  f = await startFixture();
});
after(() => f.close());

const env = () => userEnv(f);
const ok = (r: { code: number | null; stderr: string }) => assert.equal(r.code, 0, r.stderr);

/** Lookups by prefix the server has answered (the request duration histogram counts each route). */
async function lookups(): Promise<number> {
  const text = await (await fetch(`${f.url}/metrics`)).text();
  const m = /^colonies_http_request_duration_seconds_count\{method="GET",route="\/colonies\/:colony\/ids\/:prefix"\} (\d+)$/m.exec(text);
  return m ? Number(m[1]) : 0;
}

test('a prefix of 6 or more characters stands for the id in every command that takes one', async () => {
  const p = await f.a.userClient.submit({ funcname: 'idle', executortype: 'cli-ids-idle' });
  const P = p.processid;
  const g = await f.a.userClient.submitWorkflow({
    name: 'order-7',
    functionspecs: [
      { nodename: 'approve', kind: 'usertask' },
      { nodename: 'wait-paid', kind: 'event', event: 'paid' },
    ],
  });
  const G = g.processgraphid;
  const task = (await f.a.userClient.getProcessGraph(G)).processes.find((x) => x.spec.nodename === 'approve')!;

  const [get, logs, graph, vars, none] = await Promise.all([
    run(['process', 'get', '-p', P.slice(0, 6), '--json'], env()),
    run(['log', 'get', '-p', P.slice(0, 8)], env()),
    run(['workflow', 'get', '-g', G.slice(0, 6), '--json'], env()),
    run(['workflow', 'vars', '-g', G.slice(0, 9), '--json'], env()),
    run(['event', 'ls', '-g', G.slice(0, 6)], env()),
  ]);
  for (const r of [get, logs, graph, vars, none]) ok(r);
  assert.equal((JSON.parse(get.stdout) as Process).processid, P);
  assert.equal(logs.stderr, `No logs for process ${P}\n`);
  assert.equal((JSON.parse(graph.stdout) as ProcessGraphWithProcesses).processgraphid, G);
  assert.deepEqual(JSON.parse(vars.stdout), {});
  assert.equal(none.stderr, 'No events posted to this workflow\n');

  const halted = await run(['workflow', 'halt', '-g', G.slice(0, 7)], env());
  ok(halted);
  assert.equal(halted.stdout, `Workflow ${G} HALTED\n`);
  const resumed = await run(['workflow', 'resume', '--workflowid', G.slice(0, 7)], env());
  ok(resumed);
  assert.match(resumed.stdout, new RegExp(`^Workflow ${G} (WAITING|RUNNING)\\n$`));

  const posted = await run(['event', 'post', '-g', G.slice(0, 6), '--name', 'paid', '--data', '42', '--json'], env());
  ok(posted);
  assert.equal((JSON.parse(posted.stdout) as GraphEvent).processgraphid, G);
  const completed = await run(['task', 'complete', task.processid.slice(0, 6), '--data', '{"ok": true}'], env());
  ok(completed);
  assert.equal(completed.stdout, `Task ${task.processid} (approve) completed\n`);
  assert.equal((await f.a.userClient.getProcessGraph(G)).state, 'SUCCESS');
  const removed = await run(['workflow', 'remove', '-g', G.slice(0, 12)], env());
  ok(removed);
  assert.equal(removed.stdout, `Workflow ${G} removed\n`);

  const cancelled = await run(['process', 'cancel', '-p', P.slice(0, 10)], env());
  ok(cancelled);
  assert.equal(cancelled.stdout, `Process ${P} CANCELLED\n`);
  const gone = await run(['process', 'remove', '-p', P.slice(0, 6)], env());
  ok(gone);
  assert.equal(gone.stdout, `Process ${P} removed\n`);

  // A workflow to cancel by prefix.
  const g2 = await f.a.userClient.submitWorkflow([{ nodename: 'n', funcname: 'idle', executortype: 'cli-ids-idle' }]);
  const c = await run(['workflow', 'cancel', '-g', g2.processgraphid.slice(0, 6)], env());
  ok(c);
  assert.equal(c.stdout, `Workflow ${g2.processgraphid} CANCELLED\n`);
});

test('an ambiguous prefix lists the candidates, whole and described, and exits 2', async () => {
  const shared = idWithPrefix('').slice(0, 8);
  const [p1, p2] = [idWithPrefix(shared), idWithPrefix(shared)].sort() as [string, string];
  await addProcessWithId(f, f.a, p1, 'resize');
  await addProcessWithId(f, f.a, p2, 'thumbnail');
  const r = await run(['process', 'get', '-p', shared], env());
  assert.equal(r.code, 2, r.stderr);
  const e = errorLine(r);
  assert.equal(e.code, 'AMBIGUOUS_ID');
  assert.match(e.message, new RegExp(`^--processid ${shared} is the start of 2 process ids; give more of it: `));
  assert.match(
    e.message,
    new RegExp(`${p1} \\(resize, WAITING, submitted \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\); ${p2} \\(thumbnail, WAITING, submitted `),
  );
  // One more character tells them apart.
  const one = await run(['process', 'get', '-p', p2.slice(0, 20), '--json'], env());
  ok(one);
  assert.equal((JSON.parse(one.stdout) as Process).processid, p2);

  const [g1, g2] = [idWithPrefix(shared), idWithPrefix(shared)].sort() as [string, string];
  await addGraphWithId(f, f.a, g1, 'nightly-1');
  await addGraphWithId(f, f.a, g2, 'nightly-2');
  const w = await run(['workflow', 'get', '-g', shared], env());
  assert.equal(w.code, 2, w.stderr);
  const we = errorLine(w);
  assert.equal(we.code, 'AMBIGUOUS_ID');
  assert.match(we.message, new RegExp(`${g1} \\(nightly-1, 0 processes, WAITING, .*\\); ${g2} \\(nightly-2, 0 processes, WAITING, `));
});

test('a prefix that starts no id of its kind is its not-found error (exit 5), naming the other kind when it is one', async () => {
  const missing = await run(['process', 'get', '-p', 'fedcba9876'], env());
  assert.equal(missing.code, 5, missing.stderr);
  assert.deepEqual(errorLine(missing), { code: 'PROCESS_NOT_FOUND', message: `no process id in colony "${f.a.colonyname}" starts with fedcba9876` });

  const g = await f.a.userClient.submitWorkflow([{ nodename: 'n', funcname: 'idle', executortype: 'cli-ids-idle' }]);
  const wrongKind = await run(['process', 'get', '-p', g.processgraphid.slice(0, 8)], env());
  assert.equal(wrongKind.code, 5, wrongKind.stderr);
  const e = errorLine(wrongKind);
  assert.equal(e.code, 'PROCESS_NOT_FOUND');
  assert.match(e.message, new RegExp(`\\(workflow ${g.processgraphid} does: colonies workflow get -g ${g.processgraphid.slice(0, 12)}\\)$`));

  const noGraph = await run(['workflow', 'cancel', '-g', 'fedcba9876'], env());
  assert.equal(noGraph.code, 5, noGraph.stderr);
  assert.equal(errorLine(noGraph).code, 'PROCESSGRAPH_NOT_FOUND');
});

test('a prefix too short or not hex is a usage error naming the option; a whole id needs no lookup', async () => {
  const before = await lookups();
  const short = await run(['process', 'get', '-p', '3f2a9'], env());
  assert.equal(short.code, 2, short.stderr);
  assert.deepEqual(errorLine(short), {
    code: 'USAGE',
    message: '--processid "3f2a9": an id prefix is at least 6 characters of the id (the whole id is 64 characters)',
  });
  const upper = await run(['workflow', 'get', '-g', '3F2A9C'], env());
  assert.equal(upper.code, 2, upper.stderr);
  assert.match(errorLine(upper).message, /^--processgraphid "3F2A9C": an id prefix is lowercase hex/);
  assert.equal(await lookups(), before, 'refused before asking the server');

  const p = await f.a.userClient.submit({ funcname: 'idle', executortype: 'cli-ids-idle' });
  const whole = await run(['process', 'get', '-p', p.processid, '--json'], env());
  ok(whole);
  assert.equal(await lookups(), before, 'a whole id is used as given');
  const prefix = await run(['process', 'get', '-p', p.processid.slice(0, 6), '--json'], env());
  ok(prefix);
  assert.equal(await lookups(), before + 1, 'a prefix costs one lookup');
});
