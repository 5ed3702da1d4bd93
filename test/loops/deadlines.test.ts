/**
 * Deadlines with a ManualClock: exec timeouts retry then fail, the timed-out attempt is fenced off,
 * maxwaittime counts from readiness, a process failing for good fails its graph and cancels what
 * waits in it, and two replicas sweeping one PostgreSQL database handle each expiry exactly once.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, type Fixture } from '../helpers/fixture.ts';
import { ManualClock, systemClock } from '../../server/clock.ts';
import { createColoniesServer } from '../../server/main.ts';
import { loadServerConfig } from '../../server/config.ts';
import { createPgDb } from '../../server/store/pg-db.ts';
import { silentLogger } from '../../server/log.ts';
import { FunctionSpec, type FunctionSpecInput } from '../../protocol/schemas.ts';
import { funcSpec, Workflow } from '../../executor/workflow.ts';
import { ColoniesError } from '../../executor/transport.ts';
import type { Process } from '../../protocol/types.ts';

const clock = new ManualClock(Date.UTC(2026, 0, 1));
let f: Fixture;
before(async () => {
  // Deadlines follow the manual clock; signatures keep to real time (the SDK signs with Date.now()).
  // A lease far longer than any clock move here: these tests are about deadlines (leases: leases.test.ts).
  f = await startFixture({ clock, authClock: systemClock, config: { leaseSeconds: 100_000 } });
});
after(async () => {
  await f.close();
});

const SEC = 1000;
const expire = async () => {
  const { exec, wait, silent, unheld } = await f.server.services.processes.expireDeadlines();
  assert.deepEqual({ silent, unheld }, { silent: 0, unheld: 0 }, 'no lease expires here');
  return { exec, wait };
};

async function refused(p: Promise<unknown>, code: string): Promise<ColoniesError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ColoniesError, String(err));
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected ${code}, but the request succeeded`);
}

async function assignOne(client: Fixture['a']['executorClient']): Promise<Process> {
  const [p] = await client.assign({ timeout: 0 });
  assert.ok(p, 'expected a process to assign');
  return p;
}

test('maxexectime: the attempt expires → WAITING with retries+1 and a useful error; FAILED after maxretries', async () => {
  const type = 'exec-expiry';
  const e1 = await f.addExecutor(type);
  const e2 = await f.addExecutor(type);
  const submitted = await f.a.userClient.submit({ funcname: 'slow', executortype: type, maxexectime: 10, maxretries: 1 });

  const first = await assignOne(e1.client);
  assert.equal(first.attempt, 1);
  assert.equal(first.execdeadline, new Date(clock.now().getTime() + 10 * SEC).toISOString());
  clock.advance(9 * SEC);
  assert.deepEqual(await expire(), { exec: 0, wait: 0 }, 'not expired before its deadline');
  assert.equal((await f.a.userClient.getProcess(submitted.processid)).state, 'RUNNING');

  clock.advance(1 * SEC); // exactly at the deadline
  assert.deepEqual(await expire(), { exec: 1, wait: 0 });
  const retried = await f.a.userClient.getProcess(submitted.processid);
  assert.equal(retried.state, 'WAITING');
  assert.equal(retried.retries, 1);
  assert.equal(retried.assignedexecutorid, null);
  assert.equal(retried.execdeadline, null);
  assert.equal(retried.errors.length, 1);
  assert.match(retried.errors[0]!, /maxexectime of 10 s exceeded/);
  assert.match(retried.errors[0]!, /attempt 1/);
  assert.ok(retried.errors[0]!.includes(e1.key.id), 'the error names the executor that timed out');

  // The second attempt goes to another executor; the first one's late close and fail are refused.
  const second = await assignOne(e2.client);
  assert.equal(second.processid, submitted.processid);
  assert.equal(second.attempt, 2);
  const late = await refused(e1.client.close(first.processid, first.attempt, ['late']), 'NOT_ASSIGNED');
  assert.equal(late.status, 403);
  await refused(e1.client.fail(first.processid, first.attempt, ['late']), 'NOT_ASSIGNED');
  await refused(e2.client.close(first.processid, first.attempt, ['stale attempt']), 'NOT_ASSIGNED');
  const running = await f.a.userClient.getProcess(submitted.processid);
  assert.equal(running.state, 'RUNNING');
  assert.equal(running.assignedexecutorid, e2.key.id);
  assert.deepEqual(running.out, []);

  // Retries are used up: the next expiry fails the process for good.
  clock.advance(11 * SEC);
  assert.deepEqual(await expire(), { exec: 1, wait: 0 });
  const failed = await f.a.userClient.getProcess(submitted.processid);
  assert.equal(failed.state, 'FAILED');
  assert.equal(failed.retries, 1);
  assert.equal(failed.errors.length, 2);
  assert.match(failed.errors[1]!, /maxexectime of 10 s exceeded \(attempt 2/);
  assert.equal(failed.endtime, clock.now().toISOString());
  await refused(e2.client.close(second.processid, second.attempt, ['too late']), 'PROCESS_NOT_RUNNING');
  assert.deepEqual(await expire(), { exec: 0, wait: 0 }, 'a failed process never expires again');
});

test('a close from the timed-out attempt is refused even when the same executor got the process again', async () => {
  const type = 'exec-same-executor';
  const e = await f.addExecutor(type);
  const { processid } = await f.a.userClient.submit({ funcname: 'f', executortype: type, maxexectime: 5, maxretries: 3 });
  const first = await assignOne(e.client);
  clock.advance(6 * SEC);
  assert.equal((await expire()).exec, 1);
  const second = await assignOne(e.client);
  assert.equal(second.processid, processid);
  assert.equal(second.attempt, 2);
  const err = await refused(e.client.close(processid, first.attempt, ['from attempt 1']), 'NOT_ASSIGNED');
  assert.deepEqual(err.details, { attempt: 2 });
  await e.client.close(processid, second.attempt, ['from attempt 2']);
  const done = await f.a.userClient.getProcess(processid);
  assert.equal(done.state, 'SUCCESS');
  assert.deepEqual(done.out, ['from attempt 2']);
  assert.equal(done.retries, 1);
});

test('maxwaittime counts from readiness: a child does not time out while its parent runs', async () => {
  const type = 'wait-from-ready';
  const e = await f.addExecutor(type);
  const g = await f.a.userClient.submitWorkflow(
    new Workflow()
      .add(funcSpec({ func: 'parent', executortype: type }))
      .add(funcSpec({ func: 'child', executortype: type, maxwaittime: 10, dependencies: ['parent'] })),
  );
  const parent = await assignOne(e.client);
  clock.advance(60 * SEC); // the parent runs for a minute, far past the child's maxwaittime
  assert.deepEqual(await expire(), { exec: 0, wait: 0 });
  let child = await f.a.userClient.findProcess(g.processgraphid, 'child');
  assert.equal(child.state, 'WAITING');
  assert.equal(child.ready, false);
  assert.equal(child.waitdeadline, null);

  await e.client.close(parent.processid, parent.attempt, ['x']);
  child = await f.a.userClient.findProcess(g.processgraphid, 'child');
  assert.equal(child.ready, true);
  assert.equal(child.readytime, clock.now().toISOString());
  assert.equal(child.waitdeadline, new Date(clock.now().getTime() + 10 * SEC).toISOString());

  clock.advance(9 * SEC);
  assert.deepEqual(await expire(), { exec: 0, wait: 0 });
  clock.advance(2 * SEC);
  assert.deepEqual(await expire(), { exec: 0, wait: 1 });
  child = await f.a.userClient.findProcess(g.processgraphid, 'child');
  assert.equal(child.state, 'FAILED');
  assert.match(child.errors.at(-1)!, /maxwaittime of 10 s exceeded/);
  const graph = await f.a.userClient.getProcessGraph(g.processgraphid);
  assert.equal(graph.state, 'FAILED');
  assert.deepEqual(await e.client.assign({ timeout: 0 }), [], 'a failed process is not assignable');
});

test('maxwaittime: a standalone process times out from submission; a retry restarts the wait', async () => {
  const type = 'wait-standalone';
  const e = await f.addExecutor(type);
  const lonely = await f.a.userClient.submit({ funcname: 'nobody', executortype: type + '-unserved', maxwaittime: 5 });
  const retried = await f.a.userClient.submit({ funcname: 'f', executortype: type, maxwaittime: 30, maxexectime: 10, maxretries: 1 });
  const first = await assignOne(e.client);
  assert.equal(first.processid, retried.processid);
  assert.equal(first.waitdeadline, null, 'a running process has no wait deadline');

  clock.advance(5 * SEC);
  assert.deepEqual(await expire(), { exec: 0, wait: 1 });
  const timedOut = await f.a.userClient.getProcess(lonely.processid);
  assert.equal(timedOut.state, 'FAILED');
  assert.match(timedOut.errors[0]!, /maxwaittime of 5 s exceeded/);

  clock.advance(5 * SEC); // exec deadline: back to WAITING, ready again now
  assert.deepEqual(await expire(), { exec: 1, wait: 0 });
  const again = await f.a.userClient.getProcess(retried.processid);
  assert.equal(again.state, 'WAITING');
  assert.equal(again.waitdeadline, new Date(clock.now().getTime() + 30 * SEC).toISOString());
  clock.advance(29 * SEC);
  assert.deepEqual(await expire(), { exec: 0, wait: 0 }, 'the wait counts from the retry, not from submission');
  clock.advance(1 * SEC);
  assert.deepEqual(await expire(), { exec: 0, wait: 1 });
  assert.equal((await f.a.userClient.getProcess(retried.processid)).state, 'FAILED');
});

test('a graph fails when a process fails for good: its waiting processes are CANCELLED, running ones may still close', async () => {
  const type = 'graph-fails';
  const e = await f.addExecutor(type);
  const g = await f.a.userClient.submitWorkflow(
    new Workflow()
      .add(funcSpec({ func: 'a', executortype: type, maxexectime: 5 }))
      .add(funcSpec({ func: 'b', executortype: type, dependencies: ['a'] }))
      .add(funcSpec({ func: 'c', executortype: type, dependencies: ['b'] }))
      .add(funcSpec({ func: 'd', executortype: type }))
      .add(funcSpec({ func: 'e', executortype: type, priority: -5 })),
  );
  const running = await e.client.assign({ timeout: 0, count: 2 }); // a and d; e waits (lower priority)
  assert.deepEqual(running.map((p) => p.spec.nodename).sort(), ['a', 'd']);
  const a = running.find((p) => p.spec.nodename === 'a')!;
  const d = running.find((p) => p.spec.nodename === 'd')!;

  clock.advance(6 * SEC);
  assert.deepEqual(await expire(), { exec: 1, wait: 0 });
  const graph = await f.a.userClient.getProcessGraph(g.processgraphid);
  assert.equal(graph.state, 'FAILED');
  assert.equal(graph.endtime, clock.now().toISOString());
  assert.ok(
    graph.errors.some((m) => m.includes(a.processid) && /maxexectime/.test(m)),
    `graph errors: ${JSON.stringify(graph.errors)}`,
  );
  const state = Object.fromEntries(graph.processes.map((p) => [p.spec.nodename, p]));
  assert.equal(state.a!.state, 'FAILED');
  for (const n of ['b', 'c', 'e']) {
    assert.equal(state[n]!.state, 'CANCELLED', `${n} is cancelled`);
    assert.ok(
      state[n]!.errors.some((m) => m.includes(a.processid)),
      `${n} says why`,
    );
  }
  assert.equal(state.d!.state, 'RUNNING');

  assert.deepEqual(await e.client.assign({ timeout: 0, count: 10 }), [], 'nothing more is assigned from a failed graph');
  await e.client.close(d.processid, d.attempt, ['kept']);
  const after = await f.a.userClient.getProcessGraph(g.processgraphid);
  assert.equal(after.state, 'FAILED', 'a late close does not revive the graph');
  assert.deepEqual(after.processes.find((p) => p.spec.nodename === 'd')!.out, ['kept']);
});

test('a graph fails on an explicit fail with no retries left, too', async () => {
  const type = 'graph-fails-explicit';
  const e = await f.addExecutor(type);
  const g = await f.a.userClient.submitWorkflow([
    funcSpec({ func: 'a', executortype: type, maxretries: 1 }),
    funcSpec({ func: 'b', executortype: type, dependencies: ['a'], maxwaittime: 5 }),
  ]);
  let a = await assignOne(e.client);
  await e.client.fail(a.processid, a.attempt, ['first']);
  assert.equal((await f.a.userClient.getProcessGraph(g.processgraphid)).state, 'RUNNING', 'a retry does not fail the graph');
  a = await assignOne(e.client);
  await e.client.fail(a.processid, a.attempt, ['second']);
  const graph = await f.a.userClient.getProcessGraph(g.processgraphid);
  assert.equal(graph.state, 'FAILED');
  assert.match(graph.errors[0]!, /second/);
  assert.equal(graph.processes.find((p) => p.spec.nodename === 'b')!.state, 'CANCELLED');
  clock.advance(60 * SEC);
  assert.deepEqual(await expire(), { exec: 0, wait: 0 }, 'cancelled processes carry no deadlines');
});

test('two server replicas on one PostgreSQL database handle each expired process exactly once', async (t) => {
  if (f.testDb.engine !== 'postgres' || !f.testDb.url) {
    t.skip('needs PostgreSQL: PGlite is one embedded connection, not shared by replicas');
    return;
  }
  const db2 = createPgDb({ connectionString: f.testDb.url, max: 4 });
  const replica = await createColoniesServer({ ...loadServerConfig({}), logLevel: 'silent' }, { db: db2, clock, log: silentLogger, loops: false });
  try {
    const s1 = f.server.services.processes;
    const s2 = replica.services.processes;
    const colony = f.a.colonyname;
    const executor = { id: f.a.executor.id, executortype: 'replicas' };
    const spec = (o: Partial<FunctionSpecInput>) => FunctionSpec.parse({ funcname: 'f', executortype: 'replicas', ...o });
    const N = 300;
    const ids: string[] = [];
    for (let i = 0; i < N; i++) ids.push((await s1.submit(colony, spec({ maxexectime: 10, maxretries: 1 }), f.a.user.id)).processid);
    const waiters: string[] = [];
    for (let i = 0; i < 100; i++)
      waiters.push((await s2.submit(colony, spec({ executortype: 'replicas-unserved', maxwaittime: 5 }), f.a.user.id)).processid);

    const sweepBoth = async () => {
      // Small batches and several sweeps per replica interleave their claims.
      const results = await Promise.all([s1.expireDeadlines(20), s2.expireDeadlines(20), s1.expireDeadlines(20), s2.expireDeadlines(20)]);
      t.diagnostic(`sweeps handled ${results.map((r) => `${r.exec}+${r.wait}`).join(', ')}`);
      return results.reduce((acc, r) => ({ exec: acc.exec + r.exec, wait: acc.wait + r.wait }), { exec: 0, wait: 0 });
    };

    // Round 1: every attempt expires once (→ WAITING, retries 1); every wait expires once (→ FAILED).
    assert.equal((await s1.assign(colony, executor, N, 0)).length, N);
    clock.advance(11 * SEC);
    assert.deepEqual(await sweepBoth(), { exec: N, wait: 100 });
    for (const id of ids) {
      const p = await s2.get(colony, id);
      assert.equal(p.state, 'WAITING');
      assert.equal(p.retries, 1);
      assert.equal(p.errors.length, 1, 'one expiry, one error');
    }
    for (const id of waiters) {
      const p = await s1.get(colony, id);
      assert.equal(p.state, 'FAILED');
      assert.equal(p.errors.length, 1);
    }

    // Round 2: the retries are used up, so each expiry now fails its process, once.
    assert.equal((await s2.assign(colony, executor, N, 0)).length, N);
    clock.advance(11 * SEC);
    assert.deepEqual(await sweepBoth(), { exec: N, wait: 0 });
    const stats = await s1.stats(colony);
    assert.equal(stats.RUNNING, 0);
    for (const id of ids) {
      const p = await s1.get(colony, id);
      assert.equal(p.state, 'FAILED');
      assert.equal(p.retries, 1);
      assert.equal(p.errors.length, 2);
    }
    assert.deepEqual(await sweepBoth(), { exec: 0, wait: 0 });
  } finally {
    await replica.close();
    await db2.close();
  }
});
