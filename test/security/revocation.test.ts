/**
 * Revocation: removing a user, an executor or a colony (or rejecting an executor) ends what the
 * identity holds open there — WebSocket subscriptions with an error frame, assign long-polls with
 * the error a new request would get — and nothing committed afterwards reaches it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, startReplica, type Fixture } from '../helpers/fixture.ts';
import { ColoniesClient } from '../../executor/client.ts';
import { Subscriber, type SubscriptionMessage } from '../../executor/subscriber.ts';
import { ColoniesError } from '../../executor/transport.ts';
import { generateKeyPair } from '../../protocol/crypto.ts';
import { Executor, type ExecutionContext } from '../../executor/executor.ts';
import { baseEnv, start } from '../cli/helpers.ts';

// Generous for a busy machine; the figure of interest is printed (t.diagnostic), not asserted.
const WITHIN_MS = 5000;

let n = 0;

/** A new user of colony A with a live subscription to the whole colony. */
async function subscribedUser(f: Fixture, url = f.url) {
  const key = generateKeyPair();
  const username = `watcher-${++n}`;
  await f.a.ownerClient.addUser(username, key.id);
  const sub = await Subscriber.connect(url, key.prvkey);
  const messages: SubscriptionMessage[] = [];
  let ended: (m: Extract<SubscriptionMessage, { type: 'ended' }>) => void;
  const endedP = new Promise<Extract<SubscriptionMessage, { type: 'ended' }>>((r) => (ended = r));
  await sub.subscribe({ colonyname: f.a.colonyname }, (m) => {
    messages.push(m);
    if (m.type === 'ended') ended(m);
  });
  return { username, key, sub, messages, ended: endedP };
}

function within<T>(p: Promise<T>, what: string, ms = WITHIN_MS): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms))),
  ]);
}

const submitted = (messages: SubscriptionMessage[], processid: string) =>
  messages.some((m) => m.type === 'event' && m.event.type === 'process' && m.event.processid === processid);

let f: Fixture;
before(async () => {
  f = await startFixture();
});
after(async () => {
  await f.close();
});

describe('revocation ends subscriptions', () => {
  test('a removed user: its subscription ends with NOT_A_MEMBER and gets nothing committed afterwards', async (t) => {
    const w = await subscribedUser(f);
    try {
      const before = await f.a.userClient.submit({ funcname: 'before', executortype: 'nobody' });
      for (let i = 0; i < 200 && !submitted(w.messages, before.processid); i++) await new Promise((r) => setTimeout(r, 10));
      assert.ok(submitted(w.messages, before.processid), 'events reach the member');
      const t0 = performance.now();
      await f.a.ownerClient.removeUser(w.username);
      const after = await f.a.userClient.submit({ funcname: 'after', executortype: 'nobody' });
      const ended = await within(w.ended, 'the end of the subscription');
      t.diagnostic(`subscription ended ${(performance.now() - t0).toFixed(1)} ms after the removal was sent`);
      assert.equal(ended.error.code, 'NOT_A_MEMBER');
      assert.match(ended.error.message, /^subscription ended: /);
      // Events of later commits are on the bus before the submit above answered; give stragglers a moment.
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(submitted(w.messages, after.processid), false, 'nothing committed after the removal reached it');
      // A new subscription is refused like any request.
      await assert.rejects(
        w.sub.subscribe({ colonyname: f.a.colonyname }, () => {}),
        (e: ColoniesError) => e.code === 'NOT_A_MEMBER',
      );
    } finally {
      w.sub.close();
    }
  });

  test('a user still a member after a revocation keeps its subscription and gets what was held back', async () => {
    const stays = await subscribedUser(f);
    const goes = await subscribedUser(f);
    try {
      await f.a.ownerClient.removeUser(goes.username);
      await within(goes.ended, 'the end of the removed user’s subscription');
      const p = await f.a.userClient.submit({ funcname: 'later', executortype: 'nobody' });
      for (let i = 0; i < 500 && !submitted(stays.messages, p.processid); i++) await new Promise((r) => setTimeout(r, 10));
      assert.ok(submitted(stays.messages, p.processid));
      assert.equal(
        stays.messages.some((m) => m.type === 'ended'),
        false,
      );
    } finally {
      stays.sub.close();
      goes.sub.close();
    }
  });
});

