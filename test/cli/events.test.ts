/** `colonies event post | ls`, and what `workflow get` / `process get` say of an event node and a timer. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, type Fixture } from '../helpers/fixture.ts';
import type { GraphEvent, ProcessGraphWithProcesses } from '../../protocol/types.ts';
import { errorLine, run, tableRows, userEnv } from './helpers.ts';

let f: Fixture;
before(async () => {
  f = await startFixture();
});
after(async () => {
  await f.close();
});

const env = () => userEnv(f);
const graph = (id: string): Promise<ProcessGraphWithProcesses> => f.a.userClient.getProcessGraph(id);

test('event post: kept, then consumed by the node waiting for it; event ls lists both, --json prints them', async () => {
  const g = await f.a.userClient.submitWorkflow([
    { kind: 'event', event: 'payment-received', nodename: 'wait-payment' },
    { kind: 'sleep', seconds: 3600, nodename: 'later' },
    { kind: 'event', event: 'shipped', nodename: 'wait-ship', conditions: { dependencies: ['later'] } },
  ]);
  const id = g.processgraphid;

  // What the graph and the node say while they wait.
  const view = await run(['workflow', 'get', '-g', id], env());
  assert.equal(view.code, 0, view.stderr);
  assert.match(view.stdout, /wait-payment: waiting for event payment-received/);
  assert.match(view.stdout, /later: sleeping until \d{4}-\d{2}-\d{2}T/);
  const waitPayment = (await graph(id)).processes.find((p) => p.spec.nodename === 'wait-payment')!;
  const pget = await run(['process', 'get', '-p', waitPayment.processid], env());
  assert.match(pget.stdout, /Waiting\s+.*waiting for event payment-received/);

  const kept = await run(['event', 'post', '-g', id, '--name', 'shipped', '--data', '"tracking-1"'], env());
  assert.equal(kept.code, 0, kept.stderr);
  assert.match(kept.stdout, /^Event shipped kept: no event node of workflow \w+ waits for it yet/);

  const consumed = await run(['event', 'post', '-g', id, '--name', 'payment-received', '--data', '{"amount": 42}', '--json'], env());
  assert.equal(consumed.code, 0, consumed.stderr);
  const e = JSON.parse(consumed.stdout) as GraphEvent;
  assert.equal(e.consumedby, waitPayment.processid);
  assert.deepEqual(e.data, { amount: 42 });
  const plain = await run(['event', 'post', '-g', id, '--name', 'payment-received'], env());
  assert.match(plain.stdout, /^Event payment-received kept/, 'a second one finds no node left: kept, with data null');

  const ls = await run(['event', 'ls', '-g', id], env());
  assert.equal(ls.code, 0, ls.stderr);
  const rows = tableRows(ls.stdout);
  assert.deepEqual(rows[0], ['NAME', 'POSTED', 'POSTED BY', 'CONSUMED BY', 'DATA']);
  assert.deepEqual(
    rows.slice(1).map((r) => [r[0], r[2], r[3], r[4]]),
    [
      ['shipped', 'alice', 'kept', '"tracking-1"'],
      ['payment-received', 'alice', waitPayment.processid, '{"amount":42}'],
      ['payment-received', 'alice', 'kept', 'null'],
    ],
  );
  const json = await run(['event', 'ls', '-g', id, '--json'], env());
  assert.equal((JSON.parse(json.stdout) as GraphEvent[]).length, 3);
});

test('event errors: bad --data and a missing name are exit 2, no such graph exit 5, a finished graph exit 1; nothing stored', async () => {
  const g = await f.a.userClient.submitWorkflow([{ kind: 'event', event: 'go', nodename: 'wait' }]);
  const id = g.processgraphid;
  const badData = await run(['event', 'post', '-g', id, '--name', 'go', '--data', '{nope'], env());
  assert.equal(badData.code, 2);
  assert.equal(errorLine(badData).message, '--data: invalid JSON at column 2: property names are in double quotes');
  const noName = await run(['event', 'post', '-g', id], env());
  assert.equal(noName.code, 2);
  const noGraph = await run(['event', 'post', '--name', 'go'], env());
  assert.equal(noGraph.code, 2);
  assert.match(errorLine(noGraph).message, /--processgraphid/);
  const badName = await run(['event', 'post', '-g', id, '--name', 'x'.repeat(201)], env());
  assert.equal(badName.code, 2);
  assert.match(errorLine(badName).message, /body\.name/);

  const ghost = 'a'.repeat(64);
  const missing = await run(['event', 'post', '-g', ghost, '--name', 'go'], env());
  assert.equal(missing.code, 5);
  assert.deepEqual(errorLine(missing), { code: 'PROCESSGRAPH_NOT_FOUND', message: `process graph ${ghost} is not in colony "colony-a"` });
  const lsMissing = await run(['event', 'ls', '-g', ghost], env());
  assert.equal(lsMissing.code, 5);

  await f.a.userClient.cancelProcessGraph(id);
  const finished = await run(['event', 'post', '-g', id, '--name', 'go'], env());
  assert.equal(finished.code, 1);
  assert.equal(errorLine(finished).code, 'PROCESS_FINISHED');
  const empty = await run(['event', 'ls', '-g', id], env());
  assert.equal(empty.code, 0);
  assert.equal(empty.stdout, '');
  assert.match(empty.stderr, /No events posted to this workflow/);
});
