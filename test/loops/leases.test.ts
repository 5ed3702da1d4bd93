/**
 * Leases with a ManualClock: a RUNNING process whose executor goes silent for a lease, or which its
 * executor reports not holding (an assignment that never reached it), goes back through the retry
 * rule with the reason; the old attempt's close is refused; a heartbeat answers which held attempts
 * are over; executors' liveness follows the lease.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startFixture, type Fixture } from '../helpers/fixture.ts';
import { ManualClock, systemClock } from '../../server/clock.ts';
import { ColoniesError } from '../../executor/transport.ts';
import type { ColoniesClient } from '../../executor/client.ts';
import type { Process } from '../../protocol/types.ts';

const SEC = 1000;
const LEASE = 30 * SEC;
const clock = new ManualClock(Date.UTC(2026, 0, 1));
let f: Fixture;
before(async () => {
  f = await startFixture({ clock, authClock: systemClock, config: { leaseSeconds: LEASE / SEC } });
  // A replica judges silence only after listening for a whole lease.
  clock.advance(LEASE);
});
after(async () => {
  await f.close();
});

/** The sweep's counts of deadlines and leases (gates and timers are control flow's). */
const expire = async () => {
  const { exec, wait, silent, unheld } = await f.server.services.processes.expireDeadlines();
  return { exec, wait, silent, unheld };
};
const get = (id: string) => f.a.userClient.getProcess(id);

async function refused(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => err instanceof ColoniesError && err.code === code);
}

/** Heartbeats are written in the background: waits until this executor's is in, at the clock's time. */
async function heardNow(name: string): Promise<void> {
  const want = clock.now().toISOString();
  for (let i = 0; i < 200; i++) {
    if ((await f.a.ownerClient.getExecutor(name)).lastheardfrom === want) return;
    await sleep(10);
  }
  assert.fail(`executor ${name} was not heard at ${want}`);
}

async function assignOne(client: ColoniesClient): Promise<Process> {
  const [p] = await client.assign({ timeout: 0 });
  assert.ok(p, 'expected a process to assign');
  return p;
}

test('a silent executor loses its process after the lease: retried with the reason, after its delay; its late close is refused', async () => {
  const type = 'lease-silent';
  const e1 = await f.addExecutor(type);
  const e2 = await f.addExecutor(type);
  const { processid } = await f.a.userClient.submit({ funcname: 'f', executortype: type, maxretries: 1, retrydelay: 5 });
  const first = await assignOne(e1.client);
  await heardNow(e1.name);

  clock.advance(LEASE - SEC);
  assert.deepEqual(await expire(), { exec: 0, wait: 0, silent: 0, unheld: 0 }, 'not before the lease is over');
  clock.advance(SEC);
  assert.deepEqual(await expire(), { exec: 0, wait: 0, silent: 1, unheld: 0 });
  const retried = await get(processid);
  assert.equal(retried.state, 'WAITING');
  assert.equal(retried.retries, 1);
  assert.equal(retried.assignedexecutorid, null);
  assert.deepEqual(retried.errors, [`executor ${e1.name} not heard from for 30 s (attempt 1)`]);
  await refused(e1.client.close(processid, first.attempt, ['late']), 'PROCESS_NOT_RUNNING');
  // A lost lease follows the retry policy: back after retrydelay (less up to a tenth).
  const delay = Date.parse(retried.notbefore!) - clock.now().getTime();
  assert.ok(delay >= 4.5 * SEC && delay <= 5 * SEC, `a delay of ${delay} ms`);
  assert.deepEqual(await e2.client.assign({ timeout: 0 }), [], 'not before its delay');
  clock.advance(delay);

  // Another executor takes it; it keeps its lease by being heard (any request), the silent one's close stays refused.
  const second = await assignOne(e2.client);
  assert.equal(second.attempt, 2);
  await refused(e1.client.close(processid, first.attempt, ['late']), 'NOT_ASSIGNED');
  clock.advance(LEASE - SEC);
  await e2.client.addLog(processid, 'still at it');
  await heardNow(e2.name);
  clock.advance(LEASE - SEC);
  assert.equal((await expire()).silent, 0, 'heard within the lease');
  assert.equal((await get(processid)).state, 'RUNNING');

  // Silent again, with no retries left: FAILED.
  clock.advance(2 * SEC);
  assert.equal((await expire()).silent, 1);
  const failed = await get(processid);
  assert.equal(failed.state, 'FAILED');
  assert.equal(failed.errors.at(-1), `executor ${e2.name} not heard from for 30 s (attempt 2)`);
  await refused(e2.client.close(processid, second.attempt, ['too late']), 'PROCESS_NOT_RUNNING');
});

