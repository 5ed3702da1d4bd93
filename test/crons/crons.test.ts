import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, startReplica, type Fixture } from '../helpers/fixture.ts';
import { ManualClock, systemClock } from '../../server/clock.ts';
import { ColoniesError } from '../../executor/transport.ts';
import { nextCronTime } from '../../server/services/schedule.ts';

// 2026-01-01T00:00:00Z, a whole minute: schedules below start on round times.
const T0 = Date.UTC(2026, 0, 1);
const oneStep = (funcname: string, args: unknown[] = []) => [{ funcname, args, executortype: 'test-executor' }];

async function rejects(p: Promise<unknown>, code: string): Promise<ColoniesError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ColoniesError, String(err));
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected ${code}`);
}

describe('crons', () => {
  let f: Fixture;
  const clock = new ManualClock(T0);
  before(async () => {
    f = await startFixture({ clock, authClock: systemClock });
  });
  after(() => f.close());

  test('bad crons are refused at add time and leave nothing behind', async () => {
    const c = f.a.userClient;
    const bad = await rejects(c.addCron({ name: 'bad', workflow: oneStep('x'), cronexpression: '61 * * * *' }), 'INVALID_CRON_EXPRESSION');
    assert.match(bad.message, /minute/);
    await rejects(c.addCron({ name: 'bad', workflow: oneStep('x'), cronexpression: '* * *' }), 'INVALID_CRON_EXPRESSION');
    await rejects(c.addCron({ name: 'bad', workflow: oneStep('x'), cronexpression: '* * * * *', interval: 5 }), 'VALIDATION_FAILED');
    await rejects(c.addCron({ name: 'bad', workflow: oneStep('x') }), 'VALIDATION_FAILED');
    await rejects(c.addCron({ name: 'bad', workflow: oneStep('x'), interval: 0 }), 'VALIDATION_FAILED');
    const cycle = [
      { funcname: 'a', executortype: 't', conditions: { dependencies: ['b'] } },
      { funcname: 'b', executortype: 't', conditions: { dependencies: ['a'] } },
    ];
    await rejects(c.addCron({ name: 'bad', workflow: cycle, interval: 5 }), 'DEPENDENCY_CYCLE');
    assert.deepEqual(await c.listCrons(), []);
    await c.addCron({ name: 'dup', workflow: oneStep('x'), interval: 3600 });
    await rejects(c.addCron({ name: 'dup', workflow: oneStep('x'), interval: 5 }), 'ALREADY_EXISTS');
    await rejects(c.getCron('nope'), 'CRON_NOT_FOUND');
    await c.removeCron('dup');
    await rejects(c.removeCron('dup'), 'CRON_NOT_FOUND');
  });

  test('a cron expression fires on schedule, once per slot, and chains leaf outputs into the next run', async () => {
    clock.set(T0 + 5_000);
    const c = f.a.userClient;
    const cron = await c.addCron({ name: 'every10s', workflow: oneStep('inc', [1]), cronexpression: '*/10 * * * * *' });
    assert.equal(cron.nextrun, new Date(T0 + 10_000).toISOString());

    assert.deepEqual(await f.server.services.crons.fireDue(), { fired: 0, skipped: 0 }, 'not due yet');
    clock.set(T0 + 10_000);
    assert.deepEqual(await f.server.services.crons.fireDue(), { fired: 1, skipped: 0 });
    assert.deepEqual(await f.server.services.crons.fireDue(), { fired: 0, skipped: 0 }, 'the same slot never fires twice');

    let got = await c.getCron('every10s');
    assert.equal(got.runs, 1);
    assert.equal(got.nextrun, new Date(T0 + 20_000).toISOString());
    const first = await c.getProcessGraph(got.lastprocessgraphid!);
    assert.deepEqual(first.processes[0]!.in, [1], 'first run: the roots get their args');

    // Run the first graph: inc(1) → 2.
    const [p] = await f.a.executorClient.assign({ timeout: 1 });
    assert.equal(p!.processgraphid, first.processgraphid);
    await f.a.executorClient.close(p!.processid, p!.attempt, [(p!.in[0] as number) + 1]);

    clock.set(T0 + 20_000);
    assert.equal((await f.server.services.crons.fireDue()).fired, 1);
    got = await c.getCron('every10s');
    const second = await c.getProcessGraph(got.lastprocessgraphid!);
    assert.notEqual(second.processgraphid, first.processgraphid);
    assert.deepEqual(second.processes[0]!.in, [2], "second run: the previous run's leaf output is the roots' input");
    await c.removeCron('every10s');
    await c.cancelProcessGraph(second.processgraphid);
  });

  test('waitforprevprocessgraph skips a firing while the previous graph is unfinished', async () => {
    clock.set(T0 + 100_000);
    const c = f.a.userClient;
    await c.addCron({ name: 'waiter', workflow: oneStep('slow'), interval: 10, waitforprevprocessgraph: true });
    clock.advance(10_000);
    assert.equal((await f.server.services.crons.fireDue()).fired, 1);
    const firstGraph = (await c.getCron('waiter')).lastprocessgraphid!;
    clock.advance(10_000);
    assert.deepEqual(await f.server.services.crons.fireDue(), { fired: 0, skipped: 1 });
    const skipped = await c.getCron('waiter');
    assert.equal(skipped.skips, 1);
    assert.equal(skipped.runs, 1);
    assert.match(skipped.lastskipreason, /still WAITING/);
    assert.equal(skipped.lastprocessgraphid, firstGraph);

    // Finish the previous run: the next slot fires again.
    const [p] = await f.a.executorClient.assign({ timeout: 1 });
    await f.a.executorClient.close(p!.processid, p!.attempt, []);
    clock.advance(10_000);
    assert.deepEqual(await f.server.services.crons.fireDue(), { fired: 1, skipped: 0 });
    const fired = await c.getCron('waiter');
    assert.equal(fired.runs, 2);
    await c.removeCron('waiter');
    await c.cancelProcessGraph(fired.lastprocessgraphid!);
  });

  test('after downtime a due cron fires once, late, says so, and moves to the next future slot', async () => {
    clock.set(T0 + 1_000_000);
    const c = f.a.userClient;
    const cron = await c.addCron({ name: 'minutely', workflow: oneStep('tick'), interval: 60 });
    const due = Date.parse(cron.nextrun);
    clock.set(due + 3600_000 + 500); // an hour of missed slots
    assert.deepEqual(await f.server.services.crons.fireDue(), { fired: 1, skipped: 0 });
    const got = await c.getCron('minutely');
    assert.equal(got.runs, 1);
    assert.equal(got.lastrunlatems, 3600_000 + 500);
    assert.ok(Date.parse(got.nextrun) > clock.now().getTime(), 'next run is in the future');
    assert.ok(Date.parse(got.nextrun) - clock.now().getTime() <= 60_000, 'and on the interval grid');
    await c.removeCron('minutely');
  });

  test('run now submits at once without moving the schedule', async () => {
    const c = f.a.userClient;
    const cron = await c.addCron({ name: 'manual', workflow: oneStep('x', [7]), cronexpression: '0 0 1 1 *' });
    const r = await c.runCron('manual');
    assert.ok(r.processgraph);
    assert.equal(r.skipped, null);
    assert.equal(r.cron.runs, 1);
    assert.equal(r.cron.nextrun, cron.nextrun);
    const g = await c.getProcessGraph(r.processgraph.processgraphid);
    assert.deepEqual(g.processes[0]!.in, [7]);
    await c.removeCron('manual');
  });

  test('crons are scoped to their colony', async () => {
    await f.a.userClient.addCron({ name: 'mine', workflow: oneStep('x'), interval: 3600 });
    assert.deepEqual(
      (await f.b.userClient.listCrons()).map((c) => c.name),
      [],
    );
    await rejects(f.b.userClient.getCron('mine'), 'CRON_NOT_FOUND');
    await rejects(f.b.userClient.runCron('mine'), 'CRON_NOT_FOUND');
    await f.a.userClient.removeCron('mine');
  });
});

describe('cron schedule', () => {
  test('next cron time follows the expression (seconds, weekdays, either-day rule)', () => {
    const d = new Date('2026-11-22T06:07:13');
    assert.equal(nextCronTime('*/15 * * * *', d)!.getTime(), new Date('2026-11-22T06:15:00').getTime());
    assert.equal(nextCronTime('*/5 * * * * *', d)!.getTime(), new Date('2026-11-22T06:07:15').getTime());
    assert.equal(nextCronTime('0 9 * * 1-5', d)!.getTime(), new Date('2026-11-23T09:00:00').getTime());
    assert.equal(nextCronTime('0 0 29 2 *', d)!.getTime(), new Date('2028-02-29T00:00:00').getTime());
    assert.equal(nextCronTime('0 0 13 * 5', d)!.getTime(), new Date('2026-11-27T00:00:00').getTime(), 'day 13 or a Friday');
  });
});

describe('crons on two replicas sharing one PostgreSQL database', () => {
  test('never double-fire over many ticks', async (t) => {
    if (process.env.COLONIES_TEST_ENGINE !== 'postgres') {
      t.skip('needs PostgreSQL (two servers on one database)');
      return;
    }
    const clock = new ManualClock(T0);
    const f = await startFixture({ clock, authClock: systemClock });
    const second = await startReplica(f, { clock });
    try {
      await f.a.userClient.addCron({ name: 'fast', workflow: oneStep('x'), interval: 1 });
      await f.a.userClient.addCron({ name: 'fast2', workflow: oneStep('y'), cronexpression: '* * * * * *' });
      const ticks = 40;
      let fired = 0;
      for (let i = 0; i < ticks; i++) {
        clock.advance(1000);
        const [x, y] = await Promise.all([f.server.services.crons.fireDue(), second.server.services.crons.fireDue()]);
        fired += x.fired + y.fired;
      }
      assert.equal(fired, 2 * ticks, 'each cron fired exactly once per tick');
      const graphs = await f.a.userClient.listProcessGraphs({ count: 1000, state: 'WAITING' });
      assert.equal(graphs.length, 2 * ticks);
      assert.equal((await f.a.userClient.getCron('fast')).runs, ticks);
      assert.equal((await f.a.userClient.getCron('fast2')).runs, ticks);
    } finally {
      await second.close();
      await f.close();
    }
  });
});

describe('a cron due long ago', () => {
  test('fires after a month of downtime: its lateness is capped to what its int column holds', async () => {
    const clock = new ManualClock(T0);
    const f = await startFixture({ clock, authClock: systemClock });
    try {
      await f.a.userClient.addCron({ name: 'hourly', workflow: oneStep('x'), interval: 3600 });
      clock.advance(30 * 24 * 3600 * 1000);
      assert.deepEqual(await f.server.services.crons.fireDue(), { fired: 1, skipped: 0 });
      const cron = await f.a.userClient.getCron('hourly');
      assert.equal(cron.runs, 1);
      assert.equal(cron.lastrunlatems, 2 ** 31 - 1);
    } finally {
      await f.close();
    }
  });
});
