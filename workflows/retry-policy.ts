// The retry maths, in one place: Temporal's declarative policy runs the retries, and the activity and
// the workflow use the same formulas to say when the next attempt is due. Pure, so both sides and the
// unit tests share it.
import type { ActivityOptions } from '@temporalio/workflow';
import { FailureTypes, type RetryPolicyInput } from './messages';

/** Failure types that end a round at once, whichever attempt raised them. */
export const NON_RETRYABLE_TYPES: string[] = [FailureTypes.subscriptionInactive, FailureTypes.eventMissing, FailureTypes.addressRefused];

export function retryOptions(policy: RetryPolicyInput): NonNullable<ActivityOptions['retry']> {
  return {
    maximumAttempts: policy.maxAttempts,
    initialInterval: policy.initialIntervalMs,
    backoffCoefficient: policy.backoffCoefficient,
    maximumInterval: policy.maxIntervalMs,
    nonRetryableErrorTypes: NON_RETRYABLE_TYPES,
  };
}

/** The wait Temporal applies after attempt `attempt` (1-based) failed. */
export function backoffMs(policy: Omit<RetryPolicyInput, 'maxAttempts'>, attempt: number): number {
  return Math.min(policy.maxIntervalMs, policy.initialIntervalMs * policy.backoffCoefficient ** (attempt - 1));
}

/**
 * The policy for what is left after `spent` attempts: attempt k of the result is attempt k + spent of
 * the original, and waits what the original would have waited before it.
 */
export function remainingPolicy(policy: RetryPolicyInput, spent: number): RetryPolicyInput {
  return { ...policy, maxAttempts: policy.maxAttempts - spent, initialIntervalMs: backoffMs(policy, spent + 1) };
}

/** How one attempt ended, as far as retrying is concerned. */
export type AttemptVerdict = 'success' | 'retry' | 'stop';

/**
 * When the next attempt is due, or undefined when none follows: a success, a refusal to retry, or the
 * last attempt. A receiver's Retry-After replaces the policy's backoff.
 */
export function nextAttemptAt(
  policy: RetryPolicyInput,
  attempt: { number: number; verdict: AttemptVerdict; retryAfterMs?: number; nowMs: number },
): string | undefined {
  if (attempt.verdict !== 'retry' || attempt.number >= policy.maxAttempts) return undefined;
  return new Date(attempt.nowMs + (attempt.retryAfterMs ?? backoffMs(policy, attempt.number))).toISOString();
}
