// Optional end-to-end encryption of everything hookflow hands to Temporal (workflow and activity
// inputs, results, signals, queries). The server, its database and anyone reading history see
// only ciphertext; the worker, the API and an authorised codec-endpoint caller see plaintext.
import { METADATA_ENCODING_KEY, type DataConverter, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { Config } from '../config';
import { open, OpenError, seal } from '../security/aes-gcm';
import { parseKeyRing, type KeyRing } from '../security/key-ring';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';

/** Thrown when a payload cannot be decrypted: unknown key ID, tampered or truncated ciphertext. */
export class PayloadDecryptionError extends Error {
  override readonly name = 'PayloadDecryptionError';
}

export type PayloadKeys = KeyRing;

export const parsePayloadKeys = (spec: string): PayloadKeys => parseKeyRing(spec, 'HOOKFLOW_PAYLOAD_KEY');

const utf8 = (s: string): Uint8Array => Buffer.from(s, 'utf8');
const text = (b: Uint8Array | null | undefined): string | undefined => (b ? Buffer.from(b).toString('utf8') : undefined);

/**
 * The whole original payload (metadata too, so even the encoding and message type stay private) is
 * protobuf-serialized and then sealed with AES-256-GCM (src/security/aes-gcm.ts).
 */
export class AesGcmPayloadCodec implements PayloadCodec {
  private readonly keyIdBytes: Uint8Array;

  constructor(private readonly keys: PayloadKeys) {
    this.keyIdBytes = utf8(keys.currentKeyId);
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const key = this.keys.keys.get(this.keys.currentKeyId)!;
    return payloads.map((payload) => {
      const sealed = seal(key, temporal.api.common.v1.Payload.encode(payload).finish());
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
      let plain: Buffer;
      try {
        plain = open(key, payload.data ?? new Uint8Array());
      } catch (err) {
        if (err instanceof OpenError && err.reason === 'truncated') throw new PayloadDecryptionError(`encrypted payload is truncated (${payload.data?.length ?? 0} bytes)`);
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
