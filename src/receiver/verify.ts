// Consumer-side verification of Standard Webhooks requests sent by hookflow (or any
// Standard Webhooks / Svix sender). Contract: throws nothing but WebhookVerificationError.
import { createHash, timingSafeEqual } from 'node:crypto';
import { isValidPublicKey, verifyEd25519 } from '../signing/ed25519';
import { computeSignature, isValidSecret } from '../signing/standard-webhooks';

export type WebhookVerificationErrorCode =
  | 'missing_header'
  | 'invalid_timestamp'
  | 'timestamp_out_of_tolerance'
  | 'no_supported_signature'
  | 'invalid_signature'
  | 'invalid_payload'
  | 'invalid_secret';

export class WebhookVerificationError extends Error {
  override readonly name = 'WebhookVerificationError';
  constructor(
    readonly code: WebhookVerificationErrorCode,
    message: string = code,
  ) {
    super(message);
  }
}

export interface WebhookEvent {
  id: string;
  timestamp: Date;
  type: string;
  data: unknown;
  payloadTimestamp?: string;
  raw: string;
}

export type WebhookHeaders = Record<string, string | string[] | undefined> | Headers;

export interface VerifyOptions {
  /** Accepted clock skew either way, in seconds. Default 300 (same as the reference library). */
  toleranceSeconds?: number;
  /** Current time in milliseconds; injectable for tests. */
  now?: () => number;
}

const DEFAULT_TOLERANCE_SECONDS = 300;
/**
 * Signatures of a webhook-signature header that are checked, in order; the rest are ignored. A sender
 * signs with one key, two during a rotation; checking every token let one forged request within Node's
 * header limit cost about 25 ms of CPU in Ed25519 verifications.
 */
export const MAX_SIGNATURES_CONSIDERED = 8;
// Canonical decimal only (no sign, spaces or leading zeros), so the string we reconstruct for the
// HMAC is exactly the one the sender signed; 15 digits keeps it a safe integer.
const TIMESTAMP = /^(?:0|[1-9][0-9]{0,14})$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

function fail(code: WebhookVerificationErrorCode, message?: string): never {
  throw new WebhookVerificationError(code, message);
}

function rawHeader(headers: unknown, name: string): unknown {
  if (typeof headers !== 'object' || headers === null) return undefined;
  if (typeof Headers !== 'undefined' && headers instanceof Headers) return headers.get(name) ?? undefined;
  const record = headers as Record<string, unknown>;
  if (Object.prototype.hasOwnProperty.call(record, name)) return record[name];
  for (const key of Object.keys(record)) {
    if (key.length === name.length && key.toLowerCase() === name) return record[key];
  }
  return undefined;
}

const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

// Repeated signature headers are equivalent to one space-separated header; repeated id or
// timestamp headers are ambiguous and therefore treated as absent.
function readHeader(headers: unknown, name: string, joinRepeats: boolean): string | undefined {
  try {
    const value = rawHeader(headers, `webhook-${name}`) ?? rawHeader(headers, `svix-${name}`);
    if (typeof value === 'string') return value || undefined;
    if (!isStringArray(value) || value.length === 0) return undefined;
    if (value.length === 1) return value[0] || undefined;
    return joinRepeats ? value.join(' ') : undefined;
  } catch {
    // Getters and proxies on caller-supplied objects may throw; that is still just "no header".
    return undefined;
  }
}

function toBytes(rawBody: unknown): Buffer {
  try {
    if (typeof rawBody === 'string') return Buffer.from(rawBody, 'utf8');
    if (rawBody instanceof Uint8Array) return Buffer.from(rawBody.buffer, rawBody.byteOffset, rawBody.byteLength);
  } catch {
    // Hostile objects (e.g. proxies) fall through to the same rejection as any other non-body.
  }
  return fail('invalid_payload', 'body must be a string or Buffer');
}

const isKey = (k: unknown): k is string => isValidSecret(k) || isValidPublicKey(k);

