// The endpoint limiter's contract: what delivery workflows, the limiter, activities and the API share.
// Free of side effects and Node built-ins, like the other workflow messages.
import { defineQuery, defineSignal } from '@temporalio/workflow';

/** A subscription's `throttle`: each field optional; absent means no limit of that kind. */
export interface ThrottleLimits {
  perSecond?: number;
  maxInFlight?: number;
}

/**
 * Limits as of one version of the subscription (its `updated_at` in ms): the limiter keeps the newest
 * it has heard of, so a delivery started before a change cannot bring the old limits back.
 */
export interface VersionedLimits {
  limits: ThrottleLimits;
  version: number;
}

export interface SlotRequest extends VersionedLimits {
  /** Unique per attempt: `<runId>/<round>/<attempt>`. */
  requestId: string;
  /** The requesting delivery's workflow ID, which the grant is signalled to. */
  deliveryId: string;
  /**
   * How long the slot may be held before the limiter takes it back unasked: a little over the
   * attempt's own timeout, so a slot whose holder died (crashed worker, terminated workflow) returns.
   */
  leaseMs: number;
}

/**
 * A rate slot: the request goes out in [notBefore, notAfter] (ms). Slots are handed out up to a
 * second ahead, so the limiter wakes about once a second rather than once per request; the attempt
 * waits for `notBefore` on one timer of its own. One that cannot start by `notAfter` (a busy worker,
 * a grant held up) gives the slot back rather than bunch up with the next ones.
 */
export interface RateSlot {
  notBefore: number;
  notAfter: number;
}

export interface SlotGrant {
  requestId: string;
  /** Present when the endpoint has `perSecond`. */
  slot?: RateSlot;
}

/** The failure type of an attempt that reached its rate slot too late and sent nothing. */
export const SLOT_MISSED = 'ThrottleSlotMissed';

export interface SlotMissed {
  requestId: string;
  /** Repeated from the request: a slot whose lease ran out meanwhile is no longer known to the limiter. */
  deliveryId: string;
  leaseMs: number;
  /** When the attempt started (ms): the limiter learns how long a grant takes to become an attempt. */
  startedAt: number;
}

export interface SlotRelease {
  requestId: string;
}

export interface LimiterInput {
  /** The limiter's workflow ID: `throttle-<subscriptionId>`, or `lane-<taskQueue>-<tenantId>` (see DeliveryInput.lane). */
  key: string;
  /** After continue-as-new. */
  carried?: LimiterState;
}

export interface WaitingRequest {
  requestId: string;
  /** Set once granted (see SlotGrant). */
  slot?: RateSlot;
  deliveryId: string;
  leaseMs: number;
  since: number;
}

export interface HeldSlot {
  requestId: string;
  deliveryId: string;
  leaseMs: number;
  grantedAt: number;
  leaseEndsAt: number;
}

export interface LimiterState {
  key: string;
  limits: ThrottleLimits;
  version: number;
  /** First come, first served. */
  waiting: WaitingRequest[];
  held: HeldSlot[];
  /** GCRA's theoretical arrival time (ms): the earliest moment the next grant keeps to `perSecond`. */
  nextGrantAt: number;
  /**
   * How far ahead of now rate slots are placed, learnt from misses: the time a grant takes to turn
   * into a started attempt on this deployment. Shrinks again while nothing misses.
   */
  leadMs: number;
  granted: number;
}

/** What the API shows for a throttled subscription. */
export interface LimiterView {
  limits: ThrottleLimits;
  waiting: number;
  inFlight: number;
  granted: number;
  oldestWaitingSince?: string;
  nextGrantAt?: string;
}

export const acquireSlotSignal = defineSignal<[SlotRequest]>('throttleAcquire');
export const releaseSlotSignal = defineSignal<[SlotRelease]>('throttleRelease');
/** The delivery got to its rate slot too late to use it (see SlotGrant.lateBy): back to the head of the line. */
export const slotMissedSignal = defineSignal<[SlotMissed]>('throttleMissed');
export const configureLimitsSignal = defineSignal<[VersionedLimits]>('throttleConfigure');
export const slotGrantedSignal = defineSignal<[SlotGrant]>('throttleGranted');
export const limiterStateQuery = defineQuery<LimiterView>('throttleState');

export const limiterWorkflowId = (subscriptionId: string): string => `throttle-${subscriptionId}`;
/**
 * The limiter of a tenant's deliveries to endpoints not yet known to answer fast (see
 * DeliveryInput.lane). Tenant IDs are chosen by callers and repeat across deployments sharing a
 * namespace (`default` everywhere), so the task queue is part of the ID: a lane is served by the
 * workers of its own deployment.
 */
export const laneLimiterId = (taskQueue: string, tenantId: string): string => `lane-${taskQueue}-${tenantId}`;

/** True when the limits constrain anything. */
export const hasLimits = (l: ThrottleLimits | null | undefined): l is ThrottleLimits =>
  !!l && (l.perSecond !== undefined || l.maxInFlight !== undefined);
