// AES-256-GCM with one random 96-bit IV per message, laid out iv || ciphertext || tag (the layout
// Temporal's encryption samples use in every SDK). Shared by the Temporal payload codec and the
// encryption of signing secrets at rest.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const CIPHER = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** `aad` (additional authenticated data) binds the ciphertext to its context without encrypting it. */
export function seal(key: Buffer, plain: Uint8Array, aad?: Uint8Array): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(CIPHER, key, iv);
  if (aad) cipher.setAAD(aad);
  return Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
}

export class OpenError extends Error {
  override readonly name = 'OpenError';
  constructor(
    readonly reason: 'truncated' | 'unauthenticated',
    message: string,
  ) {
    super(message);
  }
}

/** Throws OpenError when the data is truncated, altered, or sealed under another key or context. */
export function open(key: Buffer, sealed: Uint8Array, aad?: Uint8Array): Buffer {
  const data = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  if (data.length < IV_BYTES + TAG_BYTES) throw new OpenError('truncated', `ciphertext is truncated (${data.length} bytes)`);
  const decipher = createDecipheriv(CIPHER, key, data.subarray(0, IV_BYTES));
  decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
  if (aad) decipher.setAAD(aad);
  try {
    return Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new OpenError('unauthenticated', 'ciphertext failed authentication: it was altered, or sealed with a different key or for a different record');
  }
}
