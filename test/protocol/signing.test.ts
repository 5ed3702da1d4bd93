/** Request signing: node:crypto and tweetnacl agree byte for byte, and the canonical string is exact. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import nacl from 'tweetnacl';
import { createSigner, generateKeyPair, idOf, isPrivateKey, randomId, randomNonce, sha256Hex, verifySignature } from '../../protocol/crypto.ts';
import {
  DEFAULT_SIGNATURE_WINDOW_MS,
  EMPTY_BODY_SHA256,
  HEADERS,
  HEX_ID,
  HEX_SIGNATURE,
  NONCE,
  SIGNATURE_VERSION,
  WS_PATH,
  canonicalRequest,
  helloHeaders,
  signedHeaders,
  signedHello,
} from '../../protocol/signing.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function randomMessage(i: number): string {
  // Empty, short, long, and non-ASCII messages (the signer signs the UTF-8 bytes).
  if (i === 0) return '';
  const s = randomBytes(1 + ((i * 37) % 2000)).toString('base64');
  return i % 3 === 0 ? `${s} — ✓ ünïcødé 🐝` : s;
}

test('node:crypto signatures are byte-identical to tweetnacl for random keys and messages', () => {
  for (let i = 0; i < 40; i++) {
    const { prvkey, id } = generateKeyPair();
    const kp = nacl.sign.keyPair.fromSeed(Buffer.from(prvkey, 'hex'));
    assert.equal(hex(kp.publicKey), id);
    const message = randomMessage(i);
    const naclSig = hex(nacl.sign.detached(Buffer.from(message, 'utf8'), kp.secretKey));
    const nodeSig = createSigner(prvkey).sign(message);
    assert.match(nodeSig, HEX_SIGNATURE);
    assert.equal(nodeSig, naclSig, `signature ${i} differs`);
  }
});

test('signatures verify both ways: node:crypto verifies tweetnacl, tweetnacl verifies node:crypto', async () => {
  for (let i = 0; i < 20; i++) {
    const { prvkey, id } = generateKeyPair();
    const kp = nacl.sign.keyPair.fromSeed(Buffer.from(prvkey, 'hex'));
    const message = randomMessage(i + 1);
    const bytes = Buffer.from(message, 'utf8');
    const naclSig = hex(nacl.sign.detached(bytes, kp.secretKey));
    const nodeSig = createSigner(prvkey).sign(message);
    assert.equal(await verifySignature(message, naclSig, id), true);
    assert.equal(nacl.sign.detached.verify(bytes, Buffer.from(nodeSig, 'hex'), kp.publicKey), true);
  }
});

test('a changed message, signature or key does not verify (and garbage never throws)', async () => {
  const { prvkey, id } = generateKeyPair();
  const other = generateKeyPair();
  const sig = createSigner(prvkey).sign('hello');
  assert.equal(await verifySignature('hello', sig, id), true);
  assert.equal(await verifySignature('hellp', sig, id), false);
  assert.equal(await verifySignature('hello', sig, other.id), false);
  const flipped = (parseInt(sig[0]!, 16) ^ 1).toString(16) + sig.slice(1);
  assert.equal(await verifySignature('hello', flipped, id), false);
  assert.equal(await verifySignature('hello', createSigner(other.prvkey).sign('hello'), id), false);
  // Not valid curve points / not valid signatures: false, never an exception.
  for (const badId of ['ff'.repeat(32), '00'.repeat(32), 'ab'.repeat(32)]) {
    assert.equal(await verifySignature('hello', sig, badId), false);
  }
  assert.equal(await verifySignature('hello', '00'.repeat(64), id), false);
  assert.equal(await verifySignature('hello', 'zz', id), false);
});

test('keys: id is the public key of the seed; bad private keys are refused', () => {
  const { prvkey, id } = generateKeyPair();
  assert.match(prvkey, HEX_ID);
  assert.match(id, HEX_ID);
  assert.notEqual(prvkey, id);
  assert.equal(idOf(prvkey), id);
  assert.equal(createSigner(prvkey).id, id);
  assert.equal(isPrivateKey(prvkey), true);
  for (const bad of ['', 'abc', prvkey.toUpperCase(), prvkey + '00', 'g'.repeat(64)]) {
    assert.equal(isPrivateKey(bad), false, bad);
    assert.throws(() => createSigner(bad));
  }
  assert.notEqual(generateKeyPair().prvkey, generateKeyPair().prvkey);
});

test('canonical request: version, METHOD, path with query, timestamp, nonce, body hash, one per line', () => {
  const bodyHash = sha256Hex('{"a":1}');
  assert.equal(bodyHash, '015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862');
  assert.equal(sha256Hex(''), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  const s = canonicalRequest('post', '/api/v1/colonies/a/processes?state=WAITING&count=2', '1767225600000', 'ab'.repeat(16), bodyHash);
  assert.equal(
    s,
    ['COLONIES-ED25519-V1', 'POST', '/api/v1/colonies/a/processes?state=WAITING&count=2', '1767225600000', 'ab'.repeat(16), bodyHash].join('\n'),
  );
  assert.equal(SIGNATURE_VERSION, 'COLONIES-ED25519-V1');
  // Each field changes the string (nothing bleeds from one field into the next).
  const base = ['GET', '/p', '1', 'n', 'h'] as const;
  const variants = [
    canonicalRequest(...base),
    canonicalRequest('POST', '/p', '1', 'n', 'h'),
    canonicalRequest('GET', '/p?x', '1', 'n', 'h'),
    canonicalRequest('GET', '/p', '2', 'n', 'h'),
    canonicalRequest('GET', '/p', '1', 'm', 'h'),
    canonicalRequest('GET', '/p', '1', 'n', 'i'),
    canonicalRequest('GET', '/p\n1', '', 'n', 'h'),
  ];
  assert.equal(new Set(variants).size, variants.length);
});

test('header names, formats and the default window are the documented ones', () => {
  assert.deepEqual(HEADERS, { id: 'x-colonies-id', timestamp: 'x-colonies-timestamp', nonce: 'x-colonies-nonce', signature: 'x-colonies-signature' });
  assert.equal(DEFAULT_SIGNATURE_WINDOW_MS, 60_000);
  assert.match(randomNonce(), NONCE);
  assert.notEqual(randomNonce(), randomNonce());
  assert.doesNotMatch('ABCDEF'.repeat(4), NONCE);
  assert.doesNotMatch('ab'.repeat(7), NONCE);
});

test('ids and nonces are fresh across many refills of the random pool, in their formats', () => {
  // 4 KiB per refill: 3,000 ids and 3,000 nonces draw ~35 refills, interleaved so that a draw straddles a refill.
  const seen = new Set<string>();
  for (let i = 0; i < 3000; i++) {
    const id = randomId();
    const nonce = randomNonce();
    assert.match(id, /^[0-9a-f]{64}$/);
    assert.match(nonce, NONCE);
    assert.equal(nonce.length, 32);
    seen.add(id).add(nonce);
  }
  assert.equal(seen.size, 6000);
});

test('signedHeaders and signedHello sign the canonical request; a hello reads back as the same headers', async () => {
  assert.equal(EMPTY_BODY_SHA256, sha256Hex(''));
  const signer = createSigner(generateKeyPair().prvkey);
  const stamp = { timestamp: 1_700_000_000_000, nonce: randomNonce() };
  const body = sha256Hex('{"a":1}');
  const h = signedHeaders(signer, 'post', '/api/v1/x?y=1', body, stamp);
  assert.deepEqual(Object.keys(h).sort(), Object.values(HEADERS).sort());
  assert.equal(h[HEADERS.id], signer.id);
  assert.equal(h[HEADERS.timestamp], '1700000000000');
  assert.equal(h[HEADERS.nonce], stamp.nonce);
  assert.equal(
    await verifySignature(canonicalRequest('POST', '/api/v1/x?y=1', '1700000000000', stamp.nonce, body), h[HEADERS.signature], signer.id),
    true,
  );
  const hello = signedHello(signer, stamp);
  assert.equal(hello.type, 'hello');
  assert.deepEqual(helloHeaders(hello), signedHeaders(signer, 'WS', WS_PATH, EMPTY_BODY_SHA256, stamp));
});