test('an assignment that never reached its executor: retried once the executor reports not holding it', async () => {
  const type = 'lease-unheld';
  const e = await f.addExecutor(type);
  const lost = await f.a.userClient.submit({ funcname: 'lost', executortype: type, maxretries: 2 });
  const kept = await f.a.userClient.submit({ funcname: 'kept', executortype: type });
  const claimed = await e.client.assign({ timeout: 0, count: 2 });
  assert.deepEqual(
    claimed.map((p) => p.processid),
    [lost.processid, kept.processid],
  );
  const held = [{ processid: kept.processid, attempt: 1 }];

  // A report sent while the answer may still be on its way proves nothing.
  assert.deepEqual(await e.client.heartbeat(held), { revoked: [] });
  await heardNow(e.name);
  assert.equal((await expire()).unheld, 0, 'within the grace of an answer in flight');

  clock.advance(6 * SEC);
  assert.deepEqual(await e.client.heartbeat(held), { revoked: [] });
  await heardNow(e.name);
  assert.deepEqual(await expire(), { exec: 0, wait: 0, silent: 0, unheld: 1 });
  const retried = await get(lost.processid);
  assert.equal(retried.state, 'WAITING');
  assert.equal(retried.retries, 1);
  assert.deepEqual(retried.errors, [`assignment never reached executor ${e.name} (attempt 1): it reported not holding it`]);
  assert.equal((await get(kept.processid)).state, 'RUNNING', 'what it holds is kept');
  await refused(e.client.close(lost.processid, 1, ['late']), 'PROCESS_NOT_RUNNING');

  // The heartbeat's answer: which held attempts are over (retried, cancelled, unknown), so the executor stops them.
  await f.a.userClient.cancelProcess(kept.processid);
  const stale = [...held, { processid: lost.processid, attempt: 1 }, { processid: '0'.repeat(64), attempt: 1 }];
  assert.deepEqual((await e.client.heartbeat(stale)).revoked.sort(), [kept.processid, lost.processid, '0'.repeat(64)].sort());
  // Reported with an assign, too: held attempts renew their lease, missing ones are given back.
  const again = await assignOne(e.client);
  assert.equal(again.processid, lost.processid);
  assert.equal(again.attempt, 2);
  clock.advance(6 * SEC);
  await e.client.assign({ timeout: 0, holding: [{ processid: again.processid, attempt: 2 }] });
  await heardNow(e.name);
  assert.equal((await expire()).unheld, 0);
  assert.equal((await get(lost.processid)).state, 'RUNNING');
  await e.client.close(lost.processid, 2, ['done']);
  assert.equal((await get(lost.processid)).state, 'SUCCESS');
});

