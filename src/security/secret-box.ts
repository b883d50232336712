// Signing secrets (HMAC `whsec_…`) and Ed25519 private keys (`whsk_…`) at rest: PostgreSQL holds
// only `hfenc1:<keyId>:<base64 iv‖ciphertext‖tag>`, sealed under HOOKFLOW_SECRET_KEYS, so a leaked
// backup or a read-only SQL session cannot forge webhooks. Plaintext exists only in the API (to
// answer the subscriber) and inside the delivery activity, never in a log, an error or Temporal.
import { open, OpenError, seal } from './aes-gcm';
import { parseKeyRing, type KeyRing } from './key-ring';

const PREFIX = 'hfenc1:';

export class SecretUnavailableError extends Error {
  override readonly name = 'SecretUnavailableError';
}

export class SecretBox {
  private readonly ring: KeyRing;

  constructor(spec: string) {
    this.ring = parseKeyRing(spec, 'HOOKFLOW_SECRET_KEYS');
  }

  get currentKeyId(): string {
    return this.ring.currentKeyId;
  }

  /** What every value sealed under the current key starts with (the rotation's "already done" test). */
  get currentPrefix(): string {
    return `${PREFIX}${this.ring.currentKeyId}:`;
  }

  /**
   * `subscriptionId` (and `field`, for a custom header's value) is authenticated with the ciphertext,
   * so a sealed value copied to another row, or from the secret to a header, does not open.
   */
  seal(plaintext: string, subscriptionId: string, field?: SealedField): string {
    const key = this.ring.keys.get(this.ring.currentKeyId)!;
    return this.currentPrefix + seal(key, Buffer.from(plaintext, 'utf8'), context(subscriptionId, field)).toString('base64');
  }

  /**
   * Plaintext for a stored value. A value without the prefix is a row written before encryption at
   * rest, passed through until `hookflow migrate` (or start-up in `dev`) has sealed it.
   */
  open(stored: string, subscriptionId: string, field?: SealedField): string {
    if (!isSealed(stored)) return stored;
    const rest = stored.slice(PREFIX.length);
    const colon = rest.indexOf(':');
    const keyId = rest.slice(0, colon);
    const key = colon > 0 ? this.ring.keys.get(keyId) : undefined;
    // Messages name the subscription and the key ID, never any part of the value.
    if (!key) {
      throw new SecretUnavailableError(
        `${describe(subscriptionId, field)} was encrypted with key ID "${keyId}", which HOOKFLOW_SECRET_KEYS does not hold (it holds: ${[...this.ring.keys.keys()].join(', ')})`,
      );
    }
    try {
      return open(key, Buffer.from(rest.slice(colon + 1), 'base64'), context(subscriptionId, field)).toString('utf8');
    } catch (err) {
      if (!(err instanceof OpenError)) throw err;
      throw new SecretUnavailableError(`${describe(subscriptionId, field)} does not decrypt under key ID "${keyId}" (${err.reason}): it was altered or belongs to another row`);
    }
  }

  /** Sealed under the current key: nothing for a rotation to do. */
  isCurrent(stored: string): boolean {
    return stored.startsWith(this.currentPrefix);
  }
}

export const isSealed = (stored: string): boolean => stored.startsWith(PREFIX);

/** A sealed value other than the signing secret: one custom header's value, by lower-cased name. */
export type SealedField = { header: string };

const context = (subscriptionId: string, field?: SealedField): Buffer =>
  Buffer.from(field ? `hookflow/subscription-header/${subscriptionId}/${field.header}` : `hookflow/subscription-secret/${subscriptionId}`, 'utf8');

const describe = (subscriptionId: string, field?: SealedField): string =>
  field ? `the value of header ${field.header} of ${subscriptionId}` : `the signing secret of ${subscriptionId}`;

// One box per key-ring value: parsing is cheap, but the activity runs once per delivery attempt.
const boxes = new Map<string, SecretBox>();

/** The box for this configuration; HOOKFLOW_SECRET_KEYS must have been resolved (secret-keys-source.ts). */
export function secretBox(config: { secretKeys?: string }): SecretBox {
  if (!config.secretKeys) throw new Error('HOOKFLOW_SECRET_KEYS is not set (resolveSecretKeys runs before anything that stores or reads signing secrets)');
  let box = boxes.get(config.secretKeys);
  if (!box) boxes.set(config.secretKeys, (box = new SecretBox(config.secretKeys)));
  return box;
}
