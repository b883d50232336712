import { z } from 'zod';
import { EVENT_TYPE_PATTERN, ID_PATTERN, tenantIdField } from './common';

import { DELIVERY_STATES } from '../../../workflows/delivery-states';

const id = z.string().regex(ID_PATTERN, 'must be an ID (letters, digits, _ . : -; at most 128)');

export const listDeliveriesQuery = z.object({
  tenantId: tenantIdField.optional(),
  status: z.enum(DELIVERY_STATES).optional(),
  subscriptionId: id.optional(),
  eventType: z.string().regex(EVENT_TYPE_PATTERN, 'must be an event type such as "invoice.paid"').optional(),
  eventId: id.optional(),
  since: z.iso.datetime({ offset: true, message: 'must be an ISO-8601 date-time' }).optional().describe('Created at or after'),
  until: z.iso.datetime({ offset: true, message: 'must be an ISO-8601 date-time' }).optional().describe('Created before; must be after `since` (400 otherwise)'),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(8192).optional(),
});

export const deliverySummary = z.object({
  id: z.string(),
  tenantId: z.string(),
  eventId: z.string(),
  subscriptionId: z.string(),
  eventType: z.string(),
  status: z.string(),
  startedAt: z.string().nullable(),
  closedAt: z.string().nullable(),
});

const attemptReport = z.object({
  round: z.number(),
  attempt: z.number(),
  at: z.string(),
  durationMs: z.number(),
  statusCode: z.number().optional(),
  error: z.string().optional(),
  nextAttemptAt: z.string().optional(),
});

export const deliveryStatusResponse = z.object({
  deliveryId: z.string(),
  tenantId: z.string(),
  eventId: z.string(),
  subscriptionId: z.string(),
  eventType: z.string(),
  state: z.enum(DELIVERY_STATES),
  attempts: z.number(),
  roundCount: z.number(),
  rounds: z.array(
    z.object({
      round: z.number(),
      trigger: z.enum(['initial', 'redeliver', 'resume']),
      startedAt: z.string(),
      endedAt: z.string().optional(),
      attempts: z.number(),
      outcome: z.enum(['succeeded', 'failed', 'discarded', 'superseded', 'stalled']).optional(),
      lastStatusCode: z.number().optional(),
      lastError: z.string().optional(),
    }),
  ),
  lastResponse: attemptReport.optional(),
  nextAttemptAt: z.string().optional(),
  deadLetteredAt: z.string().optional(),
  retentionEndsAt: z.string().optional(),
  completedAt: z.string().optional(),
  throttledSince: z.string().optional().describe("Set while the delivery waits for a slot of its endpoint's throttle; waiting uses no attempt"),
  fifo: z
    .object({
      sequence: z.number().describe("The delivery's place in its FIFO subscription's line"),
      waitingSince: z.string().optional().describe('Set while it waits for its turn behind the head of the line'),
    })
    .optional()
    .describe('Present while a delivery of a FIFO subscription runs'),
});

export const attemptResponse = z.object({
  id: z.number(),
  round: z.number(),
  attempt: z.number(),
  startedAt: z.string(),
  durationMs: z.number(),
  statusCode: z.number().nullable(),
  responseBody: z.string().nullable(),
  responseBodyNote: z
    .string()
    .nullable()
    .describe('Set when `responseBody` is not the bytes as sent: NUL bytes and invalid UTF-8 are stored as U+FFFD, and this says which were replaced'),
  errorClass: z.string().nullable(),
  errorMessage: z.string().nullable(),
  outcome: z.string(),
});

export const bulkRedeliverBody = z
  .object({
    status: z.literal('dead_lettered', { message: 'only "dead_lettered" deliveries can be redelivered in bulk' }),
    tenantId: tenantIdField.optional(),
    subscriptionId: id.optional(),
    eventType: z.string().regex(EVENT_TYPE_PATTERN, 'must be an event type such as "invoice.paid"').optional(),
    since: z.iso.datetime({ offset: true, message: 'must be an ISO-8601 date-time' }).optional(),
  })
  .strict();

export const signalAccepted = z.object({
  id: z.string(),
  accepted: z.literal(true),
  signal: z.enum(['redeliver', 'discard']),
  how: z.enum(['signalled', 'restarted']).optional().describe('redeliver: a new round of the open run, or a new run of a closed delivery'),
});
export const bulkResult = z.object({ matched: z.number(), signalled: z.number() });

// No options yet; a body, if sent, must be an empty object, so a mistyped field is a 400, not ignored.
export const redeliverBody = z.object({}).strict().nullish();
export const discardBody = z.object({ reason: z.string().min(1).max(500).optional() }).strict().nullish();
