/**
 * The shared signing vectors (test/vectors/signing.json): the TypeScript signer, paths and queries
 * must reproduce them byte for byte. The Python client's tests check the same file, so the two
 * clients sign identically.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createSigner, idOf, sha256Hex } from '../../protocol/crypto.ts';
import { canonicalRequest, signedHeaders } from '../../protocol/signing.ts';
import { routePath, type Operation } from '../../protocol/routes.ts';
import { queryString } from '../../executor/transport.ts';

interface Vectors {
  prvkey: string;
  id: string;
  requests: {
    method: string;
    pathWithQuery: string;
    body: string;
    timestamp: number;
    nonce: string;
    bodySha256: string;
    canonical: string;
    headers: Record<string, string>;
  }[];
  paths: { operation: string; params: Record<string, string>; path: string }[];
  queries: { query: Record<string, string | number | boolean>; queryString: string }[];
}

const vectors = JSON.parse(readFileSync(new URL('../vectors/signing.json', import.meta.url), 'utf8')) as Vectors;

test('the vector key: its id is the Ed25519 public key of the seed', () => {
  assert.equal(idOf(vectors.prvkey), vectors.id);
});

test('every vector request: body hash, canonical string, signature and headers are reproduced', () => {
  assert.ok(vectors.requests.length >= 4);
  const signer = createSigner(vectors.prvkey);
  for (const r of vectors.requests) {
    assert.equal(sha256Hex(r.body), r.bodySha256, `${r.method} ${r.pathWithQuery}: body hash`);
    assert.equal(canonicalRequest(r.method, r.pathWithQuery, String(r.timestamp), r.nonce, r.bodySha256), r.canonical);
    assert.deepEqual(signedHeaders(signer, r.method, r.pathWithQuery, r.bodySha256, { timestamp: r.timestamp, nonce: r.nonce }), r.headers);
  }
});

test('every vector path and query is encoded as the SDK sends it', () => {
  for (const p of vectors.paths) assert.equal(routePath(p.operation as Operation, p.params as never), p.path, p.operation);
  for (const q of vectors.queries) assert.equal(queryString(q.query), q.queryString);
});