describe('revocation ends long-polls', () => {
  test('a removed executor: its waiting long-poll answers NOT_A_MEMBER at once; its running process is retried', async (t) => {
    const ex = await f.addExecutor('revoked-type', f.a);
    const other = await f.addExecutor('revoked-type', f.a);
    const p = await f.a.userClient.submit({ funcname: 'held', executortype: 'revoked-type', maxretries: 1 });
    const [running] = await ex.client.assign({ timeout: 5 });
    assert.equal(running?.processid, p.processid);
    // Both wait for more; only the removed one's long-poll ends.
    const waiting = ex.client.assign({ timeout: 60 }).then(
      () => 'answered' as const,
      (e: unknown) => e,
    );
    const otherWaiting = other.client.assign({ timeout: 2 });
    await new Promise((r) => setTimeout(r, 100)); // both are waiting now
    const t0 = performance.now();
    await f.a.ownerClient.removeExecutor(ex.name);
    const err = await within(waiting, 'the end of the long-poll');
    t.diagnostic(`long-poll ended ${(performance.now() - t0).toFixed(1)} ms after the removal was sent`);
    assert.ok(err instanceof ColoniesError, `expected an error, got ${String(err)}`);
    assert.equal(err.code, 'NOT_A_MEMBER');
    assert.equal(err.status, 403);
    // Its process goes back through the retry rule at the next sweep, not after a lease.
    const expired = await f.server.services.processes.expireDeadlines();
    assert.equal(expired.silent, 1);
    // The other executor's long-poll was not disturbed: it gets the retried process.
    const got = await otherWaiting;
    assert.deepEqual(
      got.map((x) => x.processid),
      [p.processid],
    );
    const retried = await f.a.userClient.getProcess(p.processid);
    assert.equal(retried.attempt, 2);
    assert.match(retried.errors.at(-1)!, /was removed/);
  });

  test('a rejected executor: its long-poll answers EXECUTOR_NOT_APPROVED', async () => {
    const ex = await f.addExecutor('rejected-type', f.a);
    const waiting = ex.client.assign({ timeout: 60 }).then(
      () => 'answered' as const,
      (e: unknown) => e,
    );
    await new Promise((r) => setTimeout(r, 100));
    await f.a.ownerClient.rejectExecutor(ex.name);
    const err = await within(waiting, 'the end of the long-poll');
    assert.ok(err instanceof ColoniesError);
    assert.equal(err.code, 'EXECUTOR_NOT_APPROVED');
  });

  test('a removed colony: every subscription to it ends with COLONY_NOT_FOUND', async () => {
    const owner = generateKeyPair();
    const colonyname = `doomed-${++n}`;
    await f.serverClient.addColony(colonyname, owner.id);
    const sub = await Subscriber.connect(f.url, owner.prvkey);
    try {
      const ended = new Promise<SubscriptionMessage>((resolve) => {
        void sub.subscribe({ colonyname }, (m) => m.type === 'ended' && resolve(m));
      });
      await new Promise((r) => setTimeout(r, 100));
      await f.serverClient.removeColony(colonyname);
      const m = await within(ended, 'the end of the subscription');
      assert.equal(m.type === 'ended' && m.error.code, 'COLONY_NOT_FOUND');
    } finally {
      sub.close();
    }
  });

  test('waitForProcess fails with the error when the waiter is removed', async () => {
    const key = generateKeyPair();
    const username = `waiter-${++n}`;
    await f.a.ownerClient.addUser(username, key.id);
    const client = new ColoniesClient({ url: f.url, prvkey: key.prvkey, colonyname: f.a.colonyname });
    const p = await client.submit({ funcname: 'never', executortype: 'nobody' });
    const waiting = client.waitForProcess(p.processid, 30_000).then(
      () => 'finished' as const,
      (e: unknown) => e,
    );
    await new Promise((r) => setTimeout(r, 200));
    await f.a.ownerClient.removeUser(username);
    const err = await within(waiting, 'the end of the wait');
    assert.ok(err instanceof ColoniesError);
    assert.equal(err.code, 'NOT_A_MEMBER');
  });
});

