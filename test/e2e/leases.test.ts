/**
 * Leases and cancellation end to end, with the deadline loop running and a 2 s lease: an executor
 * process killed with -9 in the middle of a process with no maxexectime loses it after the lease and
 * it succeeds elsewhere; a live executor keeps its lease while its function runs; a cancelled
 * process's function sees ctx.signal abort within about a second, its slot is freed and its late
 * result dropped without a warning.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startFixture, type Fixture } from '../helpers/fixture.ts';
import { childTaking } from '../helpers/spawn-executor.ts';
import { serve as serveType } from '../graphs/serve.ts';
import type { ExecutionContext, Executor, ExecutorFunction } from '../../executor/executor.ts';

const LEASE_SECONDS = 2;
let f: Fixture;
before(async () => {
  f = await startFixture({ loops: true, config: { deadlineIntervalMs: 100, leaseSeconds: LEASE_SECONDS } });
});
after(async () => {
  await f.close();
});

const serve = (type: string, functions: Record<string, ExecutorFunction>, onError?: (err: unknown) => void): Promise<Executor> =>
  serveType(f, type, functions, 1, onError ? { onError } : {});

test('an executor killed with -9 mid-process (no maxexectime) loses it after the lease; it succeeds on another executor', async (t) => {
  const type = 'lease-killed';
  const p = await f.a.userClient.submit({ funcname: 'hang', executortype: type, maxretries: 1 });
  const doomed = await childTaking(f, type);
  let rescuer: Executor | undefined;
  try {
    assert.equal(doomed.taken, p.processid);
    // Alive, it keeps the lease however long its function runs (its heartbeats).
    await sleep(2.5 * LEASE_SECONDS * 1000);
    const running = await f.a.userClient.getProcess(p.processid);
    assert.equal(running.state, 'RUNNING', `still running on the live executor: ${running.errors.join('; ')}`);
    assert.equal(running.attempt, 1);
    assert.equal((await f.a.userClient.getExecutor(doomed.name)).online, true);

    doomed.child.kill('SIGKILL');
    await doomed.exited;
    const killedAt = Date.now();
    rescuer = await serve(type, { hang: () => 'recovered' });
    const done = await f.a.userClient.waitForProcess(p.processid, 20_000);
    const recoveredMs = Date.now() - killedAt;
    t.diagnostic(`recovered ${recoveredMs} ms after the kill, with a ${LEASE_SECONDS} s lease`);
    assert.equal(done.state, 'SUCCESS');
    assert.deepEqual(done.out, ['recovered']);
    assert.equal(done.retries, 1);
    assert.equal(done.attempt, 2);
    assert.equal(done.assignedexecutorid, rescuer.id);
    assert.deepEqual(done.errors, [`executor ${doomed.name} not heard from for ${LEASE_SECONDS} s (attempt 1)`]);
    // The lease, the heartbeat write's throttle (a fifth of it), a sweep and a claim (~1 s on a quiet
    // machine; the bound leaves room for a busy one, and still tells a lease from no recovery at all).
    assert.ok(recoveredMs < LEASE_SECONDS * 1000 + 6000, `recovered after ${recoveredMs} ms`);
    assert.equal((await f.a.userClient.getExecutor(doomed.name)).online, false);
  } finally {
    await doomed.kill();
    await rescuer?.stop(1000);
  }
});

test('cancelling a running process aborts ctx.signal within about a second; the slot is freed, the late result dropped quietly', async (t) => {
  const type = 'lease-cancel';
  const warnings: unknown[] = [];
  let abortedAt = 0;
  let release!: () => void;
  const ex = await serve(
    type,
    {
      // Sees the abort but returns only when the test says so: its slot must be free meanwhile.
      stubborn: (ctx: ExecutionContext) =>
        new Promise((resolve) => {
          ctx.signal.addEventListener('abort', () => (abortedAt = Date.now()));
          release = () => resolve('too late');
        }),
      quick: () => 'quick',
    },
    (err) => warnings.push(err),
  );
  try {
    const p = await f.a.userClient.submit({ funcname: 'stubborn', executortype: type });
    for (let i = 0; (await f.a.userClient.getProcess(p.processid)).state !== 'RUNNING'; i++) {
      assert.ok(i < 200, 'the process did not start');
      await sleep(25);
    }
    await sleep(100);
    const cancelledAt = Date.now();
    await f.a.userClient.cancelProcess(p.processid);
    for (let i = 0; abortedAt === 0; i++) {
      assert.ok(i < 400, 'ctx.signal did not abort within 10 s');
      await sleep(25);
    }
    // One heartbeat (every second) and its answer: about a second when quiet; the function itself never returns.
    t.diagnostic(`ctx.signal aborted ${abortedAt - cancelledAt} ms after the cancel`);
    assert.ok(abortedAt - cancelledAt < 5000, `aborted after ${abortedAt - cancelledAt} ms`);

    // Concurrency 1, and the cancelled function has not returned: the slot is free all the same.
    const q = await f.a.userClient.submit({ funcname: 'quick', executortype: type });
    assert.equal((await f.a.userClient.waitForProcess(q.processid, 10_000)).state, 'SUCCESS');
    release();
    await sleep(200);
    const cancelled = await f.a.userClient.getProcess(p.processid);
    assert.equal(cancelled.state, 'CANCELLED');
    assert.deepEqual(cancelled.out, []);
    assert.equal(ex.stats.revoked, 1);
  } finally {
    await ex.stop(1000);
  }
  assert.deepEqual(warnings.map(String), [], 'no warning for a result the server had revoked');
});
