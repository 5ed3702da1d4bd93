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
