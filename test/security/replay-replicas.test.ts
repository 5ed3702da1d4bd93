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
