// The first attempt of a delivery runs as a local activity: no activity task to schedule, match,
// start and complete, which measured as a third of the Temporal server's CPU per delivery. Anything
// but a success falls back to the regular activity, under the same retry policy shifted by the one
// attempt already spent, so attempt numbers, backoff and maxAttempts stay exactly as declared.
import { ActivityFailure, ApplicationFailure, TemporalFailure, isCancellation, sleep } from '@temporalio/workflow';
import type { AttemptReport, DeliverInput, RetryPolicyInput } from './messages';
import { NON_RETRYABLE_TYPES, backoffMs } from './retry-policy';

export type AttemptFailure =
  | { retry: false }
  /** `report` is absent when the attempt ended without one: our database was down, or it timed out as a whole. */
  | { retry: true; report?: AttemptReport; message: string; delayMs: number };

/**
 * Whether a failed local first attempt should go on to the regular activity, and after how long.
 * The report's `nextAttemptAt` already holds a receiver's Retry-After or the policy's backoff.
 */
export function afterLocalFailure(err: unknown, policy: RetryPolicyInput, nowMs: number): AttemptFailure {
  if (policy.maxAttempts <= 1 || isCancellation(err) || !(err instanceof TemporalFailure)) return { retry: false };
  const cause = attemptFailureCause(err);
  if (cause instanceof ApplicationFailure) {
    if (cause.nonRetryable || (cause.type && NON_RETRYABLE_TYPES.includes(cause.type))) return { retry: false };
    const report = cause.details?.[0] as AttemptReport | undefined;
    const at = report?.nextAttemptAt ? Date.parse(report.nextAttemptAt) : NaN;
    const delayMs = Number.isFinite(at) ? Math.max(0, at - nowMs) : backoffMs(policy, 1);
    return { retry: true, report, message: cause.message, delayMs };
  }
  return { retry: true, message: (cause ?? err).message, delayMs: backoffMs(policy, 1) };
}

/**
 * What the attempt itself raised. A regular activity's failure arrives wrapped in an ActivityFailure;
 * a local activity's arrives as the activity's own failure.
 */
export function attemptFailureCause(err: unknown): Error | undefined {
  if (err instanceof ActivityFailure) return err.cause;
  return err instanceof TemporalFailure ? err : undefined;
}

export interface LocalFirstDeps {
  local: (input: DeliverInput) => Promise<AttemptReport>;
  regular: (input: DeliverInput) => Promise<AttemptReport>;
  /** Called once the first attempt failed and a retry is coming: the workflow records it. */
  onRetry: (failure: Extract<AttemptFailure, { retry: true }>) => void;
}

/** One round that starts locally. Runs inside the round's cancellation scope, so the wait is cancellable too. */
export async function deliverLocalFirst(input: DeliverInput, deps: LocalFirstDeps): Promise<AttemptReport> {
  let failure: Extract<AttemptFailure, { retry: true }>;
  try {
    return await deps.local(input);
  } catch (err) {
    const next = afterLocalFailure(err, input.retryPolicy, Date.now());
    if (!next.retry) throw err;
    failure = next;
  }
  deps.onRetry(failure);
  await sleep(failure.delayMs);
  return deps.regular({ ...input, attemptOffset: 1 });
}
