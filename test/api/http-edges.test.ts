/**
 * The edges of HTTP: requests Node's parser refuses get our JSON error body, and the SDK's transport
 * waits out a 503 on reads (as its Retry-After says) but never repeats a write.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { startFixture, type Fixture } from '../helpers/fixture.ts';
import type { ColoniesError } from '../../executor/transport.ts';
import { createTransport } from '../../executor/transport.ts';
import { generateKeyPair } from '../../protocol/crypto.ts';

let f: Fixture;
before(async () => {
  f = await startFixture();
});
after(async () => {
  await f.close();
});

/** Sends raw bytes and returns the whole answer (the server closes the connection after it). */
function raw(url: string, request: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.end(request));
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.on('error', reject);
  });
}

const body = (answer: string) => JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as { error: { code: string; message: string } };

test('a path over 16 KiB gets 431 HEADERS_TOO_LARGE with a JSON body', async () => {
  const answer = await raw(f.url, `GET /api/v1/colonies/${'x'.repeat(17 * 1024)} HTTP/1.1\r\nhost: x\r\n\r\n`);
  assert.match(answer, /^HTTP\/1\.1 431 /);
  assert.equal(body(answer).error.code, 'HEADERS_TOO_LARGE');
});

test('garbled HTTP gets 400 MALFORMED_REQUEST with a JSON body', async () => {
  const answer = await raw(f.url, 'GET /api/v1/colonies HTTP/1.1\r\nhost: x\r\nbad header line\r\n\r\n');
  assert.match(answer, /^HTTP\/1\.1 400 /);
  assert.equal(body(answer).error.code, 'MALFORMED_REQUEST');
});

test('the transport retries a read through 503 UNAVAILABLE by its Retry-After, and not a write', async () => {
  let calls = 0;
  // A stand-in for a server whose database is away for its first two answers.
  const server: Server = createServer((req, res) => {
    calls++;
    if (calls <= 2) {
      res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '0' });
      res.end(JSON.stringify({ error: { code: 'UNAVAILABLE', message: 'the database is unreachable; retry' } }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ok: req.method }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const transport = createTransport({ url, prvkey: generateKeyPair().prvkey });
    assert.deepEqual(await transport.request('GET', '/colonies'), { ok: 'GET' });
    assert.equal(calls, 3);
    calls = 0;
    await assert.rejects(transport.request('POST', '/colonies', {}), (e: ColoniesError) => e.code === 'UNAVAILABLE' && e.retryAfterMs === 0);
    assert.equal(calls, 1, 'a write is not repeated: it may have been applied');
    const impatient = createTransport({ url, prvkey: generateKeyPair().prvkey, unavailableRetryMs: 0 });
    calls = 0;
    await assert.rejects(impatient.request('GET', '/colonies'), (e: ColoniesError) => e.code === 'UNAVAILABLE');
    assert.equal(calls, 1);
  } finally {
    await new Promise((r) => server.close(r));
  }
});
