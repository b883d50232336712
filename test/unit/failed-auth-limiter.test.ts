// The per-address window of failed authentications, with a clock of the test's own.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FailedAuthLimiter } from '../../src/auth/failed-auth-limiter';

void test('an address is refused after max failures until its window ends; other addresses are not', () => {
  let now = 1_000_000;
  const limiter = new FailedAuthLimiter({ max: 3, windowMs: 60_000, label: '1m' }, 100, () => now);
  for (let i = 0; i < 3; i++) {
    assert.equal(limiter.retryAfterMs('10.0.0.1'), 0);
    limiter.failed('10.0.0.1');
    now += 1_000;
  }
  assert.equal(limiter.retryAfterMs('10.0.0.1'), 57_000);
  assert.equal(limiter.retryAfterMs('10.0.0.2'), 0);
  now += 57_000;
  assert.equal(limiter.retryAfterMs('10.0.0.1'), 0, 'a new window');
  limiter.failed('10.0.0.1');
  assert.equal(limiter.retryAfterMs('10.0.0.1'), 0, 'one failure in the new window');
});

void test('off means never refused; capacity forgets the least recently failing address first', () => {
  const off = new FailedAuthLimiter({ windowMs: 1_000, label: 'off' });
  for (let i = 0; i < 1_000; i++) off.failed('a');
  assert.equal(off.retryAfterMs('a'), 0);

  const small = new FailedAuthLimiter({ max: 1, windowMs: 60_000, label: '1m' }, 2, () => 0);
  small.failed('a');
  small.failed('b');
  small.failed('a');
  small.failed('c');
  assert.ok(small.retryAfterMs('a') > 0);
  assert.equal(small.retryAfterMs('b'), 0, 'b was forgotten');
  assert.ok(small.retryAfterMs('c') > 0);
});