describe('a removed executor stops serving', () => {
  test('the SDK Executor: its running function is aborted (ctx.signal) and it stops, saying why', async () => {
    const e = await f.addExecutor('sdk-removed', f.a);
    let aborted = false;
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    const ex = new Executor({
      url: f.url,
      colonyname: f.a.colonyname,
      executortype: 'sdk-removed',
      executorname: e.name,
      prvkey: e.key.prvkey,
      assignTimeout: 1,
      functions: {
        wait: (ctx: ExecutionContext) =>
          new Promise((resolve) => {
            started();
            ctx.signal.addEventListener('abort', () => ((aborted = true), resolve('aborted')));
          }),
      },
      onError: () => {},
    });
    await ex.start();
    try {
      await f.a.userClient.submit({ funcname: 'wait', executortype: 'sdk-removed' });
      await within(running, 'the function to start');
      await f.a.ownerClient.removeExecutor(e.name);
      await within(ex.done, 'the executor to stop');
      assert.equal(ex.accessEnded?.code, 'NOT_A_MEMBER');
      assert.equal(aborted, true, 'the running function was told');
    } finally {
      await ex.stop(0);
    }
  });

  test('colonies executor start exits 4 with the reason', async () => {
    const e = await f.addExecutor('cli-removed', f.a);
    const cli = start(
      ['executor', 'start', '--functions', 'test/cli/fixtures/functions.ts'],
      baseEnv({
        COLONIES_SERVER_URL: f.url,
        COLONIES_COLONY_NAME: f.a.colonyname,
        COLONIES_EXECUTOR_PRVKEY: e.key.prvkey,
        COLONIES_EXECUTOR_NAME: e.name,
        COLONIES_EXECUTOR_TYPE: 'cli-removed',
      }),
    );
    await cli.waitFor(/serving/, 30_000);
    await f.a.ownerClient.removeExecutor(e.name);
    const r = await within(cli.stop('SIGCONT'), 'the CLI executor to exit', 20_000);
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /may no longer serve colony/);
  });
});

test('a removal on one replica ends subscriptions and long-polls on another', async (t) => {
  if (process.env.COLONIES_TEST_ENGINE !== 'postgres') {
    t.skip('needs PostgreSQL (two servers on one database)');
    return;
  }
  const first = await startFixture();
  const second = await startReplica(first);
  try {
    const w = await subscribedUser(first, second.url);
    const ex = await first.addExecutor('far-type', first.a);
    const far = new ColoniesClient({ url: second.url, prvkey: ex.key.prvkey, colonyname: first.a.colonyname });
    const waiting = far.assign({ timeout: 60 }).then(
      () => 'answered' as const,
      (e: unknown) => e,
    );
    await new Promise((r) => setTimeout(r, 100));
    const t0 = performance.now();
    await Promise.all([first.a.ownerClient.removeUser(w.username), first.a.ownerClient.removeExecutor(ex.name)]);
    const ended = await within(w.ended, 'the end of the subscription on the other replica');
    const err = await within(waiting, 'the end of the long-poll on the other replica');
    t.diagnostic(`both ended on the other replica ${(performance.now() - t0).toFixed(1)} ms after the removals were sent`);
    assert.equal(ended.error.code, 'NOT_A_MEMBER');
    assert.ok(err instanceof ColoniesError);
    assert.equal(err.code, 'NOT_A_MEMBER');
    w.sub.close();
  } finally {
    await second.close();
    await first.close();
  }
});
