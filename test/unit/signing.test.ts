import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Webhook } from 'standardwebhooks';
import {
  buildWebhookHeaders,
  computeSignature,
  generateSecret,
  isValidSecret,
  secretKey,
  signatureHeader,
} from '../../src/signing/standard-webhooks';

// The example published with Standard Webhooks / Svix, pinned so a change in either side shows up.
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  ts: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};

void test('known-answer vector matches the published value and the reference package', () => {
  const ours = computeSignature(VECTOR.secret, VECTOR.id, VECTOR.ts, VECTOR.body);
  assert.equal(ours, VECTOR.signature);
  const reference = new Webhook(VECTOR.secret).sign(VECTOR.id, new Date(VECTOR.ts * 1000), VECTOR.body);
  assert.equal(ours, reference);
});

void test('string and Buffer bodies sign identically (UTF-8)', () => {
  const secret = generateSecret();
  const body = '{"type":"café.créé","data":"☃ 𝄞"}';
  const a = computeSignature(secret, 'evt_1', 1_700_000_000, body);
  assert.equal(computeSignature(secret, 'evt_1', 1_700_000_000, Buffer.from(body)), a);
  assert.equal(a, new Webhook(secret).sign('evt_1', new Date(1_700_000_000_000), body));
});

void test('generated secrets are valid, 32 random bytes, and distinct', () => {
  const a = generateSecret();
  const b = generateSecret();
  assert.match(a, /^whsec_[A-Za-z0-9+/]{43}=$/);
  assert.equal(secretKey(a).length, 32);
  assert.ok(isValidSecret(a));
  assert.notEqual(a, b);
});

void test('rotation header carries one token per secret, in order', () => {
  const s1 = generateSecret();
  const s2 = generateSecret();
  const header = signatureHeader([s1, s2], 'evt_rot', 1_700_000_000, '{}');
  const tokens = header.split(' ');
  assert.equal(tokens.length, 2);
  assert.equal(tokens[0], computeSignature(s1, 'evt_rot', 1_700_000_000, '{}'));
  assert.equal(tokens[1], computeSignature(s2, 'evt_rot', 1_700_000_000, '{}'));
  assert.notEqual(tokens[0], tokens[1]);
  assert.throws(() => signatureHeader([], 'evt_rot', 1, '{}'), TypeError);
});

void test('buildWebhookHeaders returns exactly the contract headers', () => {
  const secret = generateSecret();
  const headers = buildWebhookHeaders({ id: 'evt_h', timestampSeconds: 1_700_000_123, body: '{"a":1}', secrets: [secret] });
  assert.deepEqual(headers, {
    'content-type': 'application/json',
    'webhook-id': 'evt_h',
    'webhook-timestamp': '1700000123',
    'webhook-signature': computeSignature(secret, 'evt_h', 1_700_000_123, '{"a":1}'),
  });
});

void test('malformed secrets are rejected without echoing the secret', () => {
  const valid = generateSecret();
  const malformed: unknown[] = [
    '',
    'whsec_',
    valid.slice(6), // no prefix
    'WHSEC_' + valid.slice(6),
    'whsec_' + Buffer.alloc(23, 1).toString('base64'), // too short
    'whsec_' + Buffer.alloc(65, 1).toString('base64'), // too long
    valid.slice(0, -1), // padding stripped
    valid.replace(/.$/, '!'),
    'whsec_' + Buffer.alloc(32, 1).toString('base64url').replace(/=+$/, '') + '-_',
    'whsec_' + Buffer.alloc(32, 1).toString('base64').replace(/.=$/, 'B='), // non-zero trailing bits
    ' ' + valid,
    42,
    null,
  ];
  for (const s of malformed) {
    assert.equal(isValidSecret(s), false, `accepted ${String(s)}`);
    assert.throws(
      () => secretKey(s as string),
      (err: unknown) => err instanceof TypeError && /invalid webhook secret/.test(err.message) && !(typeof s === 'string' && s.length > 8 && err.message.includes(s)),
    );
    assert.throws(() => computeSignature(s as string, 'evt', 1, '{}'), TypeError);
  }
  assert.ok(isValidSecret('whsec_' + Buffer.alloc(24, 7).toString('base64')));
  assert.ok(isValidSecret('whsec_' + Buffer.alloc(64, 7).toString('base64')));
});

void test('rejects ids and timestamps that would not round-trip through headers', () => {
  const secret = generateSecret();
  assert.throws(() => computeSignature(secret, '', 1, '{}'), TypeError);
  for (const ts of [-1, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 1]) {
    assert.throws(() => computeSignature(secret, 'evt', ts, '{}'), RangeError);
  }
});
