// A round of a throttled delivery: every attempt, retries included, first takes a slot from the
// endpoint's limiter, so the endpoint's limits hold for retries too. Waiting for a slot is not an
// attempt: the attempt number, the backoff between attempts and maxAttempts are those of the
// declared retry policy, computed by the same functions as the local first attempt's hand-over.
import { ApplicationFailure, sleep } from '@temporalio/workflow';
import { afterLocalFailure, attemptFailureCause, type AttemptFailure } from '../local-first-attempt';
import type { AttemptReport, DeliverInput } from '../messages';
import { remainingPolicy } from '../retry-policy';
import { SLOT_MISSED } from './messages';
import type { EndpointSlots } from './slot';

// Missed rate slots in a row after which the attempt goes out at once: a bound, so a delivery on a
// worker too slow to meet any slot is still delivered (the limiter has pushed its slots out meanwhile).
const MAX_MISSES = 10;

export interface ThrottledRoundDeps {
  slots: EndpointSlots;
  /** One attempt as a regular activity with no retries of its own. */
  attempt: (input: DeliverInput) => Promise<AttemptReport>;
  /** Called before asking for a slot, and once it is granted: the workflow shows the wait. */
  onWaiting: (attempt: number) => void;
  onGranted: (attempt: number) => void;
  /** Called after a failed attempt that another will follow. */
  onRetry: (failure: Extract<AttemptFailure, { retry: true }>) => void;
}

export async function deliverThrottled(input: DeliverInput, deps: ThrottledRoundDeps): Promise<AttemptReport> {
  const maxAttempts = input.retryPolicy.maxAttempts;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    deps.onWaiting(attempt);
    let grant = await deps.slots.acquire(input.round, attempt);
    deps.onGranted(attempt);
    let failure: Extract<AttemptFailure, { retry: true }> | undefined;
    try {
      for (let misses = 0; ; misses++) {
        try {
          const slot = misses < MAX_MISSES ? grant.slot : undefined;
          return await deps.attempt({ ...input, attemptOffset: attempt - 1, ...(slot ? { slot } : {}) });
        } catch (err) {
          const startedAt = missedAt(err);
          if (startedAt === undefined) throw err;
          grant = await deps.slots.missed(grant, startedAt);
        }
      }
    } catch (err) {
      // The policy of what is left after this attempt: retry only if it allows another.
      const next = afterLocalFailure(err, remainingPolicy(input.retryPolicy, attempt - 1), Date.now());
      if (!next.retry) throw err;
      failure = next;
    } finally {
      await deps.slots.release(grant.requestId);
    }
    deps.onRetry(failure);
    await sleep(failure.delayMs);
  }
  // Unreachable: the last attempt's failure is thrown above.
  throw ApplicationFailure.nonRetryable('no attempts left');
}

/** When an attempt that sent nothing because it missed its rate slot started; undefined for any other failure. */
function missedAt(err: unknown): number | undefined {
  const cause = attemptFailureCause(err);
  if (!(cause instanceof ApplicationFailure) || cause.type !== SLOT_MISSED) return undefined;
  const startedAt = (cause.details?.[0] as { startedAt?: number } | undefined)?.startedAt;
  return typeof startedAt === 'number' ? startedAt : Date.now();
}
