import type { DeliveryInput } from '../../workflows/messages';
import { hasLimits, laneLimiterId, type VersionedLimits } from '../../workflows/throttle/messages';
import type { EndpointPace } from '../db/repos/throttle';

/** What a delivery's start knows about its endpoint's flow control (src/db/repos/throttle.ts). */
export interface FlowControlFacts {
  tenantId: string;
  /** The subscription's throttle, when it has one. */
  throttle?: VersionedLimits | null;
  /** What the endpoint is known to be; absent (a redelivery) is taken as fast. */
  pace?: EndpointPace;
}

/**
 * The delivery input's flow-control part: the endpoint's own throttle if it has one; else its
 * tenant's lane for an endpoint known to be slow; else, for an endpoint not yet known to answer
 * fast, a regular first attempt; else nothing (the fast path, unchanged).
 */
export function flowControlInput(
  d: FlowControlFacts,
  lane: { taskQueue: string; slowLaneInFlight?: number },
): Pick<DeliveryInput, 'throttle' | 'lane' | 'regularFirstAttempt'> {
  if (d.throttle && hasLimits(d.throttle.limits)) return { throttle: d.throttle };
  if (d.pace === 'slow' && lane.slowLaneInFlight) {
    return { lane: { limiterId: laneLimiterId(lane.taskQueue, d.tenantId), maxInFlight: lane.slowLaneInFlight } };
  }
  if (d.pace === 'new' || d.pace === 'slow') return { regularFirstAttempt: true };
  return {};
}
