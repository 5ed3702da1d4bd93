/**
 * Freshness and replay over time, with the signature clock in the test's hands: the ±60 s window is
 * exact, and a nonce is remembered for as long as a request carrying it could still be fresh, across
 * the nonce cache's generation swaps.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, type Fixture } from '../helpers/fixture.ts';
import { expectError, signedAgent, type SignedAgent } from '../helpers/signed-agent.ts';
import type { Clock } from '../../server/clock.ts';
import { randomNonce } from '../../protocol/crypto.ts';
import { DEFAULT_SIGNATURE_WINDOW_MS } from '../../protocol/signing.ts';
import { NonceCache } from '../../server/auth/verify.ts';

const W = DEFAULT_SIGNATURE_WINDOW_MS;

/** Follows real time while the fixture starts (its SDK clients sign with Date.now), then only moves when told. */
class FreezableClock implements Clock {
  private t: number | undefined;
  now(): Date {
    return new Date(this.t ?? Date.now());
  }
  monotonic(): number {
    return performance.now();
  }
  set(t: number): void {
    this.t = t;
  }
  advance(ms: number): void {
    this.t = this.now().getTime() + ms;
  }
}

const authClock = new FreezableClock();
let f: Fixture;
let user: SignedAgent;
const PATH = '/colonies/colony-a';

before(async () => {
  f = await startFixture({ authClock });
  // The agent signs with its own timestamps; the server judges them by authClock.
  user = signedAgent(f.url, f.a.user.prvkey, { now: () => authClock.now().getTime() });
  authClock.set(Date.now());
});
after(() => f.close());

test('the window is ±60 s inclusive', async () => {
  await user.get(PATH, { timeShiftMs: -W }).expect(200);
  await user.get(PATH, { timeShiftMs: W }).expect(200);
  expectError(await user.get(PATH, { timeShiftMs: -W - 1 }), 401, 'STALE_REQUEST');
  expectError(await user.get(PATH, { timeShiftMs: W + 1 }), 401, 'STALE_REQUEST');
});

test('a captured request replayed later is refused: as a replay while fresh, as stale after', async () => {
  const nonce = randomNonce();
  const sentAt = authClock.now().getTime();
  await user.get(PATH, { nonce }).expect(200);
  // The attacker re-sends the same bytes (same timestamp, nonce and signature) at later times.
  const replay = () => user.get(PATH, { nonce, timeShiftMs: sentAt - authClock.now().getTime() });
  authClock.advance(W - 1000);
  expectError(await replay(), 401, 'REPLAYED_REQUEST');
  authClock.advance(2000);
  expectError(await replay(), 401, 'STALE_REQUEST');
});

test('a nonce survives the swap of nonce generations for as long as its request is fresh', async () => {
  // A request far ahead makes the cache swap generations now (it swaps lazily, 2 windows after the last swap),
  // so the next swap is due exactly 2 windows later; go to just before it.
  authClock.advance(10 * W);
  await user.get(PATH).expect(200);
  const nextSwap = authClock.now().getTime() + 2 * W;
  authClock.set(nextSwap - 1000);
  const nonce = randomNonce();
  const ts = authClock.now().getTime() + W; // signed with a clock running a minute ahead: fresh until ts + W
  await user.get(PATH, { nonce, timeShiftMs: W }).expect(200);
  for (const later of [2000, W, 2 * W - 1]) {
    authClock.set(nextSwap - 1000 + later);
    expectError(await user.get(PATH, { nonce, timeShiftMs: ts - authClock.now().getTime() }), 401, 'REPLAYED_REQUEST');
  }
  authClock.set(ts + W + 1);
  expectError(await user.get(PATH, { nonce, timeShiftMs: ts - authClock.now().getTime() }), 401, 'STALE_REQUEST');
});

test('NonceCache remembers every nonce for at least two windows', () => {
  const w = 1000;
  const cache = new NonceCache(w, 0);
  for (const at of [0, 1, w, 2 * w - 1, 2 * w, 3 * w + 17]) {
    const n = `n${at}`;
    assert.equal(cache.remember(n, at), true);
    for (const later of [at, at + 1, at + w, at + 2 * w - 1, at + 2 * w]) assert.equal(cache.remember(n, later), false, `${n} at ${later}`);
  }
  // Memory is bounded: long after, old nonces are forgotten.
  assert.equal(cache.remember('n0', 100 * w), true);
});
