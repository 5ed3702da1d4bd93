/**
 * The SDK Executor through thirteen server restarts, each while twelve of its functions finish: the
 * results kept back by the outage are all closed once the server is back, and nothing piles up
 * meanwhile (no MaxListenersExceededWarning: its waits share one listener per signal, and the results
 * wait in one queue, not each in a retry loop of its own). Then through an unreachable URL for more than
 * a dozen failed polls: no warning either.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, type Fixture } from '../helpers/fixture.ts';
import { Executor, type ExecutionContext } from '../../executor/executor.ts';
import { closedPort } from '../cli/helpers.ts';

const RESTARTS = 13;
/** More than Node's default of ten listeners per signal. */
const AT_ONCE = 12;

let f: Fixture;
const warnings: Error[] = [];
const onWarning = (w: Error) => warnings.push(w);
before(async () => {
  f = await startFixture();
  process.on('warning', onWarning);
});
after(async () => {
  process.off('warning', onWarning);
  await f.close();
});

/** Resolves once `check` holds, checking whenever `changed` is called. */
function until(check: () => boolean): { promise: Promise<void>; changed: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  const changed = () => check() && resolve();
  return { promise, changed };
}

test(`${RESTARTS} restarts, each while ${AT_ONCE} functions finish: every result closed, no listener warning`, async () => {
  warnings.length = 0;
  const type = 'outages';
  const e = await f.addExecutor(type);
  let started = 0;
  let finished = 0;
  let watcher = () => {};
  /** Each call waits until the test lets its round go, then returns its input. */
  let go: () => void = () => {};
  let released = Promise.resolve();
  const ex = new Executor({
    url: f.url,
    colonyname: f.a.colonyname,
    executortype: type,
    executorname: e.name,
    prvkey: e.key.prvkey,
    concurrency: AT_ONCE,
    assignTimeout: 2,
    functions: {
      echo: async (_ctx: ExecutionContext, n: number) => {
        started++;
        watcher();
        await released;
        // One after another, each on its own turn: the results reach the executor apart, as in real work.
        await new Promise((r) => setTimeout(r, n % AT_ONCE));
        finished++;
        watcher();
        return n;
      },
    },
  });
  await ex.start();
  try {
    const ids: string[] = [];
    for (let round = 0; round < RESTARTS; round++) {
      released = new Promise<void>((r) => (go = r));
      const all = until(() => started >= (round + 1) * AT_ONCE);
      watcher = all.changed;
      for (let i = 0; i < AT_ONCE; i++)
        ids.push((await f.a.userClient.submit({ funcname: 'echo', executortype: type, args: [round * AT_ONCE + i], maxretries: 3 })).processid);
      await all.promise;
      // The server goes down with every function running; they finish while it is away.
      await f.restart(async () => {
        const done = until(() => finished >= (round + 1) * AT_ONCE);
        watcher = done.changed;
        go();
        await done.promise;
      });
    }
    for (const [i, id] of ids.entries()) {
      const p = await f.a.userClient.waitForProcess(id, 60_000);
      assert.deepEqual([p.state, p.out], ['SUCCESS', [i]], `process ${i}`);
    }
    assert.equal(ex.stats.closed, RESTARTS * AT_ONCE);
  } finally {
    await ex.stop(1000);
  }
  assert.deepEqual(
    warnings.map((w) => `${w.name}: ${w.message}`),
    [],
  );
});

test('an unreachable server for more than a dozen polls: no listener warning', async () => {
  warnings.length = 0;
  let failures = 0;
  const enough = until(() => failures > 12);
  const ex = new Executor({
    url: `http://127.0.0.1:${await closedPort()}`,
    colonyname: f.a.colonyname,
    executortype: 'nowhere',
    functions: { f: () => 1 },
    onError: () => {
      failures++;
      enough.changed();
    },
  });
  await ex.start();
  await enough.promise;
  await ex.stop(0);
  assert.deepEqual(
    warnings.map((w) => `${w.name}: ${w.message}`),
    [],
  );
});
