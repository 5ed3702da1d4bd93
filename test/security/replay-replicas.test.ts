/** A request replayed to another replica of the same database is refused too (nonces are shared in PostgreSQL). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, startReplica } from '../helpers/fixture.ts';
import { expectError, signedAgent } from '../helpers/signed-agent.ts';
import { randomNonce } from '../../protocol/crypto.ts';

test('a nonce used on one replica is refused on another', async (t) => {
  if (process.env.COLONIES_TEST_ENGINE !== 'postgres') {
    t.skip('needs PostgreSQL (two servers on one database)');
    return;
  }
  const f = await startFixture();
  const { url: url2, close: closeSecond } = await startReplica(f);
  try {
    const nonce = randomNonce();
    const one = signedAgent(f.url, f.a.user.prvkey);
    const two = signedAgent(url2, f.a.user.prvkey);
    const ok = await one.get('/colonies/colony-a', { nonce });
    assert.equal(ok.status, 200);
    expectError(await two.get('/colonies/colony-a', { nonce }), 401, 'REPLAYED_REQUEST');
    // A fresh nonce works on either.
    assert.equal((await two.get('/colonies/colony-a')).status, 200);
    // Two requests with one nonce racing on two replicas: exactly one gets through.
    const racing = randomNonce();
    const results = await Promise.all([one.get('/colonies/colony-a', { nonce: racing }), two.get('/colonies/colony-a', { nonce: racing })]);
    assert.deepEqual(results.map((r) => r.status).sort(), [200, 401]);
  } finally {
    await closeSecond();
    await f.close();
  }
});

test('a nonce used while a replica was alone is refused by a replica that starts afterwards', async (t) => {
  if (process.env.COLONIES_TEST_ENGINE !== 'postgres') {
    t.skip('needs PostgreSQL (two servers on one database)');
    return;
  }
  const f = await startFixture();
  try {
    assert.equal(f.server.hasPeers(), false, 'alone: nonces are checked in memory and recorded in the background');
    const nonce = randomNonce();
    assert.equal((await signedAgent(f.url, f.a.user.prvkey).get('/colonies/colony-a', { nonce })).status, 200);
    // Recorded within RECORD_INTERVAL_MS (server/auth/shared-nonces.ts).
    for (let i = 0; i < 100; i++) {
      const rows = await f.server.db.query<{ n: number }>('SELECT count(*)::int AS n FROM request_nonces WHERE nonce = $1', [f.a.user.id + nonce]);
      if (rows[0]!.n === 1) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const { url: url2, close: closeSecond } = await startReplica(f);
    try {
      expectError(await signedAgent(url2, f.a.user.prvkey).get('/colonies/colony-a', { nonce }), 401, 'REPLAYED_REQUEST');
    } finally {
      await closeSecond();
    }
  } finally {
    await f.close();
  }
});
