/** `colonies task ls | complete`: open user tasks as a table or JSON, completion with data checked against the form. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Fixture } from '../helpers/fixture.ts';
import { generateKeyPair } from '../../protocol/crypto.ts';
import type { UserTask } from '../../protocol/types.ts';
import { cliFixture, run, tableRows, userEnv, type CliFixture } from './helpers.ts';

let f: Fixture;
let dir: string;
let stop: CliFixture['stop'];
before(async () => {
  ({ f, dir, stop } = await cliFixture({ name: 'cli-task' }));
  await f.a.ownerClient.addUser('bob', generateKeyPair().id);
});
after(() => stop());

const FORM = { type: 'object', properties: { amount: { type: 'integer', minimum: 1 } }, required: ['amount'] };

test("task ls lists open tasks (--mine: yours or anyone's); task complete checks the data and completes once", async () => {
  const env = userEnv(f);
  const empty = await run(['task', 'ls'], env);
  assert.equal(empty.code, 0, empty.stderr);
  assert.match(empty.stderr, /^No open tasks/);

  const mine = await f.a.userClient.submitWorkflow({
    name: 'order-9',
    functionspecs: [{ nodename: 'approve', kind: 'usertask', assignee: 'alice', form: FORM }],
  });
  const bobs = await f.a.userClient.submitWorkflow([{ nodename: 'sign', kind: 'usertask', assignee: 'bob' }]);
  const anyones = await f.a.userClient.submitWorkflow([{ nodename: 'review', kind: 'usertask' }]);
  const id = async (g: { processgraphid: string }) => (await f.a.userClient.getProcessGraph(g.processgraphid)).processes[0]!.processid;
  const [approve, sign, review] = [await id(mine), await id(bobs), await id(anyones)];

  const ls = await run(['task', 'ls'], env);
  assert.equal(ls.code, 0, ls.stderr);
  const rows = tableRows(ls.stdout);
  assert.deepEqual(rows[0], ['ID', 'RUN', 'NODE', 'ASSIGNEE', 'WAITING SINCE']);
  assert.deepEqual(
    rows.slice(1).map((r) => r.slice(0, 4)),
    [
      [approve, 'order-9', 'approve', 'alice'],
      [sign, `${bobs.processgraphid.slice(0, 12)}…`, 'sign', 'bob'],
      [review, `${anyones.processgraphid.slice(0, 12)}…`, 'review', 'anyone'],
    ],
  );
  const onlyMine = await run(['task', 'ls', '--mine', '--json'], env);
  assert.equal(onlyMine.code, 0, onlyMine.stderr);
  const listed = JSON.parse(onlyMine.stdout) as UserTask[];
  assert.deepEqual(
    listed.map((t) => t.nodename),
    ['approve', 'review'],
  );
  assert.deepEqual(listed[0]!.form, FORM);

  const bad = await run(['task', 'complete', approve, '--data', '{"amount": 0}'], env);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^error: VALIDATION_FAILED: .*data\/amount \(minimum\): must be >= 1/);
  const notJson = await run(['task', 'complete', approve, '--data', '{amount: 1}'], env);
  assert.equal(notJson.code, 2);
  assert.match(notJson.stderr, /--data: invalid JSON at column 2: property names are in double quotes/);
  const neither = await run(['task', 'complete', approve], env);
  assert.equal(neither.code, 2);
  assert.match(neither.stderr, /--data <json> or --data-file <file>/);
  const notYours = await run(['task', 'complete', sign, '--data', '{}'], env);
  assert.equal(notYours.code, 4);
  assert.match(notYours.stderr, /^error: FORBIDDEN: .*assigned to bob, not alice/);

  const file = join(dir, 'answer.json');
  writeFileSync(file, JSON.stringify({ amount: 3 }));
  const done = await run(['task', 'complete', approve, '--data-file', file], env);
  assert.equal(done.code, 0, done.stderr);
  assert.equal(done.stdout.trim(), `Task ${approve} (approve) completed`);
  const again = await run(['task', 'complete', approve, '--data', '{"amount": 4}'], env);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /^error: TASK_NOT_OPEN: .*already completed at .* by alice/);
  const fromStdin = await run(['task', 'complete', review, '--data-file', '-', '--json'], env, { input: '{"ok": true}' });
  assert.equal(fromStdin.code, 0, fromStdin.stderr);
  assert.deepEqual((JSON.parse(fromStdin.stdout) as { out: unknown[] }).out, [{ ok: true }]);

  const get = await run(['process', 'get', '-p', approve], env);
  assert.equal(get.code, 0, get.stderr);
  assert.match(get.stdout, /Completed by\s+│ alice \(/);
  const after = await run(['task', 'ls'], env);
  assert.deepEqual(
    tableRows(after.stdout)
      .slice(1)
      .map((r) => r[2]),
    ['sign'],
  );
});

test('process get of an open task says who it waits for', async () => {
  const g = await f.a.userClient.submitWorkflow([{ nodename: 'ok', kind: 'usertask', assignee: 'bob' }]);
  const id = (await f.a.userClient.getProcessGraph(g.processgraphid)).processes[0]!.processid;
  const get = await run(['process', 'get', '-p', id], userEnv(f));
  assert.equal(get.code, 0, get.stderr);
  assert.match(get.stdout, /Waiting\s+│ waiting for bob to complete the task/);
});
