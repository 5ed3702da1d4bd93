/**
 * A supertest agent that signs every request like the SDK does, with knobs to tamper with the
 * signature on purpose (the security sweep and the API tests use them):
 *   omit        leave these signature headers out
 *   headers     send these header values instead of the real ones (garbled headers)
 *   signature   'wrong' = a well-formed signature of another message; or an explicit value
 *   nonce       use this nonce (send the same one twice to replay)
 *   timeShiftMs shift the signed timestamp away from the clock
 *   signBody    sign these bytes/this value but send the real body (body changed after signing)
 *   signPath    sign this path but send the real one (path changed after signing)
 *   signMethod  sign this method but send the real one
 *   key         sign with another private key but claim this agent's id (wrong key)
 * Paths are relative to /api/v1 and may carry a query string.
 */
import request from 'supertest';
import type { Test } from 'supertest';
import { createSigner, randomNonce, sha256Hex, type Signer } from '../../protocol/crypto.ts';
import { HEADERS, canonicalRequest } from '../../protocol/signing.ts';

export const API = '/api/v1';

/** What supertest can talk to: a base URL, an http.Server or an express app. */
export type App = Parameters<typeof request>[0];

export type SignatureHeader = keyof typeof HEADERS;

export interface Tamper {
  omit?: SignatureHeader[];
  headers?: Partial<Record<SignatureHeader, string>>;
  /** 'wrong' = a valid signature of another message; any other string is sent as is. */
  signature?: string;
  nonce?: string;
  timeShiftMs?: number;
  signBody?: unknown;
  signPath?: string;
  signMethod?: string;
  key?: string;
  /** Send these exact bytes (e.g. malformed JSON) instead of JSON.stringify(body). */
  raw?: string | Buffer;
}

export type Method = 'GET' | 'POST' | 'DELETE' | 'PUT' | 'PATCH';

export interface SignedAgent {
  readonly id: string;
  request(method: Method, path: string, body?: unknown, tamper?: Tamper): Test;
  get(path: string, tamper?: Tamper): Test;
  post(path: string, body?: unknown, tamper?: Tamper): Test;
  delete(path: string, tamper?: Tamper): Test;
}

function bytesOf(body: unknown): Buffer {
  if (body === undefined) return Buffer.alloc(0);
  if (Buffer.isBuffer(body)) return body;
  if (typeof body === 'string') return Buffer.from(body);
  return Buffer.from(JSON.stringify(body));
}

/** The headers of a signed request, as the SDK's transport computes them. */
export function signHeaders(
  signer: Signer,
  method: string,
  pathWithQuery: string,
  body: Uint8Array,
  opts: { timestamp?: number; nonce?: string } = {},
): Record<string, string> {
  const timestamp = String(opts.timestamp ?? Date.now());
  const nonce = opts.nonce ?? randomNonce();
  const signature = signer.sign(canonicalRequest(method, pathWithQuery, timestamp, nonce, sha256Hex(body)));
  return { [HEADERS.id]: signer.id, [HEADERS.timestamp]: timestamp, [HEADERS.nonce]: nonce, [HEADERS.signature]: signature };
}

/** target: the base URL of a listening server, or an express app (supertest listens per request). */
export function signedAgent(target: App, prvkey: string, opts: { now?: () => number } = {}): SignedAgent {
  const signer = createSigner(prvkey);
  const now = opts.now ?? Date.now;
  const agent = request(target);

  function send(method: Method, path: string, body?: unknown, t: Tamper = {}): Test {
    const full = API + path;
    const sent = t.raw !== undefined ? bytesOf(t.raw) : bytesOf(body);
    const signedBytes = t.signBody !== undefined ? bytesOf(t.signBody) : sent;
    const signingKey = t.key ? createSigner(t.key) : signer;
    const h = signHeaders(signingKey, t.signMethod ?? method, t.signPath !== undefined ? API + t.signPath : full, signedBytes, {
      timestamp: now() + (t.timeShiftMs ?? 0),
      ...(t.nonce ? { nonce: t.nonce } : {}),
    });
    h[HEADERS.id] = signer.id;
    if (t.signature === 'wrong') {
      h[HEADERS.signature] = signer.sign(canonicalRequest(method, full, h[HEADERS.timestamp]!, h[HEADERS.nonce]!, sha256Hex('something else')));
    } else if (t.signature !== undefined) h[HEADERS.signature] = t.signature;
    for (const [k, v] of Object.entries(t.headers ?? {})) h[HEADERS[k as SignatureHeader]] = v;
    for (const k of t.omit ?? []) delete h[HEADERS[k]];

    const m = method.toLowerCase() as 'get' | 'post' | 'delete' | 'put' | 'patch';
    let req = agent[m](full);
    for (const [k, v] of Object.entries(h)) req = req.set(k, v);
    // superagent would JSON-encode a Buffer; a string goes out byte for byte.
    if (sent.length > 0) req = req.set('content-type', 'application/json').send(sent.toString('utf8'));
    return req;
  }

  return {
    id: signer.id,
    request: send,
    get: (path, t) => send('GET', path, undefined, t),
    post: (path, body, t) => send('POST', path, body, t),
    delete: (path, t) => send('DELETE', path, undefined, t),
  };
}

/** The `{ error: { code } }` of a reply, or undefined. */
export function errorCode(res: { body: unknown }): string | undefined {
  return (res.body as { error?: { code?: string } } | undefined)?.error?.code;
}

/** Asserts an error reply: its status, its code and a message; returns its details. */
export function expectError(res: { status: number; body: unknown; text?: string }, status: number, code: string): unknown {
  const e = (res.body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined)?.error;
  if (res.status !== status || e?.code !== code) {
    throw new Error(`expected ${status} ${code}, got ${res.status} ${JSON.stringify(res.body ?? res.text)}`);
  }
  if (typeof e.message !== 'string' || e.message.length === 0) throw new Error(`error ${code} has no message`);
  return e.details;
}

/** The paths of a VALIDATION_FAILED reply's issues (e.g. "body.funcname", "query.count"). */
export function issuePaths(details: unknown): string[] {
  return ((details as { issues?: { path: string }[] } | undefined)?.issues ?? []).map((i) => i.path);
}
