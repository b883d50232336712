import { z } from 'zod';
import { RESERVED_PREFIX } from '../../ops-events/types';
import { EVENT_TYPE_PATTERN, ID_PATTERN, paginationQuery, tenantIdField } from './common';
import { MAX_JSON_DEPTH, nestsWithin, TOO_DEEP_MESSAGE } from './json-depth';

// The reserved prefix in any case, as a pattern (JSON Schema patterns have no flags).
const RESERVED_PREFIX_PATTERN = new RegExp(
  `^(?!${[...RESERVED_PREFIX].map((c) => (/[a-z]/.test(c) ? `[${c.toUpperCase()}${c}]` : `\\${c}`)).join('')})`,
);

export const eventInput = z
  .object({
    type: z
      .string()
      .max(200)
      .regex(EVENT_TYPE_PATTERN, 'must be dot-separated words of letters, digits and _, such as "invoice.paid"')
      // In any case: "HOOKFLOW.ping" would read as an operational event to a person and to a case-blind filter.
      .refine((t) => RESERVED_PREFIX_PATTERN.test(t), `must not start with "${RESERVED_PREFIX}" (in any case): that prefix is reserved for hookflow's operational events`)
      // Both rules as one pattern in the document: two patterns (allOf) leave fuzzers and generators
      // filtering most of what they make.
      .meta({ pattern: `${RESERVED_PREFIX_PATTERN.source}${EVENT_TYPE_PATTERN.source.slice(1)}` })
      .describe(`The event type. Types starting with "${RESERVED_PREFIX}" (in any case) are reserved for operational events (hookflow.subscription.disabled, hookflow.delivery.dead_lettered, hookflow.delivery.failing, hookflow.delivery.recovered, hookflow.ping) and refused with 400.`),
    data: z
      .unknown()
      .refine((v) => v !== undefined, 'is required (any JSON value)')
      .refine((v) => nestsWithin(v), TOO_DEEP_MESSAGE)
      .describe(`Any JSON value, nesting at most ${MAX_JSON_DEPTH} arrays and objects deep`),
    id: z.string().regex(ID_PATTERN, 'must be letters, digits, _ . : - (at most 128)').optional(),
    tenantId: tenantIdField.optional().describe('The tenant whose subscriptions receive it; `default` when absent'),
  })
  .strict();

export const BATCH_MAX = 100;
export const batchInput = z.object({ events: z.array(eventInput).min(1).max(BATCH_MAX) }).strict();

export const idempotencyHeaders = z.object({
  'idempotency-key': z.string().min(1).max(255).regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces').optional(),
});

export const acceptedEvent = z.object({
  id: z.string(),
  tenantId: z.string(),
  type: z.string(),
  createdAt: z.string(),
  deliveries: z.array(z.object({ id: z.string(), subscriptionId: z.string() })),
});

export const eventDetail = acceptedEvent.extend({
  data: z.unknown(),
  dispatchedAt: z.string().nullable(),
  deliveries: z.array(z.object({ id: z.string(), subscriptionId: z.string(), status: z.string() })),
});

export const listEventsQuery = paginationQuery.extend({
  tenantId: tenantIdField.optional(),
  type: z.string().max(200).regex(EVENT_TYPE_PATTERN, 'must be an event type such as "invoice.paid"').optional(),
});

export const eventSummary = acceptedEvent.omit({ deliveries: true }).extend({ dispatchedAt: z.string().nullable() });
