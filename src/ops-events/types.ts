// Operational events: hookflow telling an operator about its own deliveries, as webhooks through its
// own pipeline. Names are part of the contract: receivers and tests outside the project rely on them.
import { z } from 'zod';

/** Reserved: callers cannot send event types with this prefix (POST /v1/events answers 400). */
export const RESERVED_PREFIX = 'hookflow.';

export const OpsEventType = {
  subscriptionDisabled: 'hookflow.subscription.disabled',
  deliveryDeadLettered: 'hookflow.delivery.dead_lettered',
  deliveryFailing: 'hookflow.delivery.failing',
  deliveryRecovered: 'hookflow.delivery.recovered',
  ping: 'hookflow.ping',
} as const;
export type OpsEventType = (typeof OpsEventType)[keyof typeof OpsEventType];

/**
 * The tenant operational events are emitted in: the operator's own. Every payload names the tenant
 * of the resource it is about, so one operator subscription covers all tenants.
 */
export const OPS_TENANT = 'default';

export const isOperationalType = (type: string): boolean => type.startsWith(RESERVED_PREFIX);

/** A subscription whose filters are all reserved types is an operator's: nothing about it is emitted. */
export const isOperatorSubscription = (eventTypes: string[]): boolean => eventTypes.length > 0 && eventTypes.every(isOperationalType);

const deliveryRef = {
  deliveryId: z.string().describe('The delivery (= Temporal workflow ID) this is about'),
  eventId: z.string(),
  eventType: z.string(),
  subscriptionId: z.string(),
  tenantId: z.string().describe('The tenant of the affected delivery or subscription'),
};

export const subscriptionDisabledPayload = z.object({
  subscriptionId: z.string(),
  tenantId: z.string().describe('The tenant of the disabled subscription'),
  url: z.string(),
  reason: z.enum(['gone', 'auto_disabled']).describe('`gone`: the endpoint answered 410; `auto_disabled`: HOOKFLOW_AUTO_DISABLE_AFTER dead letters in a row'),
  detail: z.string(),
  deliveryId: z.string().optional().describe('The delivery whose 410 disabled it (reason `gone`)'),
  disabledAt: z.string(),
});

export const deliveryDeadLetteredPayload = z.object({
  ...deliveryRef,
  deadLetteredAt: z.string(),
  lastStatusCode: z.number().int().nullable(),
  lastError: z.string().nullable(),
});

export const deliveryFailingPayload = z.object({
  ...deliveryRef,
  round: z.number().int(),
  failedAttempts: z.number().int().describe('Failed attempts in a row in this round so far (HOOKFLOW_FAILING_AFTER or more)'),
  lastStatusCode: z.number().int().nullable(),
  lastError: z.string().nullable(),
  nextAttemptAt: z.string().nullable(),
});

export const deliveryRecoveredPayload = z.object({
  ...deliveryRef,
  round: z.number().int(),
  attempt: z.number().int(),
  statusCode: z.number().int(),
  recoveredAt: z.string(),
});

// Sent on request (POST /v1/subscriptions/:id/test) to that one subscription, in its own tenant.
export const pingPayload = z.object({
  subscriptionId: z.string(),
  tenantId: z.string().describe('The tenant of the pinged subscription (the ping is an event of that tenant)'),
  message: z.string(),
  sentAt: z.string(),
});

export const opsPayloadSchemas = {
  'hookflow.subscription.disabled': subscriptionDisabledPayload,
  'hookflow.delivery.dead_lettered': deliveryDeadLetteredPayload,
  'hookflow.delivery.failing': deliveryFailingPayload,
  'hookflow.delivery.recovered': deliveryRecoveredPayload,
  'hookflow.ping': pingPayload,
} as const;

export type OpsPayloads = { [T in keyof typeof opsPayloadSchemas]: z.infer<(typeof opsPayloadSchemas)[T]> };
