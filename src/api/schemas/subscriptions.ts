import { z } from 'zod';
import { isValidSecret } from '../../signing/standard-webhooks';
import { pingResult } from './ping';
import { isStorableJson, isStorableText, STORABLE_NOTE, storableText, tenantIdField, UNSTORABLE_MESSAGE } from './common';
import { nestsWithin, TOO_DEEP_MESSAGE } from './json-depth';
import { headerProblems, MASK, MAX_HEADERS } from '../../endpoint-headers/rules';
import { checkFilter, MAX_FILTER_BYTES, SUPPORTED_OPERATORS } from '../../payload-filter/validate';
import { ORDERINGS } from '../../../workflows/ordering/messages';

// "whsec_" and canonical base64 (zero trailing bits) of 24 to 64 bytes: whole 4-character groups,
// then at most one padded group. The same rule as isValidSecret, stated so the document carries it.
const B64 = '[A-Za-z0-9+/]';
// Host: a name (ASCII, none of the characters URLs forbid there) or a bracketed IPv6 literal; port 1-65535.
const URL_PATTERN = new RegExp(
  "^[Hh][Tt][Tt][Pp][Ss]?://(?:[A-Za-z0-9._~!$&'()*+,;=-]+|\\[[0-9A-Fa-f:.]+\\])" +
    '(?::(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3}))?' +
    '(?:[/?#][^\\u0000-\\u0020\\u007f]*)?$',
);
const SECRET_PATTERN = new RegExp(
  `^whsec_(?:(?:${B64}{4}){8,21}(?:${B64}[AQgw]==)?|(?:${B64}{4}){8,20}${B64}{2}[AEIMQUYcgkosw048]=)$`,
);

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
  .describe('Overrides of the default retry policy; omitted fields keep the server default. initialIntervalMs must not exceed maxIntervalMs (400); when only one of them is given, it is compared with the server default of the other (HOOKFLOW_RETRY_INITIAL_INTERVAL_MS, HOOKFLOW_RETRY_MAX_INTERVAL_MS).');

// One limiter workflow paces each throttled endpoint; far beyond these it could not keep up anyway.
export const MAX_THROTTLE_PER_SECOND = 500;
export const MAX_THROTTLE_IN_FLIGHT = 1_000;

export const throttleSchema = z
  .object({
    perSecond: z
      .number()
      .min(0.01)
      .max(MAX_THROTTLE_PER_SECOND)
      .describe('At most this many requests in any one-second window (fractions allowed: 0.5 is one every 2 s)'),
    maxInFlight: z.number().int().min(1).max(MAX_THROTTLE_IN_FLIGHT).describe('At most this many requests open at once'),
  })
  .partial()
  .strict()
  .refine((t) => t.perSecond !== undefined || t.maxInFlight !== undefined, 'give perSecond, maxInFlight or both (null removes the throttle)')
  // The rule above, in the document: the object is strict, so one property is one of the two.
  .meta({ minProperties: 1 })
  .describe('Paces requests to this endpoint across every worker; waiting for a slot uses no attempt');

export const orderingSchema = z
  .enum(ORDERINGS)
  .describe(
    'none (the default): deliveries run side by side. fifo: one at a time, each event only after the one accepted before it for this subscription succeeded or was discarded; a dead letter holds the line. A change applies to events accepted after it: deliveries already accepted keep the ordering they were accepted with.',
  );

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
  .refine((m) => JSON.stringify(m).length <= 4096, 'must serialise to at most 4096 bytes')
  .describe(`Your own key/value data: keys of at most 100 characters, at most 4096 characters as JSON. ${STORABLE_NOTE}`);

// Issues name the header (body.headers.<name>) and never quote its value.
const headersSchema = z
  // The value rules of headerProblems, stated for the document: printable ASCII, 1-4096 characters,
  // no whitespace at either end. (Name rules stay in words: OpenAPI 3.0 cannot constrain map keys.)
  .record(z.string(), z.string().meta({ pattern: '^[\\x21-\\x7e](?:[\\x20-\\x7e]{0,4094}[\\x21-\\x7e])?$' }))
  .superRefine((headers, ctx) => {
    for (const p of headerProblems(headers)) ctx.addIssue({ code: 'custom', path: p.name === undefined ? [] : [p.name], message: p.message });
  })
  .describe(
    `Custom headers sent with every attempt, name → value (at most ${MAX_HEADERS}). Values are encrypted at rest; reads mask credential-like ones ` +
      `(authorization, cookie, names containing key, token, secret, auth) as "${MASK}". Refused: hop-by-hop headers, host, content-length, content-type, webhook-*`,
  )
  .meta({ maxProperties: MAX_HEADERS });

