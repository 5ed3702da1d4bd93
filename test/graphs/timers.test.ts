/**
 * Timers: a sleep node records when it wakes (seconds from its gate's opening, or until a time, or a
 * run variable holding one) and the deadline loop's timer sweep finishes it when that time comes on
 * the server's clock — across a restart on the same store. All on the injected clock: nothing sleeps.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, type Fixture } from '../helpers/fixture.ts';
import { reopenableTestDb } from '../helpers/db.ts';
import { ManualClock, systemClock } from '../../server/clock.ts';
import { createColoniesServer } from '../../server/main.ts';
import { loadServerConfig } from '../../server/config.ts';
import { silentLogger } from '../../server/log.ts';
import { startSleep } from '../../server/services/kinds/sleep.ts';
import { ColoniesError } from '../../executor/transport.ts';
import type { FunctionSpecInput } from '../../protocol/schemas.ts';
import { graphKit, node, take } from '../helpers/graphs.ts';

const T0 = Date.UTC(2026, 11, 24, 12);
const clock = new ManualClock(T0);
let f: Fixture;
before(async () => {
  f = await startFixture({ clock, authClock: systemClock, config: { leaseSeconds: 100_000 } });
});
after(async () => {
  await f.close();
});

const { executor, graph } = graphKit(() => f, 'tm');

const sweep = () => f.server.services.processes.expireDeadlines();

test('sleep seconds: counted from the gate opening, finished by the sweep when due, output the wake time', async () => {
  const { type, e } = await executor();
  const g = await f.a.userClient.submitWorkflow([
    { nodename: 'charge', funcname: 'charge', executortype: type },
    { kind: 'sleep', seconds: 30, nodename: 'cool-off', conditions: { dependencies: ['charge'] } },
    { nodename: 'ship', funcname: 'ship', executortype: type, conditions: { dependencies: ['cool-off'] } },
  ]);
  clock.advance(3_600_000); // the timer counts from its gate, not from the submit
  const charge = await take(e, 'charge');
  await e.close(charge.processid, charge.attempt, []);
  const opened = clock.now().getTime();
  const wake = new Date(opened + 30_000).toISOString();

  let now = await graph(g.processgraphid);
  assert.equal(node(now, 'cool-off').state, 'WAITING');
  assert.equal(node(now, 'cool-off').waitreason, `sleeping until ${wake}`);
  assert.equal((await sweep()).timers, 0);
  clock.advance(29_999);
  assert.equal((await sweep()).timers, 0, 'not a millisecond early');
  assert.equal(node(await graph(g.processgraphid), 'cool-off').state, 'WAITING');
  clock.advance(1);
  assert.equal((await sweep()).timers, 1);
  now = await graph(g.processgraphid);
  assert.equal(node(now, 'cool-off').state, 'SUCCESS');
  assert.deepEqual(node(now, 'cool-off').out, [wake]);
  const ship = await take(e, 'ship');
  assert.deepEqual(ship.in, [wake]);
  await e.close(ship.processid, ship.attempt, []);
  assert.equal((await graph(g.processgraphid)).state, 'SUCCESS');
});

test('sleep until a time: a time already past finishes at once; a later one when it comes', async () => {
  const past = new Date(clock.now().getTime() - 1000).toISOString();
  const later = new Date(clock.now().getTime() + 120_000).toISOString();
  const g = await f.a.userClient.submitWorkflow([
    { kind: 'sleep', until: past, nodename: 'past' },
    { kind: 'sleep', until: later, nodename: 'later' },
  ]);
  let now = await graph(g.processgraphid);
  assert.equal(node(now, 'past').state, 'SUCCESS');
  assert.deepEqual(node(now, 'past').out, [past]);
  assert.equal(node(now, 'later').state, 'WAITING');
  clock.advance(120_000);
  assert.equal((await sweep()).timers, 1);
  now = await graph(g.processgraphid);
  assert.deepEqual(node(now, 'later').out, [later]);
  assert.equal(now.state, 'SUCCESS');
});

test('a registered spec run by name sleeps until the time its run variable holds', async () => {
  const { type, e } = await executor();
  await f.a.userClient.registerWorkflowSpec('ship-later', {
    functionspecs: [
      { nodename: 'pack', funcname: 'pack', executortype: type },
      { kind: 'sleep', until: { $var: 'ship-at' }, nodename: 'wait-ship', conditions: { dependencies: ['pack'] } },
      { nodename: 'ship', funcname: 'ship', executortype: type, conditions: { dependencies: ['wait-ship'] } },
    ],
    variables: { 'ship-at': { type: 'string', format: 'date-time', required: true } },
  });
  const shipAt = new Date(clock.now().getTime() + 6 * 3_600_000).toISOString();
  const run = await f.a.userClient.runWorkflow('ship-later', { 'ship-at': shipAt });
  const pack = await take(e, 'pack');
  await e.close(pack.processid, pack.attempt, []);
  assert.equal(node(await graph(run.processgraphid), 'wait-ship').waitreason, `sleeping until ${shipAt}`);
  clock.advance(6 * 3_600_000 - 1);
  assert.equal((await sweep()).timers, 0);
  clock.advance(1);
  assert.equal((await sweep()).timers, 1);
  const ship = await take(e, 'ship');
  assert.deepEqual(ship.in, [shipAt]);
  await e.close(ship.processid, ship.attempt, []);
  assert.equal((await graph(run.processgraphid)).state, 'SUCCESS');
});

test('until from a variable with no time fails the node with a clear error, which a handler may catch', async () => {
  const { type, e } = await executor();
  const specs: [FunctionSpecInput, FunctionSpecInput] = [
    { kind: 'sleep', until: { $var: 'when' }, nodename: 'wait' },
    { nodename: 'fallback', funcname: 'fallback', executortype: type, conditions: { dependencies: ['wait'], trigger: 'one_failed' } },
  ];
  // A value that is no time, and no value at all.
  const bad = await f.a.userClient.submitWorkflow({ functionspecs: [...specs], variables: { when: { type: 'string', default: 'tomorrow' } } });
  let now = await graph(bad.processgraphid);
  assert.equal(node(now, 'wait').state, 'FAILED');
  assert.match(node(now, 'wait').errors.at(-1)!, /until: run variable "when" holds "tomorrow", which is not an ISO 8601 time/);
  const fallback = await take(e, 'fallback');
  await e.close(fallback.processid, fallback.attempt, []);
  assert.equal((await graph(bad.processgraphid)).state, 'SUCCESS');

  const missing = await f.a.userClient.submitWorkflow({ functionspecs: [specs[0]], variables: { when: { type: 'json' } } });
  now = await graph(missing.processgraphid);
  assert.equal(node(now, 'wait').state, 'FAILED');
  assert.match(node(now, 'wait').errors.at(-1)!, /until: run variable "when" has no value/);
  assert.equal(now.state, 'FAILED', 'unhandled: the graph fails');

  // A variable that is not declared is refused at submit, naming the field; nothing is written.
  const before = (await f.a.userClient.listProcessGraphs()).length;
  await assert.rejects(f.a.userClient.submitWorkflow([{ kind: 'sleep', until: { $var: 'nope' }, nodename: 'wait' }]), (err: unknown) => {
    assert.ok(err instanceof ColoniesError);
    assert.equal(err.code, 'VALIDATION_FAILED');
    assert.match(err.message, /functionspecs\.0\.until\.\$var: variable "nope" is not declared/);
    return true;
  });
  assert.equal((await f.a.userClient.listProcessGraphs()).length, before);
});

test('a start called again (resume) keeps the wake time it recorded', async () => {
  const g = await f.a.userClient.submitWorkflow([{ kind: 'sleep', seconds: 60, nodename: 'nap' }]);
  const nap = node(await graph(g.processgraphid), 'nap');
  const wake = new Date(clock.now().getTime() + 60_000).toISOString();
  const spec = nap.spec;
  const gate = {
    processid: nap.processid,
    colonyname: 'colony-a',
    processgraphid: g.processgraphid,
    executortype: ':sleep',
    spec,
    parents: [],
    input: [],
  };
  const again = await f.server.db.transaction((tx) =>
    startSleep(tx, { ...gate, graphstate: 'WAITING', variables: {} }, [], new Date(clock.now().getTime() + 50_000)),
  );
  assert.equal(again, undefined, 'still sleeping');
  assert.equal(node(await graph(g.processgraphid), 'nap').waitreason, `sleeping until ${wake}`, 'not moved by the second start');
  clock.advance(60_000);
  assert.equal((await sweep()).timers, 1);
});

test('the sweep finishes every due timer, in batches, and leaves the others', async () => {
  const g = await f.a.userClient.submitWorkflow([
    ...[1, 2, 3, 4, 5].map((i) => ({ kind: 'sleep' as const, seconds: 10, nodename: `short-${i}` })),
    { kind: 'sleep', seconds: 1000, nodename: 'long' },
  ]);
  clock.advance(10_000);
  const swept = await f.server.services.processes.expireDeadlines(2);
  assert.equal(swept.timers, 5);
  const now = await graph(g.processgraphid);
  assert.equal(now.processes.filter((p) => p.state === 'SUCCESS').length, 5);
  assert.equal(node(now, 'long').state, 'WAITING');
  clock.advance(990_000);
  assert.equal((await sweep()).timers, 1);
  assert.equal((await graph(g.processgraphid)).state, 'SUCCESS');
});

test('a timer survives a restart: a new server on the same store finishes it when due', async () => {
  const store = await reopenableTestDb();
  const restartClock = new ManualClock(T0);
  try {
    const testDb = await store.open();
    const db = testDb.db;
    const first = await startFixture({ clock: restartClock, authClock: systemClock, testDb });
    const g = await first.a.userClient.submitWorkflow([{ kind: 'sleep', seconds: 3600, nodename: 'overnight' }]);
    await first.close();
    await db.close();

    restartClock.advance(3_600_000);
    const { db: db2 } = await store.open();
    const second = await createColoniesServer(
      { ...loadServerConfig({}), host: '127.0.0.1', port: 0, logLevel: 'silent' },
      { db: db2, clock: restartClock, log: silentLogger, loops: false },
    );
    try {
      assert.equal((await second.services.processes.expireDeadlines()).timers, 1);
      const after = await second.services.graphs.getWithProcesses('colony-a', g.processgraphid);
      assert.equal(after.state, 'SUCCESS');
      assert.deepEqual(after.processes[0]!.out, [new Date(T0 + 3_600_000).toISOString()]);
    } finally {
      await second.close();
      await db2.close();
    }
  } finally {
    await store.remove();
  }
});
