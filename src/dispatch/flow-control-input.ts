import type { DeliveryInput } from '../../workflows/messages';
import { hasLimits, laneLimiterId, type VersionedLimits } from '../../workflows/throttle/messages';

/** What a delivery's start knows about its endpoint's flow control (src/db/repos/throttle.ts). */
export interface FlowControlFacts {
  tenantId: string;
  /** The subscription's throttle, when it has one. */
  throttle?: VersionedLimits | null;
  /** False for an endpoint not yet known to answer fast; such a delivery takes its tenant's lane. */
  fastPath?: boolean;
}

/**
 * The delivery input's flow-control part: the endpoint's own throttle if it has one, else its
 * tenant's lane for an endpoint not known to be fast, else nothing (the fast path, unchanged).
 */
export function flowControlInput(d: FlowControlFacts, lane: { taskQueue: string; slowLaneInFlight?: number }): Pick<DeliveryInput, 'throttle' | 'lane'> {
  if (d.throttle && hasLimits(d.throttle.limits)) return { throttle: d.throttle };
  if (d.fastPath === false && lane.slowLaneInFlight) {
    return { lane: { limiterId: laneLimiterId(lane.taskQueue, d.tenantId), maxInFlight: lane.slowLaneInFlight } };
  }
  return {};
}
