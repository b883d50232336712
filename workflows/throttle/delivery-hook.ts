// Where the delivery workflow hands a throttled subscription's round over: the limiter's slots,
// one regular activity per attempt, and the status fields that show the wait.
import { ActivityCancellationType, proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../../activities';
import { applyAttempt } from '../delivery-status';
import type { AttemptReport, DeliverInput, DeliveryInput, DeliveryState, DeliveryStatus, RoundSummary } from '../messages';
import { deliverThrottled } from './round';
import { limiterWorkflowId } from './messages';
import { endpointSlots } from './slot';

// A lease outlives the attempt's own timeout by this much, so only a holder that is gone loses it.
const LEASE_MARGIN_MS = 5_000;

export interface ThrottleHookDeps {
  attemptTimeoutMs: number;
  setState: (status: DeliveryStatus, state: DeliveryState) => void;
}

export function throttledRound(input: DeliveryInput, status: DeliveryStatus, deps: ThrottleHookDeps) {
  const slots = endpointSlots({
    deliveryId: input.deliveryId,
    // The endpoint's own throttle if it has one, else its tenant's lane (the caller checked one is set).
    ...(input.throttle
      ? { limiterId: limiterWorkflowId(input.subscriptionId), throttle: input.throttle }
      : { limiterId: input.lane!.limiterId, throttle: { limits: { maxInFlight: input.lane!.maxInFlight }, version: 0 } }),
    leaseMs: deps.attemptTimeoutMs + LEASE_MARGIN_MS,
  });
  // No retries here: the next attempt takes a new slot first (see round.ts).
  const { deliver } = proxyActivities<ReturnType<typeof createActivities>>({
    startToCloseTimeout: deps.attemptTimeoutMs,
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: { maximumAttempts: 1 },
  });
  return {
    run: (args: DeliverInput, round: RoundSummary): Promise<AttemptReport> =>
      deliverThrottled(args, {
        slots,
        attempt: deliver,
        onWaiting: (attempt) => {
          status.throttledSince = new Date().toISOString();
          // A round's first wait (a redelivered dead letter, say) is no longer what ended the last
          // round: it reads `scheduled` until it holds a slot, so it is not redelivered twice meanwhile.
          if (attempt === 1) deps.setState(status, 'scheduled');
        },
        onGranted: (attempt) => {
          status.throttledSince = undefined;
          if (attempt === 1) deps.setState(status, 'delivering');
        },
        onRetry: ({ report, message, delayMs }) => {
          applyAttempt(status, round, report ?? { round: round.round, attempt: round.attempts + 1, at: new Date().toISOString(), durationMs: 0, error: message });
          status.nextAttemptAt = new Date(Date.now() + delayMs).toISOString();
          deps.setState(status, 'retrying');
        },
      }).finally(() => {
        // A round superseded while it waited is no longer waiting.
        status.throttledSince = undefined;
      }),
  };
}
