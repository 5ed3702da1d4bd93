/**
 * Signature check of every request: headers present and well-formed, timestamp inside the window,
 * nonce not seen within the window, Ed25519 signature over the canonical request. Yields the caller's id.
 */
import { AppError } from '../errors.ts';
import type { Clock } from '../clock.ts';
import { HEADERS, HEX_ID, HEX_SIGNATURE, NONCE, canonicalRequest } from '../../protocol/signing.ts';
import { sha256Hex, verifySignature } from '../../protocol/crypto.ts';

export interface SignedRequest {
  method: string;
  pathWithQuery: string;
  header(name: string): string | undefined;
  body: Uint8Array;
}

/**
 * Nonces seen within the window, per server process. Two generations swapped every window keep
 * memory bounded without a timer per nonce: a nonce is remembered for at least one full window.
 */
export class NonceCache {
  private current = new Set<string>();
  private previous = new Set<string>();
  private rotatedAt: number;
  constructor(
    private readonly windowMs: number,
    now: number,
  ) {
    this.rotatedAt = now;
  }
  /** Records the nonce; false when it was already seen. */
  remember(nonce: string, now: number): boolean {
    if (now - this.rotatedAt >= this.windowMs * 2) {
      this.previous = this.current;
      this.current = new Set();
      this.rotatedAt = now;
    }
    if (this.current.has(nonce) || this.previous.has(nonce)) return false;
    this.current.add(nonce);
    return true;
  }
}

/** Where nonces are remembered beyond this process (the database, shared by replicas). */
export interface SharedNonces {
  /** Records the nonces; resolves true when this one was not seen before. */
  remember(nonce: string, now: Date): Promise<boolean>;
}

export function createVerifier(windowMs: number, clock: Clock, shared?: SharedNonces) {
  const nonces = new NonceCache(windowMs, clock.now().getTime());
  return async function verify(req: SignedRequest): Promise<string> {
    const id = req.header(HEADERS.id);
    const timestamp = req.header(HEADERS.timestamp);
    const nonce = req.header(HEADERS.nonce);
    const signature = req.header(HEADERS.signature);
    if (!id || !timestamp || !nonce || !signature) {
      throw new AppError('UNAUTHENTICATED', `signed request headers are missing: ${Object.values(HEADERS).join(', ')} are required`);
    }
    if (!HEX_ID.test(id)) throw new AppError('UNAUTHENTICATED', `${HEADERS.id} must be 64 lowercase hex characters (a public key)`);
    if (!/^\d{1,16}$/.test(timestamp)) throw new AppError('UNAUTHENTICATED', `${HEADERS.timestamp} must be milliseconds since the epoch`);
    if (!NONCE.test(nonce)) throw new AppError('UNAUTHENTICATED', `${HEADERS.nonce} must be 16 to 64 lowercase hex characters`);
    if (!HEX_SIGNATURE.test(signature)) throw new AppError('UNAUTHENTICATED', `${HEADERS.signature} must be 128 lowercase hex characters`);
    const now = clock.now().getTime();
    const skew = Number(timestamp) - now;
    if (Math.abs(skew) > windowMs) {
      throw new AppError('STALE_REQUEST', `request timestamp is ${Math.round(skew / 1000)} s from the server's clock (window ±${windowMs / 1000} s)`);
    }
    const message = canonicalRequest(req.method, req.pathWithQuery, timestamp, nonce, sha256Hex(req.body));
    if (!(await verifySignature(message, signature, id)))
      throw new AppError('BAD_SIGNATURE', 'signature does not match the request and the claimed id');
    // Only a verified request consumes its nonce: garbage cannot burn someone else's nonces.
    const replayed = () => new AppError('REPLAYED_REQUEST', 'this nonce was already used; every request needs a fresh nonce');
    if (!nonces.remember(id + nonce, now)) throw replayed();
    if (shared && !(await shared.remember(id + nonce, new Date(now)))) throw replayed();
    return id;
  };
}

export type Verifier = ReturnType<typeof createVerifier>;
