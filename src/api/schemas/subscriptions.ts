import { z } from 'zod';
import { isValidSecret } from '../../signing/standard-webhooks';
import { pingResult } from './ping';
import { isStorableJson, isStorableText, tenantIdField, UNSTORABLE_MESSAGE } from './common';
import { nestsWithin, TOO_DEEP_MESSAGE } from './json-depth';

const DAY_MS = 86_400_000;

export const retryPolicySchema = z
  .object({
    maxAttempts: z.number().int().min(1).max(50),
    initialIntervalMs: z.number().int().min(1).max(DAY_MS),
    backoffCoefficient: z.number().min(1).max(10),
    maxIntervalMs: z.number().int().min(1).max(7 * DAY_MS),
  })
  .partial()
  .strict()
  .refine((p) => p.initialIntervalMs === undefined || p.maxIntervalMs === undefined || p.initialIntervalMs <= p.maxIntervalMs, {
    message: 'initialIntervalMs must not exceed maxIntervalMs',
    path: ['maxIntervalMs'],
  })
  .describe('Overrides of the default retry policy; omitted fields keep the server default');

const signatureScheme = z
  .enum(['hmac-sha256', 'ed25519'])
  .describe('How requests are signed: `hmac-sha256` (`v1,` with a shared whsec_ secret) or `ed25519` (`v1a,`; you get a whpk_ public key)');

const eventTypeFilter = z
  .string()
  .max(200)
  .regex(/^(\*|[a-zA-Z0-9_]+(\.[a-zA-Z0-9_]+)*(\.\*)?)$/, 'must be an event type, "*", or a prefix wildcard such as "invoice.*"');

const metadataSchema = z
  .record(z.string().max(100), z.unknown())
  // First, and stopping there: the checks after it walk and serialise the value.
  .refine((m) => nestsWithin(m), { message: TOO_DEEP_MESSAGE, abort: true })
  .refine(isStorableJson, UNSTORABLE_MESSAGE)
  .refine((m) => JSON.stringify(m).length <= 4096, 'must serialise to at most 4096 bytes');

export const subscriptionFields = {
  url: z.url({ message: 'must be an absolute http(s) URL' }).max(2048, 'must be at most 2048 characters').refine(isStorableText, UNSTORABLE_MESSAGE),
  eventTypes: z.array(eventTypeFilter).min(1).max(100),
  description: z.string().max(500).refine(isStorableText, UNSTORABLE_MESSAGE).nullable(),
  retryPolicy: retryPolicySchema,
  metadata: metadataSchema,
};

export const createSubscriptionBody = z
  .object({
    tenantId: tenantIdField.optional().describe('The tenant it belongs to; `default` when absent'),
    url: subscriptionFields.url,
    eventTypes: subscriptionFields.eventTypes.default(['*']),
    description: subscriptionFields.description.optional(),
    signature: signatureScheme.default('hmac-sha256'),
    secret: z
      .string()
      .refine(isValidSecret, 'must be "whsec_" followed by base64 of 24 to 64 random bytes')
      .optional()
      .describe('HMAC only: your own whsec_ secret instead of a generated one'),
    retryPolicy: retryPolicySchema.optional(),
    metadata: metadataSchema.default({}),
    ping: z.boolean().optional().describe('Send a hookflow.ping right away and answer with its first attempt (as POST /v1/subscriptions/:id/test does)'),
  })
  .strict()
  .refine((b) => b.signature !== 'ed25519' || b.secret === undefined, {
    path: ['secret'],
    message: 'cannot be given with signature "ed25519": hookflow generates the key pair, keeps the private key and returns the public key',
  });

export const updateSubscriptionBody = z
  .object({
    url: subscriptionFields.url.optional(),
    eventTypes: subscriptionFields.eventTypes.optional(),
    description: subscriptionFields.description.optional(),
    retryPolicy: retryPolicySchema.nullable().optional(),
    metadata: metadataSchema.optional(),
    active: z.boolean().optional(),
  })
  .strict()
  .refine((b) => Object.values(b).some((v) => v !== undefined), 'send at least one field to change');

export const rotateSecretBody = z
  .object({
    graceSeconds: z.number().int().min(0).max(30 * 86_400).default(86_400),
  })
  .strict()
  .default({ graceSeconds: 86_400 });

export const subscriptionResponse = z.object({
  id: z.string(),
  tenantId: z.string(),
  url: z.string(),
  eventTypes: z.array(z.string()),
  description: z.string().nullable(),
  retryPolicy: z.object({
    maxAttempts: z.number(),
    initialIntervalMs: z.number(),
    backoffCoefficient: z.number(),
    maxIntervalMs: z.number(),
  }),
  metadata: z.record(z.string(), z.unknown()),
  signature: signatureScheme,
  publicKey: z.string().nullable().describe('ed25519: the whpk_ public key that verifies this subscription\'s requests; null for hmac-sha256'),
  active: z.boolean(),
  disabledReason: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

/** By `signature`: an HMAC subscription comes with its whsec_ secret, an ed25519 one with its public key only. */
export const createdSubscriptionResponse = z.discriminatedUnion('signature', [
  subscriptionResponse.extend({
    signature: z.literal('hmac-sha256'),
    secret: z.string().describe('The whsec_ secret receivers verify with'),
    ping: pingResult.optional(),
  }),
  subscriptionResponse.extend({ signature: z.literal('ed25519'), publicKey: z.string(), ping: pingResult.optional() }),
]);
/** The HMAC secret, or for ed25519 the public key: hookflow never hands out a private key. */
export const secretResponse = z.union([z.object({ secret: z.string() }).strict(), z.object({ publicKey: z.string() }).strict()]);
