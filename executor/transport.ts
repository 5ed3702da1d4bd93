/** Signed HTTP transport: every request carries id, timestamp, nonce and an Ed25519 signature. */
import http from 'node:http';
import https from 'node:https';
import { createSigner, randomNonce, sha256Hex, type Signer } from '../protocol/crypto.ts';
import { signedHeaders } from '../protocol/signing.ts';
import { isErrorCode, type ErrorCode } from '../protocol/errors.ts';

/** A server's error reply, or a transport failure (code UNREACHABLE), as a typed exception. */
export class ColoniesError extends Error {
  readonly code: ErrorCode | 'UNREACHABLE' | 'BAD_RESPONSE' | 'TIMEOUT';
  readonly status: number;
  readonly details: unknown;
  /** From the server's Retry-After (503 UNAVAILABLE): when to ask again. */
  readonly retryAfterMs: number | undefined;
  constructor(code: ColoniesError['code'], message: string, status = 0, details?: unknown, retryAfterMs?: number) {
    super(message);
    this.name = 'ColoniesError';
    this.code = code;
    this.status = status;
    this.details = details;
    this.retryAfterMs = retryAfterMs;
  }
}

export interface TransportOptions {
  /** Base URL, e.g. http://localhost:50080 */
  url: string;
  prvkey: string;
  /** Milliseconds since the epoch; tests may shift it. */
  now?: () => number;
  /**
   * How long a read (GET) keeps being retried while the server answers 503 UNAVAILABLE (its database
   * is away), waiting as its Retry-After says. Default 30 000; 0 turns it off. Writes are not retried
   * here: whether one that met a lost database was applied cannot be told.
   */
  unavailableRetryMs?: number;
}

export interface RequestOptions {
  signal?: AbortSignal | undefined;
  query?: Record<string, string | number | boolean | undefined> | undefined;
}

export interface Transport {
  readonly id: string;
  readonly url: string;
  request<T>(method: string, path: string, body?: unknown, opts?: RequestOptions): Promise<T>;
}

/** One HTTP exchange; resolves with the status and the body as text. */
function send(
  agent: http.Agent,
  url: string,
  method: string,
  payload: string,
  headers: Record<string, string>,
  signal: AbortSignal | undefined,
): Promise<{ status: number; text: string; retryAfter: string | undefined }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const request = u.protocol === 'https:' ? https.request : http.request;
    const req = request(
      u,
      {
        method,
        agent,
        headers: payload ? { ...headers, 'content-length': String(Buffer.byteLength(payload)) } : headers,
        ...(signal ? { signal } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), retryAfter: res.headers['retry-after'] }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload || undefined);
  });
}

export function createTransport(opts: TransportOptions): Transport {
  const signer: Signer = createSigner(opts.prvkey);
  const base = opts.url.replace(/\/+$/, '');
  const now = opts.now ?? Date.now;
  // node:http with keep-alive: cheaper per request than fetch (undici).
  const agent = base.startsWith('https:') ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
  const retryFor = opts.unavailableRetryMs ?? 30_000;
  async function request<T>(method: string, path: string, body?: unknown, ro: RequestOptions = {}): Promise<T> {
    const until = Date.now() + (method === 'GET' ? retryFor : 0);
    for (;;) {
      try {
        return await requestOnce<T>(method, path, body, ro);
      } catch (err) {
        if (!(err instanceof ColoniesError) || err.code !== 'UNAVAILABLE' || ro.signal?.aborted) throw err;
        const wait = err.retryAfterMs ?? 1000;
        if (Date.now() + wait > until) throw err;
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  }
  async function requestOnce<T>(method: string, path: string, body: unknown, ro: RequestOptions): Promise<T> {
    const qs = ro.query ? queryString(ro.query) : '';
    const pathWithQuery = '/api/v1' + path + (qs ? '?' + qs : '');
    const payload = body === undefined ? '' : JSON.stringify(body);
    const signed = signedHeaders(signer, method, pathWithQuery, sha256Hex(payload), { timestamp: now(), nonce: randomNonce() });
    let res: { status: number; text: string; retryAfter: string | undefined };
    try {
      res = await send(agent, base + pathWithQuery, method, payload, { 'content-type': 'application/json', ...signed }, ro.signal);
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err;
      const e = err as { code?: string; message?: string };
      throw new ColoniesError('UNREACHABLE', `cannot reach the Colonies server at ${base}: ${e.code ?? e.message}`);
    }
    const ok = res.status >= 200 && res.status < 300;
    const text = res.text;
    if (ok && (res.status === 204 || text === '')) return undefined as T;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new ColoniesError('BAD_RESPONSE', `server answered ${res.status} with a body that is not JSON`, res.status);
    }
    if (!ok) {
      const e = (json as { error?: { code?: unknown; message?: unknown; details?: unknown } }).error;
      if (e && isErrorCode(e.code)) throw new ColoniesError(e.code, String(e.message), res.status, e.details, retryAfterMs(res.retryAfter));
      throw new ColoniesError('BAD_RESPONSE', `server answered ${res.status}`, res.status, json);
    }
    return json as T;
  }
  return { id: signer.id, url: base, request };
}

/** A request's query as it is sent and signed: undefined values left out, each key and value percent-encoded. */
export function queryString(query: Record<string, string | number | boolean | undefined>): string {
  return Object.entries(query)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
    .join('&');
}

/** Retry-After in seconds (the only form the server sends), capped at a minute. */
function retryAfterMs(header: string | undefined): number | undefined {
  const s = header === undefined ? NaN : Number(header);
  return Number.isFinite(s) && s >= 0 ? Math.min(s, 60) * 1000 : undefined;
}
