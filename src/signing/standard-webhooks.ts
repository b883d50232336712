// Standard Webhooks (https://www.standardwebhooks.com) signing, byte-compatible with the
// `standardwebhooks` npm package. Used on the delivery hot path.
import { createHmac, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { SIGNING_KEY_PREFIX, signEd25519 } from './ed25519';

export const SECRET_PREFIX = 'whsec_';
const MIN_KEY_BYTES = 24;
const MAX_KEY_BYTES = 64;
// Canonical, padded base64 only: a secret must have exactly one textual form, otherwise two
// strings could name the same key and rotation bookkeeping gets confusing.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const MAX_B64_CHARS = Math.ceil(MAX_KEY_BYTES / 3) * 4;

export function generateSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64');
}

function decodeSecret(secret: unknown): Buffer | undefined {
  if (typeof secret !== 'string' || !secret.startsWith(SECRET_PREFIX)) return undefined;
  const b64 = secret.slice(SECRET_PREFIX.length);
  if (b64.length > MAX_B64_CHARS || !BASE64.test(b64)) return undefined;
  const key = Buffer.from(b64, 'base64');
  if (key.length < MIN_KEY_BYTES || key.length > MAX_KEY_BYTES) return undefined;
  // Rejects non-zero trailing bits, which Node's decoder would silently drop.
  if (key.toString('base64') !== b64) return undefined;
  return key;
}

export function isValidSecret(s: unknown): s is string {
  return decodeSecret(s) !== undefined;
}

export function secretKey(secret: string): Buffer {
  const key = decodeSecret(secret);
  // The message deliberately never echoes the secret: errors end up in logs.
  if (!key) {
    throw new TypeError(
      `invalid webhook secret: expected "${SECRET_PREFIX}" followed by canonical base64 of ${MIN_KEY_BYTES}-${MAX_KEY_BYTES} bytes`,
    );
  }
  return key;
}

// Bounded so a process that churns through many tenants' secrets cannot grow without limit.
const KEY_CACHE_MAX = 256;
const keyCache = new Map<string, KeyObject>();

function hmacKey(secret: string): KeyObject {
  const hit = keyCache.get(secret);
  if (hit) return hit;
  const key = createSecretKey(secretKey(secret));
  if (keyCache.size >= KEY_CACHE_MAX) {
    const oldest = keyCache.keys().next();
    if (!oldest.done) keyCache.delete(oldest.value);
  }
  keyCache.set(secret, key);
  return key;
}

function checkInputs(id: string, timestampSeconds: number): void {
  if (typeof id !== 'string' || id.length === 0) throw new TypeError('webhook id must be a non-empty string');
  // The header carries the decimal integer verbatim; anything else would sign a different string
  // than receivers reconstruct.
  if (!Number.isSafeInteger(timestampSeconds) || timestampSeconds < 0) {
    throw new RangeError('webhook timestamp must be a non-negative integer number of seconds');
  }
}

function sign(key: KeyObject, id: string, timestampSeconds: number, body: string | Buffer): string {
  return 'v1,' + createHmac('sha256', key).update(`${id}.${timestampSeconds}.`).update(body).digest('base64');
}

/** Returns the `v1,<base64>` token. A string body is signed as its UTF-8 bytes. */
export function computeSignature(secret: string, id: string, timestampSeconds: number, body: string | Buffer): string {
  checkInputs(id, timestampSeconds);
  return sign(hmacKey(secret), id, timestampSeconds, body);
}

/**
 * One token per key, space-separated, so receivers holding either side of a rotation verify. A
 * `whsec_` secret gives a `v1` (HMAC-SHA256) token, a `whsk_` Ed25519 signing key a `v1a` one.
 */
export function signatureHeader(secrets: readonly string[], id: string, timestampSeconds: number, body: string | Buffer): string {
  if (secrets.length === 0) throw new TypeError('at least one webhook secret is required');
  checkInputs(id, timestampSeconds);
  // Encode once instead of once per secret.
  const bytes = secrets.length > 1 && typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  let header = '';
  for (const secret of secrets) {
    const token = secret.startsWith(SIGNING_KEY_PREFIX) ? signEd25519(secret, id, timestampSeconds, bytes) : sign(hmacKey(secret), id, timestampSeconds, bytes);
    header += (header ? ' ' : '') + token;
  }
  return header;
}

export interface WebhookHeaderInput {
  id: string;
  timestampSeconds: number;
  body: string | Buffer;
  secrets: readonly string[];
}

export function buildWebhookHeaders({ id, timestampSeconds, body, secrets }: WebhookHeaderInput): Record<string, string> {
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': signatureHeader(secrets, id, timestampSeconds, body),
  };
}