test('a run of the executor that began before the assignment and does not hold it lost its answer: tried again without spending a retry', async () => {
  const type = 'lease-lost-answer';
  const e = await f.addExecutor(type);
  const run = 'run-one-0001';
  // This run is heard before the assignment (its first report), then claims, and the answer is lost.
  await e.client.assign({ timeout: 0, holding: [], instance: run });
  await heardNow(e.name);
  clock.advance(SEC);
  const p = await f.a.userClient.submit({ funcname: 'lost', executortype: type, retrydelay: 60 });
  const [claimed] = await e.client.assign({ timeout: 0 }); // as if its answer never arrived
  assert.equal(claimed?.processid, p.processid);
  clock.advance(6 * SEC);
  assert.deepEqual(await e.client.heartbeat([], run), { revoked: [] });
  await heardNow(e.name);
  assert.equal((await expire()).unheld, 1);
  const retried = await get(p.processid);
  assert.equal(retried.state, 'WAITING', 'maxretries 0, and still WAITING: the lost answer spent nothing');
  assert.equal(retried.retries, 0);
  assert.equal(retried.notbefore, null, 'nor waits out a delay: it is back at once');
  assert.deepEqual(retried.errors, [
    `assignment never reached executor ${e.name} (attempt 1): its answer was lost; tried again without spending a retry`,
  ]);

  // A new run (the executor restarted) does not hold what the old run was given: that attempt may have run, so it counts.
  const second = await assignOne(e.client);
  assert.equal(second.attempt, 2);
  clock.advance(6 * SEC);
  assert.deepEqual(await e.client.heartbeat([], 'run-two-0002'), { revoked: [] });
  await heardNow(e.name);
  assert.equal((await expire()).unheld, 1);
  const failed = await get(p.processid);
  assert.equal(failed.state, 'FAILED');
  assert.equal(failed.errors.at(-1), `assignment never reached executor ${e.name} (attempt 2): it reported not holding it`);
});

test('a heartbeat does not revoke an attempt the executor closed itself (a close whose answer was lost)', async () => {
  const type = 'lease-closed';
  const e = await f.addExecutor(type);
  const { processid } = await f.a.userClient.submit({ funcname: 'f', executortype: type });
  const p = await assignOne(e.client);
  // The close commits; say its answer was lost: the executor still holds the result and reports it.
  await e.client.close(processid, p.attempt, ['done']);
  assert.deepEqual(await e.client.heartbeat([{ processid, attempt: p.attempt }]), { revoked: [] }, 'its own result is not over for it');
  await e.client.close(processid, p.attempt, ['done']);
  // Any other attempt of it, or another executor's report of it, is over.
  assert.deepEqual(await e.client.heartbeat([{ processid, attempt: p.attempt + 1 }]), { revoked: [processid] });
  const other = await f.addExecutor(type);
  assert.deepEqual(await other.client.heartbeat([{ processid, attempt: p.attempt }]), { revoked: [processid] });
  const done = await get(processid);
  assert.deepEqual([done.state, done.out], ['SUCCESS', ['done']]);
});

test('executors show their liveness by the lease: online when heard within it, offline otherwise', async () => {
  const e = await f.addExecutor('lease-liveness');
  let seen = await f.a.userClient.getExecutor(e.name);
  assert.equal(seen.online, false, 'never heard from');
  assert.equal(seen.lastheardfrom, null);
  assert.deepEqual(await e.client.assign({ timeout: 0 }), []);
  await heardNow(e.name);
  seen = await f.a.userClient.getExecutor(e.name);
  assert.equal(seen.online, true);
  assert.equal(seen.lastheardfrom, clock.now().toISOString());
  clock.advance(LEASE + SEC);
  const listed = (await f.a.userClient.listExecutors()).find((x) => x.executorname === e.name)!;
  assert.equal(listed.online, false, 'silent for longer than the lease');
});

test('a replica that has not listened for a whole lease judges no silence', async () => {
  const type = 'lease-deaf';
  const e = await f.addExecutor(type);
  const { processid } = await f.a.userClient.submit({ funcname: 'f', executortype: type });
  await assignOne(e.client);
  await heardNow(e.name);
  clock.advance(LEASE / 2);
  // The database was away for one sweep: for a lease from now, silence is no evidence.
  const db = f.server.db as { transaction: typeof f.server.db.transaction };
  const original = db.transaction;
  db.transaction = () => Promise.reject(new Error('database unreachable'));
  try {
    await assert.rejects(expire(), /database unreachable/);
  } finally {
    db.transaction = original;
  }
  clock.advance(LEASE / 2 + SEC);
  assert.equal((await expire()).silent, 0, 'silent for longer than the lease, but not a whole lease since the fault');
  assert.equal((await get(processid)).state, 'RUNNING');
  clock.advance(LEASE / 2);
  assert.equal((await expire()).silent, 1);
});
