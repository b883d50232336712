import { z } from 'zod';
import { TENANT_SCOPES, type Scope } from '../../auth/scopes';
import { isStorableJson, STORABLE_NOTE, storableText, tenantIdField, UNSTORABLE_MESSAGE } from './common';
import { nestsWithin, TOO_DEEP_MESSAGE } from './json-depth';

const name = storableText(z.string().min(1).max(200));
const metadata = z
  .record(z.string().max(100), z.unknown())
  // First, and stopping there: the checks after it walk and serialise the value.
  .refine((m) => nestsWithin(m), { message: TOO_DEEP_MESSAGE, abort: true })
  .refine(isStorableJson, UNSTORABLE_MESSAGE)
  .refine((m) => JSON.stringify(m).length <= 4096, 'must serialise to at most 4096 bytes')
  .describe(`Your own key/value data: keys of at most 100 characters, at most 4096 characters as JSON. ${STORABLE_NOTE}`);

export const createTenantBody = z
  .object({
    id: tenantIdField.optional().describe('Your own customer ID; generated (ten_…) when absent'),
    name,
    metadata: metadata.default({}),
  })
  .strict();

export const updateTenantBody = z
  .object({ name: name.optional(), metadata: metadata.optional() })
  .strict()
  .refine((b) => b.name !== undefined || b.metadata !== undefined, 'send at least one field to change')
  .meta({ minProperties: 1 });

export const tenantResponse = z.object({
  id: z.string(),
  name: z.string(),
  metadata: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const tenantParam = z.object({ id: tenantIdField });
export const tokenParams = z.object({
  id: tenantIdField,
  tokenId: z.string().regex(/^tok_[0-9a-z]{26}$/, 'must be a token ID (tok_…)'),
});

export const createTokenBody = z
  .object({
    name: storableText(z.string().min(1).max(200)).optional(),
    expiresAt: z.iso
      .datetime({ offset: true, message: 'must be an ISO-8601 date-time' })
      .refine((v) => Date.parse(v) > Date.now(), 'must be in the future')
      .optional()
      .describe('When the token stops working; must be in the future (400 otherwise); default: never'),
    scopes: z
      .array(z.enum(TENANT_SCOPES as [Scope, ...Scope[]]))
      .min(1)
      .max(TENANT_SCOPES.length)
      .optional()
      .describe('What the token may do (default: all of them); a token never holds admin or metrics:read'),
  })
  .strict()
  .default({});

export const tokenResponse = z.object({
  id: z.string(),
  tenantId: z.string(),
  name: z.string().nullable(),
  expiresAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
  scopes: z.array(z.string()),
  createdAt: z.string(),
});
export const createdTokenResponse = tokenResponse.extend({ token: z.string().describe('Shown once; only a hash is stored') });

export const deletedTenantResponse = z.object({
  id: z.string(),
  deleted: z.literal(true),
  subscriptionsDeleted: z.number(),
  tokensRevoked: z.number(),
  deliveriesDiscarded: z.number(),
});
