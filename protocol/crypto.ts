/**
 * Ed25519 for Node. Keys are generated with tweetnacl (the portable implementation the browser
 * uses too); signing and verifying go through node:crypto (OpenSSL), which gives the same bytes
 * ~100x faster. A private key is the 32-byte seed in hex; an id is the 32-byte public key in hex.
 */
import { createHash, createPrivateKey, createPublicKey, randomFillSync, sign, verify, type KeyObject } from 'node:crypto';
import nacl from 'tweetnacl';
import { HEX_ID } from './signing.ts';

// DER prefixes that wrap a raw 32-byte Ed25519 seed / public key (RFC 8410).
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export interface KeyPair {
  prvkey: string;
  id: string;
}

export function generateKeyPair(): KeyPair {
  const seed = nacl.randomBytes(32);
  const kp = nacl.sign.keyPair.fromSeed(seed);
  return { prvkey: Buffer.from(seed).toString('hex'), id: Buffer.from(kp.publicKey).toString('hex') };
}

export function isPrivateKey(s: unknown): s is string {
  return typeof s === 'string' && HEX_ID.test(s);
}

export function idOf(prvkey: string): string {
  const kp = nacl.sign.keyPair.fromSeed(Buffer.from(prvkey, 'hex'));
  return Buffer.from(kp.publicKey).toString('hex');
}

/** A signer holds the parsed key so each signature costs only the signing itself. */
export interface Signer {
  readonly id: string;
  sign(message: string): string;
}

export function createSigner(prvkey: string): Signer {
  if (!isPrivateKey(prvkey)) throw new Error('a private key is 64 hex characters (an Ed25519 seed)');
  const key = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, Buffer.from(prvkey, 'hex')]), format: 'der', type: 'pkcs8' });
  const id = idOf(prvkey);
  return { id, sign: (message) => sign(null, Buffer.from(message), key).toString('hex') };
}

// Parsing a public key costs about as much as a verify; executors sign thousands of requests.
const publicKeys = new Map<string, KeyObject>();
const MAX_CACHED_KEYS = 10_000;

function publicKeyObject(id: string): KeyObject {
  let key = publicKeys.get(id);
  if (!key) {
    key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, Buffer.from(id, 'hex')]), format: 'der', type: 'spki' });
    if (publicKeys.size >= MAX_CACHED_KEYS) publicKeys.clear();
    publicKeys.set(id, key);
  }
  return key;
}

/**
 * Verifies on libuv's thread pool (node:crypto's callback form), not on the event loop: a server's
 * one JS thread is its scarce resource, and a verify is the largest single cost of a small request.
 */
export function verifySignature(message: string, signatureHex: string, id: string): Promise<boolean> {
  let key: KeyObject;
  try {
    key = publicKeyObject(id);
  } catch {
    return Promise.resolve(false); // an id that is not a valid curve point
  }
  return new Promise((resolve) => {
    try {
      verify(null, Buffer.from(message), key, Buffer.from(signatureHex, 'hex'), (err, ok) => resolve(!err && ok));
    } catch {
      resolve(false);
    }
  });
}

export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

// Ids and nonces are cut from one buffer the CSPRNG refills 4 KiB at a time (as Node's randomUUID
// caches its bytes): a randomBytes call per id showed in the server's and the executors' profiles.
// Each byte is handed out once.
const randomPool = Buffer.alloc(4096);
let randomUsed = randomPool.length;
function randomHex(bytes: number): string {
  if (randomUsed + bytes > randomPool.length) {
    randomFillSync(randomPool);
    randomUsed = 0;
  }
  return randomPool.toString('hex', randomUsed, (randomUsed += bytes));
}

export function randomId(): string {
  return randomHex(32);
}

export function randomNonce(): string {
  return randomHex(16);
}
