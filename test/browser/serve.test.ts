/**
 * The dashboard's server side and the browser code's contracts, without a browser: serving (and the
 * page shown before a build), path safety, signatures identical to the Node SDK's, the palette in
 * CSS matching the one in TypeScript, and the key file formats the sign-in page reads.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';
import request from 'supertest';
import { dashboardMiddleware } from '../../server/http/dashboard.ts';
import { createSigner as createNodeSigner, generateKeyPair, sha256Hex as nodeSha256 } from '../../protocol/crypto.ts';
import { canonicalRequest } from '../../protocol/signing.ts';
import { createSigner, sha256, sha256Hex, toHex } from '../../dashboard/src/crypto.ts';
import { parseKeyText } from '../../dashboard/src/session.ts';
import { STATE_STYLE } from '../../dashboard/src/states.ts';

function app(dir: string) {
  const a = express();
  a.use(dashboardMiddleware({ dir }));
  a.use((_req, res) => void res.status(404).json({ error: { code: 'ROUTE_NOT_FOUND' } }));
  return a;
}

test('before a build, / says to run npm run build; the API paths are left alone', async () => {
  const a = app(join(tmpdir(), 'colonies-no-dashboard-here'));
  const res = await request(a).get('/').expect(200);
  assert.match(res.text, /npm run build/);
  await request(a).get('/assets/index.js').expect(404);
  await request(a).get('/api/v1/colonies').expect(404);
  await request(a).post('/').expect(404);
});

test('a build is served: index without caching and with a CSP, assets immutable, nothing outside assets/', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'colonies-dashboard-'));
  try {
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><div id="app"></div>');
    writeFileSync(join(dir, 'assets', 'index-abc.js'), 'console.log(1)');
    writeFileSync(join(dir, 'secret.js'), 'nope');
    const a = app(dir);
    const index = await request(a).get('/').expect(200);
    assert.match(index.text, /id="app"/);
    assert.equal(index.headers['cache-control'], 'no-cache');
    assert.match(index.headers['content-security-policy'] ?? '', /default-src 'none'.*script-src 'self'.*connect-src 'self'/);
    assert.equal(index.headers['x-frame-options'], 'DENY');
    const js = await request(a).get('/assets/index-abc.js').expect(200);
    assert.match(js.headers['content-type'] ?? '', /text\/javascript/);
    assert.match(js.headers['cache-control'] ?? '', /immutable/);
    await request(a).get('/assets/../secret.js').expect(404);
    await request(a).get('/assets/%2e%2e/secret.js').expect(404);
    await request(a).get('/assets/missing.js').expect(404);
    await request(a).get('/assets/index-abc.exe').expect(404);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the browser signer signs byte for byte like the Node one', async () => {
  for (let i = 0; i < 5; i++) {
    const kp = generateKeyPair();
    const browser = createSigner(kp.prvkey);
    const node = createNodeSigner(kp.prvkey);
    assert.equal(browser.id, kp.id);
    const body = JSON.stringify({ n: i, text: 'héllo ✓' });
    const hash = await sha256Hex(body);
    assert.equal(hash, nodeSha256(body));
    const msg = canonicalRequest('POST', '/api/v1/colonies/dev/processes?label=a%20b', '1700000000000', 'ab'.repeat(16), hash);
    assert.equal(browser.sign(msg), node.sign(msg));
  }
  assert.throws(() => createSigner('xyz'), /64 hexadecimal/);
});

test('the fallback SHA-256 (pages outside a secure context) matches node:crypto', () => {
  for (const len of [0, 1, 55, 56, 63, 64, 65, 119, 120, 1000, 100_000]) {
    const data = new Uint8Array(len).map((_, i) => (i * 31 + len) & 0xff);
    assert.equal(toHex(sha256(data)), nodeSha256(data), `length ${len}`);
  }
});

test('the state colours in style.css are those of states.ts', () => {
  const css = readFileSync(fileURLToPath(new URL('../../dashboard/src/style.css', import.meta.url)), 'utf8');
  for (const [state, st] of Object.entries(STATE_STYLE)) {
    const name = state.toLowerCase();
    for (const [suffix, value] of [
      ['', st.color],
      ['-ink', st.ink],
      ['-tint', st.tint],
    ] as const) {
      assert.match(css, new RegExp(`--${name}${suffix}: ${value};`), `--${name}${suffix}`);
    }
  }
});

test('key files the sign-in page reads: a bare key, key JSON, the dev env file', () => {
  const kp = generateKeyPair();
  assert.deepEqual(parseKeyText(`  ${kp.prvkey.toUpperCase()}\n`), { prvkey: kp.prvkey });
  assert.deepEqual(parseKeyText(JSON.stringify({ prvkey: kp.prvkey, id: kp.id })), { prvkey: kp.prvkey });
  const env = [
    '# Colonies dev environment',
    'export COLONIES_SERVER_URL=http://127.0.0.1:50080',
    'export COLONIES_COLONY_NAME=dev',
    `export COLONIES_PRVKEY=${kp.prvkey}`,
    `export COLONIES_COLONY_PRVKEY=${generateKeyPair().prvkey}`,
  ].join('\n');
  assert.deepEqual(parseKeyText(env), { prvkey: kp.prvkey, colonyname: 'dev' });
  assert.deepEqual(parseKeyText('nothing here'), {});
});
