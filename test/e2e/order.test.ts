/**
 * examples/order.ts end to end, with the example executor and a server whose loops run (the timer and
 * the payment's wait deadline are the deadline loop's): a large order is paid, approved by a user,
 * cools off, is packed item by item and shipped; a small one skips the approval; an unpaid one is
 * cancelled by the failure handler.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, type Fixture } from '../helpers/fixture.ts';
import { node, TS_EXECUTOR } from '../../examples/common.ts';
import { startExampleExecutors, type ExampleExecutors } from '../../examples/executor.ts';
import * as order from '../../examples/order.ts';

let f: Fixture;
let executors: ExampleExecutors | undefined;

before(async () => {
  f = await startFixture({ loops: true, config: { deadlineIntervalMs: 100 } });
  executors = await startExampleExecutors({
    url: f.url,
    colonyname: f.a.colonyname,
    colonyPrvkey: f.a.owner.prvkey,
    types: [TS_EXECUTOR],
    assignTimeout: 2,
    log: () => {},
  });
});

after(async () => {
  await executors?.stop(1000);
  await f?.close();
});

const states = (r: Awaited<ReturnType<typeof order.run>>) => Object.fromEntries(r.graph.processes.map((p) => [p.spec.nodename, p.state]));

test('a large order: paid, approved by a user, cooled off, packed per item, shipped', async () => {
  const said: string[] = [];
  const r = await order.run(f.a.userClient, { amount: 250, say: (l) => said.push(l) });
  assert.equal(order.check(r), undefined);
  assert.deepEqual(r.result, { order: 'order-1234', shipped: ['packed book', 'packed lamp', 'packed mug'] });
  assert.equal(states(r).approve, 'SUCCESS');
  assert.equal(states(r).cancel_order, 'SKIPPED', 'the handler is not needed');
  assert.equal(states(r)['pack_item[2]'], 'SUCCESS');
  assert.deepEqual(node(r.graph, 'approve')?.out, [{ approved: true, note: 'looks fine' }]);
  assert.ok(said.some((l) => l.startsWith('Approved by a user')));
  assert.equal(r.graph.name, 'order-1234');
});

test('a small order skips the approval', async () => {
  const r = await order.run(f.a.userClient, { amount: 40 });
  assert.equal(order.check(r), undefined);
  assert.equal(states(r).approve, 'SKIPPED');
  assert.equal(states(r)['cool-off'], 'SUCCESS', 'none_failed: the join runs after a skipped branch');
});

test('an unpaid order is cancelled by the failure handler when the wait times out', async () => {
  const r = await order.run(f.a.userClient, { unpaid: true, paymentWaitSeconds: 1 });
  assert.equal(states(r)['wait-payment'], 'FAILED');
  assert.equal(states(r).cancel_order, 'SUCCESS');
  assert.match(JSON.stringify(node(r.graph, 'cancel_order')?.out), /maxwaittime of 1 s exceeded/);
  // approve and what follows fail upstream: the order was not shipped, so the run is FAILED.
  assert.equal(r.state, 'FAILED');
});
