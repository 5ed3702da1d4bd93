/**
 * External events: event nodes wait, ready, for an event of their name posted to their graph; an
 * event posted first is kept and consumed when a node reaches it (one event, one node, oldest first);
 * maxwaittime bounds the wait, and a failure handler catches the timeout; refusals store nothing.
 * Deadlines on the injected clock, executors driven step by step through the client.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, type Fixture } from '../helpers/fixture.ts';
import { ManualClock, systemClock } from '../../server/clock.ts';
import { ColoniesError } from '../../executor/transport.ts';
import type { ColonyEvent } from '../../protocol/events.ts';
import { graphKit, node, states, take } from '../helpers/graphs.ts';

const clock = new ManualClock(Date.UTC(2026, 5, 1, 12));
let f: Fixture;
before(async () => {
  f = await startFixture({ clock, authClock: systemClock, config: { leaseSeconds: 100_000 } });
});
after(async () => {
  await f.close();
});

const { executor, graph } = graphKit(() => f, 'ev');

async function refused(p: Promise<unknown>, status: number, code: string, message: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof ColoniesError, String(err));
    assert.equal(err.status, status);
    assert.equal(err.code, code);
    assert.match(err.message, message);
    return true;
  });
}

test('an event node waits, ready, and finishes with the data of the event posted to its graph', async () => {
  const { type, e } = await executor();
  const g = await f.a.userClient.submitWorkflow([
    { nodename: 'order', funcname: 'order', executortype: type },
    { kind: 'event', event: 'payment-received', nodename: 'wait-payment', conditions: { dependencies: ['order'] } },
    { nodename: 'ship', funcname: 'ship', executortype: type, conditions: { dependencies: ['wait-payment'] } },
  ]);
  assert.deepEqual(g.warnings, [`no executor serves order on ${type} yet`, `no executor serves ship on ${type} yet`], 'none for the server node');
  const order = await take(e, 'order');
  await e.close(order.processid, order.attempt, ['o-1']);

  let now = await graph(g.processgraphid);
  const waiting = node(now, 'wait-payment');
  assert.equal(waiting.state, 'WAITING');
  assert.equal(waiting.ready, true);
  assert.equal(waiting.waitreason, 'waiting for event payment-received');
  assert.deepEqual(await e.assign({ timeout: 0 }), [], 'nothing for executors while the event has not come');

  const posted = await f.a.userClient.postEvent(g.processgraphid, 'payment-received', { amount: 42 });
  assert.equal(posted.consumedby, waiting.processid, 'the answer says which node consumed it');
  assert.equal(posted.name, 'payment-received');
  assert.equal(posted.postedbyname, 'alice');
  now = await graph(g.processgraphid);
  assert.equal(node(now, 'wait-payment').state, 'SUCCESS');
  assert.deepEqual(node(now, 'wait-payment').out, [{ amount: 42 }]);
  const ship = await take(e, 'ship');
  assert.deepEqual(ship.in, [{ amount: 42 }], "the next node gets the event's data as input");
  await e.close(ship.processid, ship.attempt, []);
  assert.equal((await graph(g.processgraphid)).state, 'SUCCESS');

  const events = await f.a.userClient.listEvents(g.processgraphid);
  assert.equal(events.length, 1);
  assert.equal(events[0]!.consumedby, waiting.processid);
  assert.deepEqual(events[0]!.data, { amount: 42 });
});

test('an event posted before the node is reached is kept, and consumed when it is', async () => {
  const { type, e } = await executor();
  const g = await f.a.userClient.submitWorkflow([
    { nodename: 'prepare', funcname: 'prepare', executortype: type },
    { kind: 'event', event: 'approved', nodename: 'approval', conditions: { dependencies: ['prepare'] } },
  ]);
  const kept = await f.a.userClient.postEvent(g.processgraphid, 'approved', 'by bob');
  assert.equal(kept.consumedby, null, 'no node waits yet: the event is kept');
  assert.equal(node(await graph(g.processgraphid), 'approval').state, 'WAITING');

  const prepare = await take(e, 'prepare');
  await e.close(prepare.processid, prepare.attempt, []);
  const now = await graph(g.processgraphid);
  assert.equal(node(now, 'approval').state, 'SUCCESS', 'the kept event finished the node as soon as its gate opened');
  assert.deepEqual(node(now, 'approval').out, ['by bob']);
  assert.equal(now.state, 'SUCCESS');
  const [e1] = await f.a.userClient.listEvents(g.processgraphid);
  assert.equal(e1!.consumedby, node(now, 'approval').processid);
});

test('two nodes waiting for one name: each event is consumed by one node, oldest event first', async () => {
  const g = await f.a.userClient.submitWorkflow([
    { kind: 'event', event: 'tick', nodename: 'first' },
    { kind: 'event', event: 'tick', nodename: 'second' },
    { kind: 'event', event: 'tock', nodename: 'other' },
  ]);
  let now = await graph(g.processgraphid);
  assert.deepEqual(states(now), { first: 'WAITING', second: 'WAITING', other: 'WAITING' });

  const one = await f.a.userClient.postEvent(g.processgraphid, 'tick', 1);
  now = await graph(g.processgraphid);
  assert.equal(one.consumedby, node(now, 'first').processid, 'the node waiting longest takes it');
  assert.deepEqual(states(now), { first: 'SUCCESS', second: 'WAITING', other: 'WAITING' });
  await f.a.userClient.postEvent(g.processgraphid, 'tick', 2);
  const extra = await f.a.userClient.postEvent(g.processgraphid, 'tick', 3);
  assert.equal(extra.consumedby, null, 'a third tick finds no node: kept');
  now = await graph(g.processgraphid);
  assert.deepEqual(node(now, 'first').out, [1]);
  assert.deepEqual(node(now, 'second').out, [2]);
  assert.equal(node(now, 'other').state, 'WAITING', 'an event of another name is not consumed');
  await f.a.userClient.postEvent(g.processgraphid, 'tock', null);
  assert.equal((await graph(g.processgraphid)).state, 'SUCCESS');
  const names = (await f.a.userClient.listEvents(g.processgraphid)).map((x) => [x.name, x.data, x.consumedby !== null]);
  assert.deepEqual(names, [
    ['tick', 1, true],
    ['tick', 2, true],
    ['tick', 3, false],
    ['tock', null, true],
  ]);
});

test('kept events of one name are consumed oldest first by nodes reached later', async () => {
  const { type, e } = await executor();
  const g = await f.a.userClient.submitWorkflow([
    { nodename: 'start', funcname: 'start', executortype: type },
    { kind: 'event', event: 'item', nodename: 'a', conditions: { dependencies: ['start'] } },
    { kind: 'event', event: 'item', nodename: 'b', conditions: { dependencies: ['a'] } },
  ]);
  await f.a.userClient.postEvent(g.processgraphid, 'item', 'older');
  await f.a.userClient.postEvent(g.processgraphid, 'item', 'newer');
  const start = await take(e, 'start');
  await e.close(start.processid, start.attempt, []);
  const now = await graph(g.processgraphid);
  assert.deepEqual(node(now, 'a').out, ['older']);
  assert.deepEqual(node(now, 'b').out, ['newer']);
  assert.equal(now.state, 'SUCCESS');
});

test('maxwaittime bounds the wait: the node FAILS, and a one_failed handler runs after the timeout', async () => {
  const { type, e } = await executor();
  const g = await f.a.userClient.submitWorkflow([
    { kind: 'event', event: 'payment-received', nodename: 'wait-payment', maxwaittime: 60 },
    { nodename: 'cancel-order', funcname: 'cancel_order', executortype: type, conditions: { dependencies: ['wait-payment'], trigger: 'one_failed' } },
  ]);
  clock.advance(59_000);
  await f.server.services.processes.expireDeadlines();
  assert.equal(node(await graph(g.processgraphid), 'wait-payment').state, 'WAITING', 'not before its maxwaittime');
  clock.advance(2_000);
  const swept = await f.server.services.processes.expireDeadlines();
  assert.equal(swept.wait, 1);
  let now = await graph(g.processgraphid);
  assert.equal(node(now, 'wait-payment').state, 'FAILED');
  assert.match(node(now, 'wait-payment').errors.at(-1)!, /maxwaittime of 60 s exceeded/);
  const handler = await take(e, 'cancel-order');
  assert.equal((handler.in[0] as { nodename: string }).nodename, 'wait-payment');
  await e.close(handler.processid, handler.attempt, []);
  now = await graph(g.processgraphid);
  assert.equal(now.state, 'SUCCESS', 'the handled timeout does not fail the graph (the handler is the leaf)');

  // The event that comes too late finds the graph finished: refused, nothing kept.
  await refused(f.a.userClient.postEvent(g.processgraphid, 'payment-received', {}), 409, 'PROCESS_FINISHED', /already SUCCESS/);
  assert.deepEqual(await f.a.userClient.listEvents(g.processgraphid), []);
});

test('refusals store nothing: no such graph 404, a finished graph 409, a bad name or data 400 naming the field', async () => {
  const g = await f.a.userClient.submitWorkflow([{ kind: 'event', event: 'go', nodename: 'wait' }]);
  const ghost = 'f'.repeat(64);
  await refused(f.a.userClient.postEvent(ghost, 'go', {}), 404, 'PROCESSGRAPH_NOT_FOUND', new RegExp(`process graph ${ghost} is not in colony`));
  // Another colony's graph is not found through one's own colony.
  const other = await f.b.userClient.submitWorkflow([{ kind: 'event', event: 'go', nodename: 'wait' }]);
  await refused(f.a.userClient.postEvent(other.processgraphid, 'go', {}), 404, 'PROCESSGRAPH_NOT_FOUND', /colony "colony-a"/);
  await refused(f.a.userClient.listEvents(other.processgraphid), 404, 'PROCESSGRAPH_NOT_FOUND', /colony "colony-a"/);
  assert.deepEqual(await f.b.userClient.listEvents(other.processgraphid), []);

  await refused(f.a.userClient.postEvent(g.processgraphid, '', {}), 400, 'VALIDATION_FAILED', /body\.name/);
  await refused(f.a.userClient.postEvent(g.processgraphid, 'x'.repeat(201), {}), 400, 'VALIDATION_FAILED', /body\.name/);
  await refused(f.a.userClient.postEvent(g.processgraphid, 'go', { bad: 'a\u0000b' }), 400, 'VALIDATION_FAILED', /body\.data/);
  assert.deepEqual(await f.a.userClient.listEvents(g.processgraphid), [], 'nothing stored on a refusal');
  assert.equal(node(await graph(g.processgraphid), 'wait').state, 'WAITING');

  await f.a.userClient.cancelProcessGraph(g.processgraphid);
  await refused(f.a.userClient.postEvent(g.processgraphid, 'go', {}), 409, 'PROCESS_FINISHED', /already CANCELLED/);
  assert.deepEqual(await f.a.userClient.listEvents(g.processgraphid), []);
});

test('an executor of the colony may post (as it may add children); the event is published live', async () => {
  const { type, e } = await executor();
  const g = await f.a.userClient.submitWorkflow([
    { nodename: 'work', funcname: 'work', executortype: type },
    { kind: 'event', event: 'done', nodename: 'wait-done' },
  ]);
  const seen: ColonyEvent[] = [];
  const off = await f.a.userClient.subscribe({ processgraphid: g.processgraphid }, (m) => {
    if (m.type === 'event') seen.push(m.event);
  });
  const work = await take(e, 'work');
  const posted = await e.postEvent(g.processgraphid, 'done', { by: work.processid });
  const waitDone = node(await graph(g.processgraphid), 'wait-done');
  assert.equal(posted.consumedby, waitDone.processid);
  assert.equal(posted.postedbyname.startsWith(type), true, "the executor's name");
  await e.close(work.processid, work.attempt, []);
  for (const until = Date.now() + 5000; !seen.some((x) => x.type === 'processgraph' && x.state === 'SUCCESS');) {
    if (Date.now() > until) throw new Error(`no graph SUCCESS event in ${JSON.stringify(seen)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  off();
  const live = seen.find((x) => x.type === 'graph-event');
  assert.ok(live && live.type === 'graph-event');
  assert.equal(live.name, 'done');
  assert.equal(live.processid, waitDone.processid);
  assert.ok(seen.some((x) => x.type === 'process' && x.processid === waitDone.processid && x.state === 'SUCCESS'));
});
