/**
 * Request signing, the part every client shares (Node SDK, CLI, browser dashboard).
 * The signed message is one line per field, so no field can bleed into another:
 *   COLONIES-ED25519-V1 \n METHOD \n /path?query \n timestamp(ms) \n nonce \n sha256(body) hex
 * An identity's id is its Ed25519 public key in hex, so the server verifies without a lookup.
 */
export const SIGNATURE_VERSION = 'COLONIES-ED25519-V1';

export const HEADERS = {
  id: 'x-colonies-id',
  timestamp: 'x-colonies-timestamp',
  nonce: 'x-colonies-nonce',
  signature: 'x-colonies-signature',
} as const;

/** How far (ms) a request's timestamp may be from the server's clock. */
export const DEFAULT_SIGNATURE_WINDOW_MS = 60_000;

export function canonicalRequest(method: string, pathWithQuery: string, timestamp: string, nonce: string, bodySha256Hex: string): string {
  return [SIGNATURE_VERSION, method.toUpperCase(), pathWithQuery, timestamp, nonce, bodySha256Hex].join('\n');
}

export const HEX_ID = /^[0-9a-f]{64}$/;
export const HEX_SIGNATURE = /^[0-9a-f]{128}$/;
export const NONCE = /^[0-9a-f]{16,64}$/;

/** SHA-256 of the empty string in hex: the body hash of a bodiless request and of the WebSocket hello. */
export const EMPTY_BODY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** The WebSocket's path; its hello is signed as method WS on this path with an empty body. */
export const WS_PATH = '/api/v1/ws';

/** Holds a key: Node's createSigner (protocol/crypto.ts) and the dashboard's (tweetnacl) both fit. */
export interface RequestSigner {
  readonly id: string;
  /** Signs the message; returns the signature in hex. */
  sign(message: string): string;
}

/** What makes each signed request unique: the caller's clock (ms since the epoch) and a fresh random nonce. */
export interface Stamp {
  timestamp: number;
  nonce: string;
}

export type SignedHeaders = Record<(typeof HEADERS)[keyof typeof HEADERS], string>;

/**
 * The four signature headers of a request. The body's hash comes in already computed: Node hashes
 * synchronously, the browser's WebCrypto only asynchronously.
 */
export function signedHeaders(signer: RequestSigner, method: string, pathWithQuery: string, bodySha256Hex: string, stamp: Stamp): SignedHeaders {
  const timestamp = String(stamp.timestamp);
  return {
    [HEADERS.id]: signer.id,
    [HEADERS.timestamp]: timestamp,
    [HEADERS.nonce]: stamp.nonce,
    [HEADERS.signature]: signer.sign(canonicalRequest(method, pathWithQuery, timestamp, stamp.nonce, bodySha256Hex)),
  };
}

/** The first message on a WebSocket: the signature fields of a request, sent as JSON. */
export interface Hello {
  type: 'hello';
  id: string;
  timestamp: string;
  nonce: string;
  signature: string;
}

export function signedHello(signer: RequestSigner, stamp: Stamp): Hello {
  const h = signedHeaders(signer, 'WS', WS_PATH, EMPTY_BODY_SHA256, stamp);
  return { type: 'hello', id: h[HEADERS.id], timestamp: h[HEADERS.timestamp], nonce: h[HEADERS.nonce], signature: h[HEADERS.signature] };
}

/** A hello's fields as the headers of a request, for the one verifier of both. */
export function helloHeaders(hello: Omit<Hello, 'type'>): SignedHeaders {
  return { [HEADERS.id]: hello.id, [HEADERS.timestamp]: hello.timestamp, [HEADERS.nonce]: hello.nonce, [HEADERS.signature]: hello.signature };
}
