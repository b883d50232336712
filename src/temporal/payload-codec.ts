// Optional end-to-end encryption of everything hookflow hands to Temporal (workflow and activity
// inputs, results, signals, queries). The server, its database and anyone reading history see
// only ciphertext; the worker, the API and an authorised codec-endpoint caller see plaintext.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, type DataConverter, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { Config } from '../config';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
const CIPHER = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
// Standard or URL-safe base64; Buffer.from alone would silently skip invalid characters.
const BASE64 = /^(?:[A-Za-z0-9+/]+={0,2}|[A-Za-z0-9_-]+={0,2})$/;

const splitEntries = (spec: string): string[] => spec.split(',').map((e) => e.trim()).filter(Boolean);

export const PAYLOAD_KEY_FORMAT = 'comma-separated keyId:base64key entries with 32-byte keys; the first encrypts, all decrypt';

/** Thrown when a payload cannot be decrypted: unknown key ID, tampered or truncated ciphertext. */
export class PayloadDecryptionError extends Error {
  override readonly name = 'PayloadDecryptionError';
}

/**
 * What is wrong with a HOOKFLOW_PAYLOAD_KEY value, one message per problem. Messages name entries
 * by position only: the value is a secret and must never reach a log, even when malformed.
 */
export function payloadKeyProblems(spec: string): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  const entries = splitEntries(spec);
  if (entries.length === 0) return [`must hold ${PAYLOAD_KEY_FORMAT}`];
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

export interface PayloadKeys {
  /** Encrypts every new payload. */
  currentKeyId: string;
  /** Every key that may still have ciphertext in history: the current one and retired ones. */
  keys: Map<string, Buffer>;
}

export function parsePayloadKeys(spec: string): PayloadKeys {
  const problems = payloadKeyProblems(spec);
  if (problems.length > 0) throw new Error(`HOOKFLOW_PAYLOAD_KEY is invalid: ${problems.join('; ')}`);
  const keys = new Map<string, Buffer>();
  for (const entry of splitEntries(spec)) {
    const colon = entry.indexOf(':');
    keys.set(entry.slice(0, colon), Buffer.from(entry.slice(colon + 1), 'base64'));
  }
  return { currentKeyId: keys.keys().next().value!, keys };
}

const utf8 = (s: string): Uint8Array => Buffer.from(s, 'utf8');
const text = (b: Uint8Array | null | undefined): string | undefined => (b ? Buffer.from(b).toString('utf8') : undefined);

/**
 * AES-256-GCM, one random 96-bit IV per payload. The whole original payload (metadata too, so
 * even the encoding and message type stay private) is protobuf-serialized and then encrypted; the
 * data is iv || ciphertext || tag, the layout Temporal's encryption samples use in every SDK.
 */
export class AesGcmPayloadCodec implements PayloadCodec {
  private readonly keyIdBytes: Uint8Array;

  constructor(private readonly keys: PayloadKeys) {
    this.keyIdBytes = utf8(keys.currentKeyId);
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const key = this.keys.keys.get(this.keys.currentKeyId)!;
    return payloads.map((payload) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv(CIPHER, key, iv);
      const plain = temporal.api.common.v1.Payload.encode(payload).finish();
      const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: { [METADATA_ENCODING_KEY]: utf8(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: this.keyIdBytes },
        data: sealed,
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (text(payload.metadata?.[METADATA_ENCODING_KEY]) !== ENCRYPTED_ENCODING) return payload;
      const keyId = text(payload.metadata?.[KEY_ID_METADATA]);
      if (!keyId) throw new PayloadDecryptionError(`encrypted payload has no "${KEY_ID_METADATA}" metadata`);
      const key = this.keys.keys.get(keyId);
      if (!key) {
        throw new PayloadDecryptionError(
          `payload was encrypted with key ID "${keyId}", which HOOKFLOW_PAYLOAD_KEY does not hold (it holds: ${[...this.keys.keys.keys()].join(', ')})`,
        );
      }
      const data = Buffer.from(payload.data ?? new Uint8Array());
      if (data.length < IV_BYTES + TAG_BYTES) throw new PayloadDecryptionError(`encrypted payload is truncated (${data.length} bytes)`);
      const decipher = createDecipheriv(CIPHER, key, data.subarray(0, IV_BYTES));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      let plain: Buffer;
      try {
        plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
      } catch {
        throw new PayloadDecryptionError(`encrypted payload failed authentication under key ID "${keyId}": it was altered or encrypted with a different key`);
      }
      const original = temporal.api.common.v1.Payload.decode(plain);
      return { metadata: original.metadata, data: original.data };
    });
  }
}

/** The codec for this configuration, or undefined when payload encryption is off. */
export function createPayloadCodec(config: Pick<Config, 'payloadKey'>): AesGcmPayloadCodec | undefined {
  return config.payloadKey ? new AesGcmPayloadCodec(parsePayloadKeys(config.payloadKey)) : undefined;
}

/** Pass the result to every client and worker: all of them must agree on the codec. */
export function createDataConverter(config: Pick<Config, 'payloadKey'>): DataConverter | undefined {
  const codec = createPayloadCodec(config);
  return codec ? { payloadCodecs: [codec] } : undefined;
}
