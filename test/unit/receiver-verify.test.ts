import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildWebhookHeaders, computeSignature, generateSecret } from '../../src/signing/standard-webhooks';
import { verifyWebhook, WebhookVerificationError, type WebhookVerificationErrorCode } from '../../src/receiver';

const NOW_S = 1_700_000_000;
const now = (): number => NOW_S * 1000 + 999; // sub-second part must be ignored
const SECRET = generateSecret();
const BODY = JSON.stringify({ type: 'invoice.paid', timestamp: '2023-11-14T22:13:20Z', data: { amount: 42 } });

function signed(overrides: { id?: string; ts?: number; body?: string; secrets?: string[] } = {}) {
  const body = overrides.body ?? BODY;
  const headers = buildWebhookHeaders({
    id: overrides.id ?? 'evt_1',
    timestampSeconds: overrides.ts ?? NOW_S,
    body,
    secrets: overrides.secrets ?? [SECRET],
  });
  return { body, headers };
}

function rejects(fn: () => unknown, code: WebhookVerificationErrorCode): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof WebhookVerificationError, `expected WebhookVerificationError, got ${String(err)}`);
    assert.equal(err.code, code);
    return true;
  });
}

void test('valid webhook yields the parsed event', () => {
  const { body, headers } = signed();
  const event = verifyWebhook(body, headers, SECRET, { now });
  assert.deepEqual(event, {
    id: 'evt_1',
    timestamp: new Date(NOW_S * 1000),
    type: 'invoice.paid',
    data: { amount: 42 },
    payloadTimestamp: '2023-11-14T22:13:20Z',
    raw: body,
  });
  assert.deepEqual(verifyWebhook(Buffer.from(body), headers, SECRET, { now }), event);
});

void test('header lookup is case-insensitive and accepts Headers, arrays and svix- names', () => {
  const { body, headers } = signed();
  const upper = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toUpperCase(), v]));
  assert.equal(verifyWebhook(body, upper, SECRET, { now }).id, 'evt_1');
  assert.equal(verifyWebhook(body, new Headers(headers), SECRET, { now }).id, 'evt_1');
  const arrays = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]]));
  assert.equal(verifyWebhook(body, arrays, SECRET, { now }).id, 'evt_1');
  const svix = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.replace('webhook-', 'svix-'), v]));
  assert.equal(verifyWebhook(body, svix, SECRET, { now }).id, 'evt_1');
});

void test('missing_header for each absent, empty or ambiguous header', () => {
  const { body, headers } = signed();
  for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) {
    rejects(() => verifyWebhook(body, { ...headers, [name]: undefined }, SECRET, { now }), 'missing_header');
    rejects(() => verifyWebhook(body, { ...headers, [name]: '' }, SECRET, { now }), 'missing_header');
  }
  rejects(() => verifyWebhook(body, { ...headers, 'webhook-id': ['evt_1', 'evt_2'] }, SECRET, { now }), 'missing_header');
  rejects(() => verifyWebhook(body, {}, SECRET, { now }), 'missing_header');
});

void test('invalid_timestamp for non-canonical values', () => {
  const { body, headers } = signed();
  for (const ts of ['abc', '1700000000.5', '-1700000000', '+1700000000', ' 1700000000', '01700000000', '1e9', '9'.repeat(16)]) {
    rejects(() => verifyWebhook(body, { ...headers, 'webhook-timestamp': ts }, SECRET, { now }), 'invalid_timestamp');
  }
});

void test('tolerance window is inclusive on both sides', () => {
  for (const offset of [-300, 300, 0]) {
    const { body, headers } = signed({ ts: NOW_S + offset });
    assert.equal(verifyWebhook(body, headers, SECRET, { now }).id, 'evt_1');
  }
  for (const offset of [-301, 301, -86_400]) {
    const { body, headers } = signed({ ts: NOW_S + offset });
    rejects(() => verifyWebhook(body, headers, SECRET, { now }), 'timestamp_out_of_tolerance');
  }
  const { body, headers } = signed({ ts: NOW_S - 30 });
  rejects(() => verifyWebhook(body, headers, SECRET, { now, toleranceSeconds: 10 }), 'timestamp_out_of_tolerance');
  assert.equal(verifyWebhook(body, headers, SECRET, { now, toleranceSeconds: 30 }).id, 'evt_1');
});

