// Standard Webhooks asymmetric signatures (`v1a`): Ed25519 over "id.timestamp.body". The sender
// keeps `whsk_` + base64(32-byte seed); receivers get `whpk_` + base64(32-byte public key), the
// formats of the reference libraries (standard-webhooks/libraries/go). A receiver's key cannot sign.
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';

export const SIGNING_KEY_PREFIX = 'whsk_';
export const PUBLIC_KEY_PREFIX = 'whpk_';
const KEY_BYTES = 32;
// DER wrappers (RFC 8410) around a raw Ed25519 seed or public key, so Node can import them.
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const CANONICAL_32 = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;

function rawKey(value: unknown, prefix: string): Buffer | undefined {
  if (typeof value !== 'string' || !value.startsWith(prefix)) return undefined;
  const b64 = value.slice(prefix.length);
  // Exactly one textual form per key (as for whsec_ secrets): canonical, padded base64 of 32 bytes.
  return CANONICAL_32.test(b64) ? Buffer.from(b64, 'base64') : undefined;
}

export const isValidSigningKey = (s: unknown): s is string => rawKey(s, SIGNING_KEY_PREFIX) !== undefined;
export const isValidPublicKey = (s: unknown): s is string => rawKey(s, PUBLIC_KEY_PREFIX) !== undefined;

// Bounded, like the HMAC key cache: a worker signs for many subscriptions.
const CACHE_MAX = 256;
const cache = new Map<string, KeyObject>();
function cached(value: string, make: () => KeyObject): KeyObject {
  const hit = cache.get(value);
  if (hit) return hit;
  const key = make();
  if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value!);
  cache.set(value, key);
  return key;
}

function privateKey(signingKey: string): KeyObject {
  const seed = rawKey(signingKey, SIGNING_KEY_PREFIX);
  // Never echoes the key: errors end up in logs.
  if (!seed) throw new TypeError(`invalid Ed25519 signing key: expected "${SIGNING_KEY_PREFIX}" followed by canonical base64 of ${KEY_BYTES} bytes`);
  return cached(signingKey, () => createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' }));
}

function publicKey(value: string): KeyObject | undefined {
  const raw = rawKey(value, PUBLIC_KEY_PREFIX);
  return raw && cached(value, () => createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' }));
}

export function generateSigningKey(): { signingKey: string; publicKey: string } {
  const jwk = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' });
  return {
    signingKey: SIGNING_KEY_PREFIX + Buffer.from(jwk.d!, 'base64url').toString('base64'),
    publicKey: PUBLIC_KEY_PREFIX + Buffer.from(jwk.x!, 'base64url').toString('base64'),
  };
}

export function publicKeyFor(signingKey: string): string {
  const jwk = createPublicKey(privateKey(signingKey)).export({ format: 'jwk' });
  return PUBLIC_KEY_PREFIX + Buffer.from(jwk.x!, 'base64url').toString('base64');
}

const signedContent = (id: string, timestampSeconds: number, body: string | Buffer): Buffer =>
  Buffer.concat([Buffer.from(`${id}.${timestampSeconds}.`, 'utf8'), typeof body === 'string' ? Buffer.from(body, 'utf8') : body]);

/** The `v1a,<base64>` token. Ed25519 is deterministic: the same input always gives the same token. */
export function signEd25519(signingKey: string, id: string, timestampSeconds: number, body: string | Buffer): string {
  return 'v1a,' + sign(null, signedContent(id, timestampSeconds, body), privateKey(signingKey)).toString('base64');
}

/** Whether `signatureB64` (the part after `v1a,`) is a valid signature by `publicKeyValue`. Never throws. */
export function verifyEd25519(publicKeyValue: string, id: string, timestampSeconds: number, body: Buffer, signatureB64: string): boolean {
  const key = publicKey(publicKeyValue);
  if (!key || !/^[A-Za-z0-9+/]{86}==$/.test(signatureB64)) return false;
  try {
    return verify(null, signedContent(id, timestampSeconds, body), key, Buffer.from(signatureB64, 'base64'));
  } catch {
    return false;
  }
}
