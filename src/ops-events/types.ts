// Operational events: hookflow telling an operator about its own deliveries, as webhooks through its
// own pipeline (the idea of Svix's operational webhooks). Names are part of the contract (DESIGN.md).

/** Reserved: callers cannot send event types with this prefix (POST /v1/events answers 400). */
export const RESERVED_PREFIX = 'hookflow.';

export const OpsEventType = {
  subscriptionDisabled: 'hookflow.subscription.disabled',
  deliveryDeadLettered: 'hookflow.delivery.dead_lettered',
  deliveryFailing: 'hookflow.delivery.failing',
  deliveryRecovered: 'hookflow.delivery.recovered',
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

interface DeliveryRef {
  deliveryId: string;
  eventId: string;
  eventType: string;
  subscriptionId: string;
  tenantId: string;
}

export interface SubscriptionDisabledPayload {
  subscriptionId: string;
  tenantId: string;
  url: string;
  /** `gone`: the endpoint answered 410; `auto_disabled`: HOOKFLOW_AUTO_DISABLE_AFTER dead letters in a row. */
  reason: 'gone' | 'auto_disabled';
  detail: string;
  /** The delivery whose 410 disabled it (reason `gone`). */
  deliveryId?: string;
  disabledAt: string;
}

export interface DeliveryDeadLetteredPayload extends DeliveryRef {
  deadLetteredAt: string;
  lastStatusCode: number | null;
  lastError: string | null;
}

export interface DeliveryFailingPayload extends DeliveryRef {
  round: number;
  /** Failed attempts in a row in this round so far (HOOKFLOW_FAILING_AFTER or more). */
  failedAttempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  nextAttemptAt: string | null;
}

export interface DeliveryRecoveredPayload extends DeliveryRef {
  round: number;
  attempt: number;
  statusCode: number;
  recoveredAt: string;
}

export interface OpsPayloads {
  'hookflow.subscription.disabled': SubscriptionDisabledPayload;
  'hookflow.delivery.dead_lettered': DeliveryDeadLetteredPayload;
  'hookflow.delivery.failing': DeliveryFailingPayload;
  'hookflow.delivery.recovered': DeliveryRecoveredPayload;
}
