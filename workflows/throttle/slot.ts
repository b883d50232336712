// The delivery's side of the endpoint limiter: ask for a slot, wait for the grant, give it back.
import { CancellationScope, condition, getExternalWorkflowHandle, proxyLocalActivities, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import type { createActivities } from '../../activities';
import { releaseSlotSignal, slotGrantedSignal, slotMissedSignal, type SlotGrant, type VersionedLimits } from './messages';

// A rate slot further ahead than this is waited for on a durable workflow timer, so the attempt
// holds an activity slot of the worker for at most about this long while it waits for its time.
const ACTIVITY_WAIT_MAX_MS = 2_000;

export interface SlotOptions {
  /** The limiter's workflow ID. */
  limiterId: string;
  deliveryId: string;
  throttle: VersionedLimits;
  /** How long a granted slot may be held before the limiter takes it back (see SlotRequest). */
  leaseMs: number;
}

export interface EndpointSlots {
  /** Resolves once granted; if cancelled while waiting, the request is withdrawn. */
  acquire(round: number, attempt: number): Promise<SlotGrant>;
  /** Gives back a rate slot the attempt was too late for and waits for the next one. */
  missed(grant: SlotGrant, startedAt: number): Promise<SlotGrant>;
  release(requestId: string): Promise<void>;
}

/** Registers the grant handler; call once per workflow run, before the first acquire. */
export function endpointSlots(opts: SlotOptions): EndpointSlots {
  const granted = new Map<string, SlotGrant>();
  setHandler(slotGrantedSignal, (grant) => {
    granted.set(grant.requestId, grant);
  });
  // Local: asking costs no activity task. Retried until the limiter has the request (it ignores copies).
  const { requestThrottleSlot } = proxyLocalActivities<ReturnType<typeof createActivities>>({
    startToCloseTimeout: '10s',
    retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '30s' },
  });
  const limiter = () => getExternalWorkflowHandle(opts.limiterId);

  const release = async (requestId: string): Promise<void> => {
    granted.delete(requestId);
    // Also when the round was cancelled (redeliver, discard): the slot must go back all the same.
    // A limiter that is gone has nothing to give back to; its leases end by themselves.
    await CancellationScope.nonCancellable(() => limiter().signal(releaseSlotSignal, { requestId }).catch(() => undefined));
  };

  /** Waits for the grant, then on a durable timer until its slot is close. Withdraws if cancelled. */
  const grantOf = async (requestId: string): Promise<SlotGrant> => {
    try {
      await condition(() => granted.has(requestId));
      const grant = granted.get(requestId)!;
      const farMs = (grant.slot?.notBefore ?? 0) - ACTIVITY_WAIT_MAX_MS - Date.now();
      if (farMs > 0) await sleep(farMs);
      return grant;
    } catch (err) {
      await release(requestId);
      throw err;
    }
  };

  return {
    async acquire(round, attempt) {
      const requestId = `${workflowInfo().runId}/${round}/${attempt}`;
      try {
        await requestThrottleSlot({ limiterId: opts.limiterId, requestId, deliveryId: opts.deliveryId, leaseMs: opts.leaseMs, ...opts.throttle });
      } catch (err) {
        await release(requestId);
        throw err;
      }
      return grantOf(requestId);
    },
    async missed(grant, startedAt) {
      granted.delete(grant.requestId);
      await limiter().signal(slotMissedSignal, { requestId: grant.requestId, deliveryId: opts.deliveryId, leaseMs: opts.leaseMs, startedAt });
      return grantOf(grant.requestId);
    },
    release,
  };
}
