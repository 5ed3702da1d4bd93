/**
 * Halt and resume of a process graph: nothing of a halted graph is assigned (other graphs go on),
 * running processes finish and count, what they release waits HALTED, and a resume hands it out,
 * decides the gates that came due and gives ready processes a fresh wait deadline. Driven step by step
 * through executors' clients, deadlines on a ManualClock.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, type Fixture } from '../helpers/fixture.ts';
import { ManualClock, systemClock } from '../../server/clock.ts';
import { funcSpec, Workflow } from '../../executor/workflow.ts';
import { ColoniesError } from '../../executor/transport.ts';
import type { SubscriptionMessage } from '../../executor/subscriber.ts';
import type { ColonyEvent } from '../../protocol/events.ts';
import type { Process } from '../../protocol/types.ts';
import { ColoniesClient } from '../../executor/client.ts';
import { graphKit, node, states } from '../helpers/graphs.ts';

const clock = new ManualClock(Date.UTC(2026, 0, 1));
let f: Fixture;
before(async () => {
  // Deadlines follow the manual clock; signatures keep to real time. A lease far longer than any clock move.
  f = await startFixture({ clock, authClock: systemClock, config: { leaseSeconds: 100_000 } });
});
after(async () => {
  await f.close();
});

const SEC = 1000;
const { setup, graph } = graphKit(() => f, 'halt');

const user = () => f.a.userClient;

async function take(e: ColoniesClient, nodename: string): Promise<Process> {
  const [p] = await e.assign({ timeout: 0 });
  assert.ok(p, `expected ${nodename} to be assigned`);
  assert.equal(p.spec.nodename, nodename);
  return p;
}
async function nothing(e: ColoniesClient, why: string): Promise<void> {
  assert.deepEqual(await e.assign({ timeout: 0 }), [], why);
}
async function refused(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof ColoniesError, String(err));
    assert.equal(err.code, code, err.message);
    return true;
  });
}

test('halt stops assignment of the graph only; a running process closes and counts, its children wait HALTED; resume hands them out', async () => {
  const { e, wf, type } = await setup({ func: 'a' }, { func: 'b', dependencies: ['a'] }, { func: 'c' });
  const events: ColonyEvent[] = [];
  const stop = await user().subscribe({}, (m: SubscriptionMessage) => {
    if (m.type === 'event') events.push(m.event);
  });
  try {
    const g = await user().submitWorkflow(wf);
    const a = await take(e, 'a');
    const halted = await user().haltProcessGraph(g.processgraphid);
    assert.equal(halted.state, 'HALTED');
    assert.deepEqual(states(await graph(g.processgraphid)), { a: 'RUNNING', b: 'HALTED', c: 'HALTED' });
    assert.equal((await user().stats()).processgraphs.HALTED, 1);
    assert.deepEqual(
      (await user().listProcessGraphs({ state: 'HALTED' })).map((x) => x.processgraphid),
      [g.processgraphid],
    );

    // Another graph of the same type is still assigned; nothing of the halted one is.
    const other = await user().submitWorkflow(new Workflow().add(funcSpec({ func: 'x', executortype: type })));
    const x = await take(e, 'x');
    await e.close(x.processid, x.attempt, []);
    assert.equal((await user().getProcessGraph(other.processgraphid)).state, 'SUCCESS');
    await nothing(e, 'the halted graph hands out nothing');

    // The running process closes during the halt: its result is kept and counted; its child stays HALTED.
    await e.close(a.processid, a.attempt, [7]);
    let now = await graph(g.processgraphid);
    assert.equal(now.state, 'HALTED');
    assert.equal(now.successcount, 1);
    assert.deepEqual(states(now), { a: 'SUCCESS', b: 'HALTED', c: 'HALTED' });
    await nothing(e, 'a child released during the halt is not claimable');

    const resumed = await user().resumeProcessGraph(g.processgraphid);
    assert.equal(resumed.state, 'RUNNING');
    const first = await take(e, 'b');
    assert.deepEqual(first.in, [7], 'the released child gets its parent output');
    const second = await take(e, 'c');
    await e.close(first.processid, first.attempt, []);
    await e.close(second.processid, second.attempt, []);
    now = await graph(g.processgraphid);
    assert.equal(now.state, 'SUCCESS');

    const mine = (ev: ColonyEvent) => 'processgraphid' in ev && ev.processgraphid === g.processgraphid;
    const deadline = Date.now() + 5000;
    while (!events.some((ev) => mine(ev) && ev.type === 'processgraph' && ev.state === 'SUCCESS') && Date.now() < deadline) {
      await new Promise((r) => setImmediate(r));
    }
    const graphStates = events.filter(mine).flatMap((ev) => (ev.type === 'processgraph' ? [ev.state] : []));
    assert.deepEqual(graphStates.slice(-3), ['HALTED', 'RUNNING', 'SUCCESS'], 'live events say HALTED, then resumed');
    assert.ok(events.some((ev) => mine(ev) && ev.type === 'process' && ev.nodename === 'b' && ev.state === 'HALTED'));
  } finally {
    stop();
  }
});

test('a graph halted before it started resumes WAITING; a retry and an added child during the halt wait HALTED', async () => {
  const { e, wf } = await setup({ func: 'p', maxretries: 1 }, { func: 'q', dependencies: ['p'] });
  const g = await user().submitWorkflow(wf);
  await user().haltProcessGraph(g.processgraphid);
  assert.equal((await user().resumeProcessGraph(g.processgraphid)).state, 'WAITING', 'nothing of it had started');

  const p = await take(e, 'p');
  await user().haltProcessGraph(g.processgraphid);
  // The running parent adds a child during the halt: it waits HALTED with the rest.
  await e.addChild(g.processgraphid, p.processid, null, funcSpec({ func: 'extra', executortype: p.spec.executortype }), 'extra', false);
  assert.equal(node(await graph(g.processgraphid), 'extra').state, 'HALTED');
  // A failed attempt with retries left goes back to HALTED, not WAITING.
  await e.fail(p.processid, p.attempt, ['flaky']);
  let now = await graph(g.processgraphid);
  assert.equal(node(now, 'p').state, 'HALTED');
  assert.equal(node(now, 'p').retries, 1);
  await nothing(e, 'the retry waits for the resume');

  await user().resumeProcessGraph(g.processgraphid);
  const again = await take(e, 'p');
  await e.close(again.processid, again.attempt, [1]);
  const q = await take(e, 'q');
  const extra = await take(e, 'extra');
  await e.close(q.processid, q.attempt, []);
  await e.close(extra.processid, extra.attempt, []);
  now = await graph(g.processgraphid);
  assert.equal(now.state, 'SUCCESS');
});

test('a gated child that came due during the halt is decided at resume', async () => {
  const { e, wf } = await setup(
    { func: 'amount' },
    { func: 'big', dependencies: ['amount'], when: 'input[0] > 100' },
    { func: 'small', dependencies: ['amount'], when: 'input[0] <= 100' },
  );
  const g = await user().submitWorkflow(wf);
  const amount = await take(e, 'amount');
  await user().haltProcessGraph(g.processgraphid);
  await e.close(amount.processid, amount.attempt, [250]);
  assert.deepEqual(states(await graph(g.processgraphid)), { amount: 'SUCCESS', big: 'HALTED', small: 'HALTED' }, 'not decided while halted');
  await nothing(e, 'no gate opened while halted');

  await user().resumeProcessGraph(g.processgraphid);
  const now = await graph(g.processgraphid);
  assert.equal(node(now, 'small').state, 'SKIPPED');
  const big = await take(e, 'big');
  assert.deepEqual(big.in, [250]);
  await e.close(big.processid, big.attempt, []);
  assert.equal((await graph(g.processgraphid)).state, 'SUCCESS');
});

test('wait deadlines do not run out during a halt; a resume gives ready processes a fresh one', async () => {
  const { e, wf } = await setup({ func: 'w', maxwaittime: 10 }, { func: 'later', dependencies: ['w'], maxwaittime: 10 });
  const g = await user().submitWorkflow(wf);
  await user().haltProcessGraph(g.processgraphid);
  clock.advance(60 * SEC);
  const { wait } = await f.server.services.processes.expireDeadlines();
  assert.equal(wait, 0, 'a halted process has no wait deadline');
  assert.equal(node(await graph(g.processgraphid), 'w').state, 'HALTED');

  await user().resumeProcessGraph(g.processgraphid);
  const w = node(await graph(g.processgraphid), 'w');
  assert.equal(w.state, 'WAITING');
  assert.equal(w.waitdeadline, new Date(clock.now().getTime() + 10 * SEC).toISOString(), 'counted from the resume');
  assert.equal(node(await graph(g.processgraphid), 'later').waitdeadline, null, 'not ready: no deadline yet');
  clock.advance(5 * SEC);
  assert.equal((await f.server.services.processes.expireDeadlines()).wait, 0);
  const taken = await take(e, 'w');
  await e.close(taken.processid, taken.attempt, []);
  await take(e, 'later').then((p) => e.close(p.processid, p.attempt, []));
  assert.equal((await graph(g.processgraphid)).state, 'SUCCESS');
});

test('refusals: a finished graph, halting twice, resuming a graph not halted, unknown graphs and strangers; nothing changes', async () => {
  const { e, wf } = await setup({ func: 'only' });
  const done = await user().submitWorkflow(wf);
  await take(e, 'only').then((p) => e.close(p.processid, p.attempt, []));
  const before = await graph(done.processgraphid);
  assert.equal(before.state, 'SUCCESS');
  await refused(user().haltProcessGraph(done.processgraphid), 'PROCESS_FINISHED');
  await refused(user().resumeProcessGraph(done.processgraphid), 'GRAPH_NOT_HALTED');
  assert.deepEqual(await graph(done.processgraphid), before, 'nothing changed');

  const live = await user().submitWorkflow(wf);
  await refused(user().resumeProcessGraph(live.processgraphid), 'GRAPH_NOT_HALTED');
  await user().haltProcessGraph(live.processgraphid);
  const halted = await graph(live.processgraphid);
  await refused(user().haltProcessGraph(live.processgraphid), 'GRAPH_HALTED');
  assert.deepEqual(await graph(live.processgraphid), halted, 'halting twice changes nothing');

  await refused(user().haltProcessGraph('0'.repeat(64)), 'PROCESSGRAPH_NOT_FOUND');
  await refused(f.b.userClient.haltProcessGraph(live.processgraphid), 'PROCESSGRAPH_NOT_FOUND');
  await refused(f.b.userClient.resumeProcessGraph(live.processgraphid), 'PROCESSGRAPH_NOT_FOUND');
  const stranger = new ColoniesClient({ url: f.url, prvkey: f.b.user.prvkey, colonyname: f.a.colonyname });
  await refused(stranger.haltProcessGraph(live.processgraphid), 'NOT_A_MEMBER');
  assert.deepEqual(await graph(live.processgraphid), halted);

  // The colony owner may resume too.
  assert.equal((await f.a.ownerClient.resumeProcessGraph(live.processgraphid)).state, 'WAITING');
  await take(e, 'only').then((p) => e.close(p.processid, p.attempt, []));
});

test('a halted graph can be cancelled (its late close is refused) and removed only with force', async () => {
  const { e, wf } = await setup({ func: 'r' }, { func: 's', dependencies: ['r'] });
  const g = await user().submitWorkflow(wf);
  const r = await take(e, 'r');
  await user().haltProcessGraph(g.processgraphid);
  await refused(user().removeProcessGraph(g.processgraphid), 'PROCESS_IS_RUNNING');
  await refused(f.a.ownerClient.removeAllProcessGraphs('HALTED'), 'VALIDATION_FAILED');
  const cancelled = await user().cancelProcessGraph(g.processgraphid);
  assert.equal(cancelled.state, 'CANCELLED');
  assert.deepEqual(states(await graph(g.processgraphid)), { r: 'CANCELLED', s: 'CANCELLED' });
  await refused(e.close(r.processid, r.attempt, []), 'PROCESS_NOT_RUNNING');
  await refused(user().resumeProcessGraph(g.processgraphid), 'GRAPH_NOT_HALTED');

  const h = await user().submitWorkflow(wf);
  await user().haltProcessGraph(h.processgraphid);
  await user().removeProcessGraph(h.processgraphid, { force: true });
  await refused(user().getProcessGraph(h.processgraphid), 'PROCESSGRAPH_NOT_FOUND');
});
