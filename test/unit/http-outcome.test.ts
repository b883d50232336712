import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { classifyResponse, parseRetryAfter, RETRY_AFTER_MAX_MS, RETRY_AFTER_MIN_MS } from '../../activities/http-outcome';
import { backoffMs } from '../../workflows/retry-policy';

const NOW = Date.parse('2026-11-22T12:00:00Z');

void test('2xx succeed; 410 stops and disables; other 4xx stop; 408/425/429 retry', () => {
  for (const s of [200, 201, 204, 299]) assert.equal(classifyResponse(s, undefined, NOW).kind, 'success');
  assert.deepEqual(classifyResponse(410, undefined, NOW), {
    kind: 'stop',
    reason: 'endpoint answered 410 Gone; subscription disabled',
    disableSubscription: true,
  });
  for (const s of [400, 401, 403, 404, 405, 409, 413, 422, 451]) {
    const v = classifyResponse(s, undefined, NOW);
    assert.equal(v.kind, 'stop', `${s}`);
    assert.equal(v.kind === 'stop' && v.disableSubscription, false);
  }
  for (const s of [408, 425, 429, 500, 501, 502, 503, 504, 599, 301, 302, 307, 308]) {
    assert.equal(classifyResponse(s, undefined, NOW).kind, 'retry', `${s}`);
  }
});

void test('Retry-After is honoured only on 429, 502, 503 and 504, and clamped', () => {
  assert.deepEqual(classifyResponse(429, '2', NOW), { kind: 'retry', reason: 'endpoint answered 429', retryAfterMs: 2_000 });
  for (const s of [502, 503, 504]) {
    const v = classifyResponse(s, '10', NOW);
    assert.equal(v.kind === 'retry' && v.retryAfterMs, 10_000);
  }
  for (const s of [500, 408]) {
    const v = classifyResponse(s, '10', NOW);
    assert.equal(v.kind === 'retry' && v.retryAfterMs, undefined, `${s} ignores Retry-After`);
  }
  const zero = classifyResponse(429, '0', NOW);
  assert.equal(zero.kind === 'retry' && zero.retryAfterMs, RETRY_AFTER_MIN_MS);
  const huge = classifyResponse(503, '999999', NOW);
  assert.equal(huge.kind === 'retry' && huge.retryAfterMs, RETRY_AFTER_MAX_MS);
});

void test('parseRetryAfter reads delay-seconds and HTTP-dates and ignores junk', () => {
  assert.equal(parseRetryAfter('120', NOW), 120_000);
  assert.equal(parseRetryAfter(' 3 ', NOW), 3_000);
  assert.equal(parseRetryAfter(new Date(NOW + 5_000).toUTCString(), NOW), 5_000);
  assert.equal(parseRetryAfter(new Date(NOW - 5_000).toUTCString(), NOW), 0);
  for (const junk of [undefined, '', '-1', '1.5', 'soon', '2026-11-22T12:00:05Z', 'Sun, 22 Nov 2026', '12abc']) {
    assert.equal(parseRetryAfter(junk, NOW), undefined, String(junk));
  }
  fc.assert(
    fc.property(fc.string(), (s) => {
      const v = parseRetryAfter(s, NOW);
      return v === undefined || (Number.isFinite(v) && v >= 0);
    }),
  );
});

void test('backoff mirrors Temporal: initial × coefficient^(n-1), capped', () => {
  const policy = { initialIntervalMs: 5_000, backoffCoefficient: 3, maxIntervalMs: 7_200_000 };
  assert.deepEqual([1, 2, 3, 4].map((n) => backoffMs(policy, n)), [5_000, 15_000, 45_000, 135_000]);
  assert.equal(backoffMs(policy, 20), 7_200_000);
});
