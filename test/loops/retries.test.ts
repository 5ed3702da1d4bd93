/**
 * Delayed retries across time and restarts, with a ManualClock: a long-polling executor is woken by the
 * deadline loop when a retry comes due (no new submit), and a server restarted in the middle of a delay
 * finds the retry still WAITING with its notbefore, and assigns it once that passes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startFixture } from '../helpers/fixture.ts';
import { reopenableTestDb } from '../helpers/db.ts';
import { ManualClock, systemClock } from '../../server/clock.ts';
import { createColoniesServer } from '../../server/main.ts';
import { loadServerConfig } from '../../server/config.ts';
import { silentLogger } from '../../server/log.ts';
import { ColoniesClient } from '../../executor/client.ts';

const SEC = 1000;

async function assignOne(client: ColoniesClient) {
  const [p] = await client.assign({ timeout: 0 });
  assert.ok(p, 'expected a process to assign');
  return p;
}

async function nothingToAssign(client: ColoniesClient): Promise<void> {
  assert.deepEqual(await client.assign({ timeout: 0 }), [], 'nothing is due yet');
}

test('a long-polling executor gets a delayed retry once it comes due, with no new submit', async () => {
  // Its own server, with the deadline loop running (every 20 ms of real time, reading the manual clock).
  const loopClock = new ManualClock(Date.UTC(2026, 0, 1));
  const g = await startFixture({ clock: loopClock, authClock: systemClock, loops: true, config: { deadlineIntervalMs: 20, leaseSeconds: 100_000 } });
  try {
    const type = 'retry-long-poll';
    const e = await g.addExecutor(type);
    const { processid } = await g.a.userClient.submit({ funcname: 'f', executortype: type, maxretries: 1, retrydelay: 30 });
    const [p] = await e.client.assign({ timeout: 0 });
    await e.client.fail(processid, p!.attempt, ['down']);
    // The executor asks and waits (its claim finds nothing due).
    const poll = e.client.assign({ timeout: 60 });
    for (let i = 0; i < 500 && g.server.services.processes.waitingLongPolls(g.a.colonyname, type) === 0; i++) await sleep(10);
    assert.equal(g.server.services.processes.waitingLongPolls(g.a.colonyname, type), 1, 'the long-poll waits');
    loopClock.advance(30 * SEC);
    const [got] = await poll;
    assert.equal(got?.processid, processid, 'the due retry wakes the long-poll (a timeout would answer nothing)');
    assert.equal(got.attempt, 2);
  } finally {
    await g.close();
  }
});

test('a restart in the middle of a delay: the retry is still WAITING with its notbefore, and is assigned once it passes', async () => {
  const restartClock = new ManualClock(Date.UTC(2026, 0, 1));
  const store = await reopenableTestDb();
  try {
    const first = await store.open();
    const s1 = await startFixture({ clock: restartClock, authClock: systemClock, testDb: first, config: { leaseSeconds: 100_000 } });
    const type = 'retry-restart';
    const e = await s1.addExecutor(type);
    const { processid } = await s1.a.userClient.submit({ funcname: 'f', executortype: type, maxretries: 2, retrydelay: 60 });
    const [p] = await e.client.assign({ timeout: 0 });
    const failed = await e.client.fail(processid, p!.attempt, ['down']);
    restartClock.advance(20 * SEC); // a third of the way through the delay
    await s1.close();
    await first.drop();

    const again = await store.open();
    const s2 = await createColoniesServer(
      { ...loadServerConfig({}), host: '127.0.0.1', port: 0, logLevel: 'silent', leaseSeconds: 100_000 },
      { db: again.db, log: silentLogger, loops: false, clock: restartClock, authClock: systemClock },
    );
    try {
      const url = await s2.listen();
      const user = new ColoniesClient({ url, prvkey: s1.a.user.prvkey, colonyname: s1.a.colonyname });
      const executor = new ColoniesClient({ url, prvkey: e.key.prvkey, colonyname: s1.a.colonyname });
      const waiting = await user.getProcess(processid);
      assert.deepEqual([waiting.state, waiting.retries, waiting.notbefore], ['WAITING', 1, failed.notbefore]);
      await nothingToAssign(executor);
      restartClock.set(Date.parse(failed.notbefore!));
      const second = await assignOne(executor);
      assert.deepEqual([second.processid, second.attempt], [processid, 2]);
    } finally {
      await s2.close();
      await again.drop();
    }
  } finally {
    await store.remove();
  }
});