// Issues name the bad place inside the filter: body.filter.data.amount.$gte.
const filterSchema = z
  .record(z.string(), z.unknown())
  .superRefine((filter, ctx) => {
    const checked = checkFilter(filter);
    if (!checked.ok) for (const p of checked.problems) ctx.addIssue({ code: 'custom', path: p.path, message: p.message });
  })
  .describe(
    `Payload filter matched against the event's { type, data } at fan-out: an event it does not match creates no delivery. ` +
      `Nested objects match nested fields; operators: ${SUPPORTED_OPERATORS.join(' ')}. At most ${MAX_FILTER_BYTES} bytes. ` +
      'Example: {"data": {"amount": {"$gte": 100}}}',
  );

export const subscriptionFields = {
  // The pattern already excludes NUL and every other control character; lone surrogates stay a refinement.
  url: z
    .url({ message: 'must be an absolute http(s) URL' })
    .max(2048, 'must be at most 2048 characters')
    // Stated as a pattern too, since format uri alone admits any scheme and any host: http(s), an
    // ASCII host without the characters URLs forbid there, an optional port, then anything printable.
    // (JSON Schema patterns have no flags, hence the letter classes.)
    .regex(URL_PATTERN, 'must be an absolute http(s) URL')
    .refine(isStorableText, UNSTORABLE_MESSAGE)
    .describe(
      'The endpoint. A host that is, or resolves to, a private, loopback, link-local or unspecified address is refused (400) unless HOOKFLOW_ALLOW_PRIVATE_URLS or HOOKFLOW_ALLOWED_CIDRS allow it; that depends on configuration and DNS, so no schema states it. Production requires https.',
    ),
  eventTypes: z.array(eventTypeFilter).min(1).max(100),
  description: storableText(z.string().max(500)).nullable(),
  retryPolicy: retryPolicySchema,
  throttle: throttleSchema,
  ordering: orderingSchema,
  metadata: metadataSchema,
  headers: headersSchema,
  filter: filterSchema,
  traceparent: z
    .boolean()
    .describe('Send a W3C `traceparent` header with each request, so your endpoint can join hookflow\'s trace; only when the operator has tracing on. Off by default'),
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
      .regex(SECRET_PATTERN, 'must be "whsec_" followed by base64 of 24 to 64 random bytes')
      .refine(isValidSecret, 'must be "whsec_" followed by base64 of 24 to 64 random bytes')
      .optional()
      .describe('HMAC only: your own whsec_ secret instead of a generated one'),
    retryPolicy: retryPolicySchema.optional(),
    throttle: throttleSchema.optional(),
    ordering: orderingSchema.default('none'),
    metadata: metadataSchema.default({}),
    headers: headersSchema.optional(),
    filter: filterSchema.nullable().optional(),
    traceparent: subscriptionFields.traceparent.default(false),
    ping: z.boolean().optional().describe('Send a hookflow.ping right away and answer with its first attempt (as POST /v1/subscriptions/:id/test does)'),
  })
  .strict()
  .refine((b) => b.signature !== 'ed25519' || b.secret === undefined, {
    path: ['secret'],
    message: 'cannot be given with signature "ed25519": hookflow generates the key pair, keeps the private key and returns the public key',
  })
  // The rule above, stated in the document: no `secret` together with `signature: "ed25519"`.
  .meta({ not: { required: ['signature', 'secret'], properties: { signature: { enum: ['ed25519'] } } } });

export const updateSubscriptionBody = z
  .object({
    url: subscriptionFields.url.optional(),
    eventTypes: subscriptionFields.eventTypes.optional(),
    description: subscriptionFields.description.optional(),
    retryPolicy: retryPolicySchema.nullable().optional(),
    throttle: throttleSchema.nullable().optional(),
    ordering: orderingSchema.optional(),
    metadata: metadataSchema.optional(),
    headers: headersSchema.optional().describe('Replaces every custom header; {} removes them all'),
    filter: filterSchema.nullable().optional().describe('Replaces the payload filter; null removes it'),
    traceparent: subscriptionFields.traceparent.optional(),
    active: z.boolean().optional(),
  })
  .strict()
  .refine((b) => Object.values(b).some((v) => v !== undefined), 'send at least one field to change')
  .meta({ minProperties: 1 });

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
  throttle: z
    .object({ perSecond: z.number().optional(), maxInFlight: z.number().optional() })
    .nullable()
    .describe('The endpoint\'s throttle; null when unthrottled'),
  ordering: orderingSchema,
  metadata: z.record(z.string(), z.unknown()),
  headers: z
    .record(z.string(), z.string())
    .describe(`Custom header names with their values; credential-like values read as "${MASK}" (GET /v1/subscriptions/{id}/headers returns them whole)`),
  filter: z.record(z.string(), z.unknown()).nullable().describe('The payload filter, or null when every event of the subscribed types is delivered'),
  traceparent: z.boolean().describe('Whether requests carry a W3C traceparent header (when tracing is on)'),
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
export const headersResponse = z
  .object({ headers: z.record(z.string(), z.string()).describe('Every custom header with its whole value') })
  .strict();

/** The HMAC secret, or for ed25519 the public key: hookflow never hands out a private key. */
export const secretResponse = z.union([z.object({ secret: z.string() }).strict(), z.object({ publicKey: z.string() }).strict()]);
