// `keyId:base64key,…` key rings, the one format of HOOKFLOW_PAYLOAD_KEY and HOOKFLOW_SECRET_KEYS:
// the first key encrypts, every key decrypts, so a key is rotated by putting a new one first and
// dropping the old one once nothing encrypted under it is left.

const KEY_BYTES = 32;
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
// Standard or URL-safe base64; Buffer.from alone would silently skip invalid characters.
const BASE64 = /^(?:[A-Za-z0-9+/]+={0,2}|[A-Za-z0-9_-]+={0,2})$/;

export const KEY_RING_FORMAT = 'comma-separated keyId:base64key entries with 32-byte keys; the first encrypts, all decrypt';

export interface KeyRing {
  /** Encrypts everything new. */
  currentKeyId: string;
  /** Every key that may still have ciphertext somewhere: the current one and retired ones. */
  keys: Map<string, Buffer>;
}

const splitEntries = (spec: string): string[] => spec.split(',').map((e) => e.trim()).filter(Boolean);

/**
 * What is wrong with a key ring, one message per problem. Messages name entries by position only:
 * the value is a secret and must never reach a log, even when malformed.
 */
export function keyRingProblems(spec: string): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  const entries = splitEntries(spec);
  if (entries.length === 0) return [`must hold ${KEY_RING_FORMAT}`];
  for (const [i, entry] of entries.entries()) {
    const where = `entry ${i + 1}`;
    const colon = entry.indexOf(':');
    if (colon < 0) {
      problems.push(`${where} must be keyId:base64key (no ":" found)`);
      continue;
    }
    const id = entry.slice(0, colon);
    const material = entry.slice(colon + 1);
    if (!KEY_ID.test(id)) problems.push(`${where}: the key ID must be 1-64 characters of A-Z a-z 0-9 . _ -`);
    else if (seen.has(id)) problems.push(`${where}: the key ID is used by an earlier entry`);
    seen.add(id);
    const length = BASE64.test(material) ? Buffer.from(material, 'base64').length : -1;
    if (length < 0) problems.push(`${where}: the key must be base64`);
    else if (length !== KEY_BYTES) problems.push(`${where}: the key must decode to ${KEY_BYTES} bytes (got ${length})`);
  }
  return problems;
}

/** `variable` names the setting in the error, never its value. */
export function parseKeyRing(spec: string, variable: string): KeyRing {
  const problems = keyRingProblems(spec);
  if (problems.length > 0) throw new Error(`${variable} is invalid: ${problems.join('; ')}`);
  const keys = new Map<string, Buffer>();
  for (const entry of splitEntries(spec)) {
    const colon = entry.indexOf(':');
    keys.set(entry.slice(0, colon), Buffer.from(entry.slice(colon + 1), 'base64'));
  }
  return { currentKeyId: keys.keys().next().value!, keys };
}