void test('no_supported_signature when no token is v1; unknown versions are skipped', () => {
  const { body, headers } = signed();
  const token = headers['webhook-signature']!;
  const other = token.replace(/^v1,/, 'v1a,');
  rejects(() => verifyWebhook(body, { ...headers, 'webhook-signature': other }, SECRET, { now }), 'no_supported_signature');
  rejects(() => verifyWebhook(body, { ...headers, 'webhook-signature': 'garbage' }, SECRET, { now }), 'no_supported_signature');
  assert.equal(verifyWebhook(body, { ...headers, 'webhook-signature': `${other} ${token}` }, SECRET, { now }).id, 'evt_1');
});

void test('invalid_signature for wrong secret, tampered body, or bad token', () => {
  const { body, headers } = signed();
  rejects(() => verifyWebhook(body, headers, generateSecret(), { now }), 'invalid_signature');
  rejects(() => verifyWebhook(body.replace('42', '43'), headers, SECRET, { now }), 'invalid_signature');
  rejects(() => verifyWebhook(body, { ...headers, 'webhook-id': 'evt_2' }, SECRET, { now }), 'invalid_signature');
  rejects(() => verifyWebhook(body, { ...headers, 'webhook-signature': 'v1,' }, SECRET, { now }), 'invalid_signature');
  rejects(() => verifyWebhook(body, { ...headers, 'webhook-signature': 'v1,AAAA' }, SECRET, { now }), 'invalid_signature');
});

void test('any of several secrets verifies (receiver mid-rotation)', () => {
  const oldSecret = generateSecret();
  const { body, headers } = signed({ secrets: [oldSecret] });
  assert.equal(verifyWebhook(body, headers, [SECRET, oldSecret], { now }).id, 'evt_1');
  rejects(() => verifyWebhook(body, headers, [SECRET, generateSecret()], { now }), 'invalid_signature');
});

void test('any of several signatures verifies (sender mid-rotation)', () => {
  const newSecret = generateSecret();
  const { body, headers } = signed({ secrets: [generateSecret(), newSecret] });
  assert.equal(headers['webhook-signature']!.split(' ').length, 2);
  assert.equal(verifyWebhook(body, headers, newSecret, { now }).id, 'evt_1');
  // Repeated signature headers are equivalent to one space-separated header.
  const [a, b] = headers['webhook-signature']!.split(' ');
  assert.equal(verifyWebhook(body, { ...headers, 'webhook-signature': [a!, b!] }, newSecret, { now }).id, 'evt_1');
});

void test('invalid_payload only after the signature checks out', () => {
  for (const raw of ['not json', '[1,2]', 'null', '{"data":1}', '{"type":""}', '{"type":"x","timestamp":5}', '']) {
    const { body, headers } = signed({ body: raw });
    rejects(() => verifyWebhook(body, headers, SECRET, { now }), 'invalid_payload');
    rejects(() => verifyWebhook(body, headers, generateSecret(), { now }), 'invalid_signature');
  }
  // Invalid UTF-8 is signed byte-exactly but is not JSON text.
  const bytes = Buffer.from([0x7b, 0xff, 0x7d]);
  const headers = { 'webhook-id': 'evt_b', 'webhook-timestamp': String(NOW_S), 'webhook-signature': computeSignature(SECRET, 'evt_b', NOW_S, bytes) };
  rejects(() => verifyWebhook(bytes, headers, SECRET, { now }), 'invalid_payload');
  const minimal = signed({ body: '{"type":"ping"}' });
  const event = verifyWebhook(minimal.body, minimal.headers, SECRET, { now });
  assert.equal(event.data, undefined);
  assert.equal('payloadTimestamp' in event, false);
});

void test('invalid_secret for malformed or empty secret configuration', () => {
  const { body, headers } = signed();
  rejects(() => verifyWebhook(body, headers, 'not-a-secret', { now }), 'invalid_secret');
  rejects(() => verifyWebhook(body, headers, [], { now }), 'invalid_secret');
  rejects(() => verifyWebhook(body, headers, [SECRET, 'whsec_x'], { now }), 'invalid_secret');
});

void test('WebhookVerificationError is a proper Error subclass', () => {
  const err = new WebhookVerificationError('invalid_signature');
  assert.ok(err instanceof Error);
  assert.equal(err.name, 'WebhookVerificationError');
  assert.equal(err.code, 'invalid_signature');
});