// Copies into a plain array so hostile inputs are read once, inside the try.
function readSecrets(secrets: unknown): string[] {
  try {
    const list: unknown[] = Array.isArray(secrets) ? [...(secrets as unknown[])] : [secrets];
    if (list.length > 0 && list.every(isKey)) return list;
  } catch {
    // fall through
  }
  return fail('invalid_secret', 'a configured webhook secret is malformed');
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

function parseEvent(id: string, timestampSeconds: number, body: Buffer): WebhookEvent {
  let raw: string;
  let parsed: unknown;
  try {
    raw = utf8.decode(body);
    parsed = JSON.parse(raw);
  } catch {
    return fail('invalid_payload', 'body is not UTF-8 JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) fail('invalid_payload', 'body is not a JSON object');
  const { type, timestamp, data } = parsed as Record<string, unknown>;
  if (typeof type !== 'string' || type === '') fail('invalid_payload', 'body has no "type" string');
  if (timestamp !== undefined && typeof timestamp !== 'string') fail('invalid_payload', '"timestamp" must be a string');
  const event: WebhookEvent = { id, timestamp: new Date(timestampSeconds * 1000), type, data, raw };
  if (timestamp !== undefined) event.payloadTimestamp = timestamp;
  return event;
}

/**
 * `secrets`: `whsec_` secrets (matched against `v1` HMAC tokens) and/or `whpk_` Ed25519 public keys
 * (matched against `v1a` tokens); any one match verifies.
 */
export function verifyWebhook(
  rawBody: string | Buffer,
  headers: WebhookHeaders,
  secrets: string | string[],
  options: VerifyOptions = {},
): WebhookEvent {
  const secretList = readSecrets(secrets);

  const id = readHeader(headers, 'id', false);
  const timestampHeader = readHeader(headers, 'timestamp', false);
  const signature = readHeader(headers, 'signature', true);
  if (id === undefined || timestampHeader === undefined || signature === undefined) {
    fail('missing_header', 'webhook-id, webhook-timestamp and webhook-signature are required');
  }

  if (!TIMESTAMP.test(timestampHeader)) fail('invalid_timestamp', 'webhook-timestamp must be integer Unix seconds');
  const timestampSeconds = Number(timestampHeader);
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const nowSeconds = Math.floor((options.now ?? Date.now)() / 1000);
  // Written so NaN options fail closed.
  if (!(Math.abs(nowSeconds - timestampSeconds) <= tolerance)) {
    fail('timestamp_out_of_tolerance', 'webhook-timestamp is outside the tolerance window');
  }

  const body = toBytes(rawBody);
  // Digests make every comparison equal-length, so neither a token's length nor its content
  // leaks through timing.
  const hmacCandidates: Buffer[] = [];
  const ed25519Candidates: string[] = [];
  for (const token of signature.split(' ').filter(Boolean).slice(0, MAX_SIGNATURES_CONSIDERED)) {
    const comma = token.indexOf(',');
    const version = comma === -1 ? '' : token.slice(0, comma);
    if (version === 'v1') hmacCandidates.push(digest(token.slice(comma + 1)));
    else if (version === 'v1a') ed25519Candidates.push(token.slice(comma + 1));
  }
  const secretsList = secretList.filter(isValidSecret);
  const publicKeys = secretList.filter(isValidPublicKey);
  // Only the versions our keys can check count: a v1a token is no use to a receiver holding a whsec_.
  if ((secretsList.length === 0 || hmacCandidates.length === 0) && (publicKeys.length === 0 || ed25519Candidates.length === 0)) {
    fail('no_supported_signature', `no ${[secretsList.length > 0 && 'v1', publicKeys.length > 0 && 'v1a'].filter(Boolean).join(' or ')} signature in webhook-signature`);
  }

  for (const secret of secretsList) {
    const expected = digest(computeSignature(secret, id, timestampSeconds, body).slice(3));
    for (const candidate of hmacCandidates) {
      if (timingSafeEqual(expected, candidate)) return parseEvent(id, timestampSeconds, body);
    }
  }
  // Public-key verification needs no constant-time comparison: nothing secret is compared.
  for (const key of publicKeys) {
    for (const candidate of ed25519Candidates) {
      if (verifyEd25519(key, id, timestampSeconds, body, candidate)) return parseEvent(id, timestampSeconds, body);
    }
  }
  return fail('invalid_signature', 'no signature matched any configured secret or public key');
}
