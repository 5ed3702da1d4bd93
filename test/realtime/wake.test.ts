/**
 * The long-poll wake-up hub: a wait ends when notified, when work arrived since the caller's
 * generation, on timeout, on abort, or when `until` settles (its work came another way), and in every
 * case leaves no waiter behind; notify(key, n) wakes at most n waiters, oldest first.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WakeHub } from '../../server/services/wake.ts';

const KEY = WakeHub.key('colony', 'type');
/** The wait's answer, or 'still waiting' if it has none within a second (its own timeout is far off). */
const promptly = (wait: Promise<boolean>) => Promise.race([wait, new Promise<string>((r) => setTimeout(() => r('still waiting'), 1000).unref())]);

test('a wait ends true on notify and false on timeout, and leaves no waiter', async () => {
  const hub = new WakeHub();
  const woken = hub.wait(KEY, hub.generation(KEY), 10_000);
  assert.equal(hub.waiterCount(), 1);
  hub.notify(KEY);
  assert.equal(await woken, true);
  assert.equal(hub.waiterCount(), 0);

  const started = Date.now();
  assert.equal(await hub.wait(KEY, hub.generation(KEY), 30), false);
  assert.ok(Date.now() - started >= 25);
  assert.equal(hub.waiterCount(), 0);
});

test('work that arrived since the caller read the generation answers at once', async () => {
  const hub = new WakeHub();
  const generation = hub.generation(KEY);
  hub.notify(KEY);
  assert.equal(await hub.wait(KEY, generation, 10_000), true);
  assert.equal(hub.waiterCount(), 0);
});

test('an abort or a settled `until` ends the wait false; a later settle changes nothing', async () => {
  const hub = new WakeHub();
  const ac = new AbortController();
  const aborted = hub.wait(KEY, hub.generation(KEY), 10_000, ac.signal);
  ac.abort();
  assert.equal(await promptly(aborted), false);
  assert.equal(hub.waiterCount(), 0);

  let deliver!: () => void;
  const delivered = new Promise<void>((r) => (deliver = r));
  const waiting = hub.wait(KEY, hub.generation(KEY), 10_000, undefined, delivered);
  deliver();
  assert.equal(await promptly(waiting), false);
  assert.equal(hub.waiterCount(), 0);

  // Woken first: its `until` settling afterwards neither throws nor touches the next waiter.
  let late!: () => void;
  const lateDelivery = new Promise<void>((r) => (late = r));
  const first = hub.wait(KEY, hub.generation(KEY), 10_000, undefined, lateDelivery);
  hub.notify(KEY);
  assert.equal(await first, true);
  const second = hub.wait(KEY, hub.generation(KEY), 10_000);
  late();
  await lateDelivery;
  assert.equal(hub.waiterCount(), 1);
  hub.notify(KEY);
  assert.equal(await second, true);
});

test('notify(key, n) wakes the n oldest waiters and bumps the generation for the rest', async () => {
  const hub = new WakeHub();
  const g = hub.generation(KEY);
  const waits = [0, 1, 2].map(() => hub.wait(KEY, g, 10_000));
  hub.notify(KEY, 2);
  assert.deepEqual(await Promise.all(waits.slice(0, 2)), [true, true]);
  assert.equal(hub.waiterCount(), 1);
  assert.equal(hub.generation(KEY), g + 1);
  hub.wakeAll();
  assert.equal(await waits[2], true);
  assert.equal(hub.waiterCount(), 0);
});
