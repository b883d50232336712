import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { bearerKeyMatcher } from '../../src/auth/api-keys';
import { deliveryIdFor, newId } from '../../src/db/ids';

void test('delivery IDs are a pure function of (event, subscription) and differ between pairs', () => {
  assert.equal(deliveryIdFor('evt_1', 'sub_1'), deliveryIdFor('evt_1', 'sub_1'));
  assert.match(deliveryIdFor('evt_1', 'sub_1'), /^dlv_[0-9a-z]{26}$/);
  fc.assert(
    fc.property(fc.string(), fc.string(), fc.string(), (e, s1, s2) => {
      fc.pre(s1 !== s2);
      return deliveryIdFor(e, s1) !== deliveryIdFor(e, s2);
    }),
  );
  // The separator keeps ("ab","c") and ("a","bc") apart.
  assert.notEqual(deliveryIdFor('ab', 'c'), deliveryIdFor('a', 'bc'));
});

void test('new IDs are prefixed, unique and sort by creation time', async () => {
  const a = newId('evt');
  await new Promise((r) => setTimeout(r, 2));
  const b = newId('evt');
  assert.match(a, /^evt_[0-9a-z]{26}$/);
  assert.ok(a < b);
  assert.equal(new Set(Array.from({ length: 1000 }, () => newId('sub'))).size, 1000);
});

void test('bearer keys: exact match only, any configured key, case-insensitive scheme', () => {
  const matches = bearerKeyMatcher(['key-one-0123456789', 'key-two-0123456789']);
  assert.equal(matches('Bearer key-one-0123456789')?.key, 'key-one-0123456789');
  assert.equal(matches('bearer key-two-0123456789')?.key, 'key-two-0123456789');
  for (const bad of [undefined, '', 'Bearer', 'Bearer key-one-012345678', 'Bearer key-one-0123456789x', 'Basic key-one-0123456789', 'key-one-0123456789']) {
    assert.equal(matches(bad), undefined, String(bad));
  }
  assert.equal(bearerKeyMatcher([])('Bearer anything-at-all-here'), undefined, 'no keys configured: nothing passes');
});
