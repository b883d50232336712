import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ActivityFailure, ApplicationFailure, CancelledFailure, RetryState, TimeoutFailure, TimeoutType } from '@temporalio/common';
import fc from 'fast-check';
import { afterLocalFailure, attemptFailureCause } from '../../workflows/local-first-attempt';
import { FailureTypes, type AttemptReport } from '../../workflows/messages';
import { backoffMs, remainingPolicy } from '../../workflows/retry-policy';

const policy = { maxAttempts: 5, initialIntervalMs: 1_000, backoffCoefficient: 3, maxIntervalMs: 20_000 };
const NOW = Date.parse('2026-11-24T12:00:00Z');

const arbPolicy = fc.record({
  maxAttempts: fc.integer({ min: 2, max: 20 }),
  initialIntervalMs: fc.integer({ min: 1, max: 60_000 }),
  backoffCoefficient: fc.double({ min: 1, max: 10, noNaN: true }),
  maxIntervalMs: fc.integer({ min: 60_000, max: 86_400_000 }),
});

void test('the remaining policy waits before each attempt exactly what the declared one would', () => {
  fc.assert(
    fc.property(arbPolicy, fc.integer({ min: 1, max: 18 }), (p, k) => {
      fc.pre(k < p.maxAttempts);
      const rest = remainingPolicy(p, 1);
      // Temporal waits initial * coef^(k-1) after attempt k of the remaining policy, which is attempt k+1 overall.
      const temporalWait = Math.min(rest.maxIntervalMs, rest.initialIntervalMs * rest.backoffCoefficient ** (k - 1));
      assert.ok(Math.abs(temporalWait - backoffMs(p, k + 1)) <= 1e-6 * backoffMs(p, k + 1));
      assert.equal(rest.maxAttempts, p.maxAttempts - 1);
    }),
  );
});

void test('backoffMs(1) is the wait after the first attempt', () => {
  assert.equal(backoffMs(policy, 1), 1_000);
  assert.equal(backoffMs(policy, 2), 3_000);
  assert.equal(backoffMs(policy, 5), 20_000, 'capped at maxIntervalMs');
});

const report = (extra: Partial<AttemptReport> = {}): AttemptReport => ({ round: 1, attempt: 1, at: new Date(NOW).toISOString(), durationMs: 5, ...extra });
const appFailure = (type: string, nonRetryable: boolean, details: unknown[] = []) =>
  ApplicationFailure.create({ message: `failed: ${type}`, type, nonRetryable, details });

void test('a retryable first-attempt failure waits until the report says, e.g. for Retry-After', () => {
  const at = new Date(NOW + 7_000).toISOString();
  const out = afterLocalFailure(appFailure(FailureTypes.http, false, [report({ statusCode: 429, nextAttemptAt: at })]), policy, NOW);
  assert.deepEqual(out, { retry: true, report: report({ statusCode: 429, nextAttemptAt: at }), message: 'failed: HttpError', delayMs: 7_000 });
});

void test('without a report (our database was down) the policy decides the wait', () => {
  const out = afterLocalFailure(appFailure(FailureTypes.databaseUnavailable, false), policy, NOW);
  assert.equal(out.retry && out.delayMs, 1_000);
  assert.equal(out.retry && out.report, undefined);
  const timedOut = afterLocalFailure(new TimeoutFailure('local activity timed out', undefined, TimeoutType.START_TO_CLOSE), policy, NOW);
  assert.equal(timedOut.retry && timedOut.delayMs, 1_000);
});

void test('non-retryable failures, cancellation and a one-attempt policy end the round at once', () => {
  assert.equal(afterLocalFailure(appFailure(FailureTypes.http, true, [report({ statusCode: 400 })]), policy, NOW).retry, false);
  for (const t of [FailureTypes.subscriptionInactive, FailureTypes.eventMissing, FailureTypes.addressRefused]) {
    assert.equal(afterLocalFailure(appFailure(t, false), policy, NOW).retry, false, t);
  }
  assert.equal(afterLocalFailure(new CancelledFailure('cancelled'), policy, NOW).retry, false);
  assert.equal(afterLocalFailure(appFailure(FailureTypes.http, false, [report()]), { ...policy, maxAttempts: 1 }, NOW).retry, false);
  assert.equal(afterLocalFailure(new Error('not a Temporal failure'), policy, NOW).retry, false);
});

void test('the attempt cause is unwrapped from a regular activity failure and taken as is from a local one', () => {
  const cause = appFailure(FailureTypes.http, false);
  const wrapped = new ActivityFailure('activity failed', 'deliver', '1', RetryState.MAXIMUM_ATTEMPTS_REACHED, undefined, cause);
  assert.equal(attemptFailureCause(wrapped), cause);
  assert.equal(attemptFailureCause(cause), cause);
  assert.equal(attemptFailureCause(new Error('plain')), undefined);
});
