import { createHash, randomBytes } from 'node:crypto';

// Crockford base32: URL-safe, unambiguous, and sorts in time order when the prefix is a timestamp.
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

function base32(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

/** Time-ordered random ID (48-bit ms timestamp + 80 random bits), like a ULID, with a type prefix. */
export function newId(prefix: 'sub' | 'evt' | 'ten' | 'tok' | 'pl' | 'ps'): string {
  const bytes = Buffer.alloc(16);
  bytes.writeUIntBE(Date.now(), 0, 6);
  randomBytes(10).copy(bytes, 6);
  return `${prefix}_${base32(bytes)}`;
}

/**
 * The delivery ID (= Temporal workflow ID) is a pure function of (event, subscription), so a
 * retried or re-swept fan-out can never start a second delivery for the same pair.
 */
export function deliveryIdFor(eventId: string, subscriptionId: string): string {
  const digest = createHash('sha256').update(`${eventId}\u0000${subscriptionId}`).digest();
  return `dlv_${base32(digest.subarray(0, 16))}`;
}
