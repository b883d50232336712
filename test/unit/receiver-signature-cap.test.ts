// The receiver checks at most MAX_SIGNATURES_CONSIDERED tokens of a webhook-signature header, so a
// forged request stuffed with v1a tokens cannot make it run hundreds of Ed25519 verifications.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_SIGNATURES_CONSIDERED, verifyWebhook, WebhookVerificationError } from '../../src/receiver';
import { generateSigningKey, signEd25519 } from '../../src/signing/ed25519';

const NOW_S = 1_700_000_000;
const body = JSON.stringify({ type: 'a.b', data: 1 });
const { signingKey, publicKey } = generateSigningKey();
const { signingKey: otherKey } = generateSigningKey();
const good = signEd25519(signingKey, 'msg_1', NOW_S, body);
// Well-formed signatures by another key: each one costs a full verification.
const forged = Array.from({ length: 300 }, (_, i) => signEd25519(otherKey, `msg_${i}`, NOW_S, body));

const verifyWith = (tokens: string[]) =>
  verifyWebhook(body, { 'webhook-id': 'msg_1', 'webhook-timestamp': String(NOW_S), 'webhook-signature': tokens.join(' ') }, publicKey, { now: () => NOW_S * 1000 });

void test('the valid signature among the first MAX_SIGNATURES_CONSIDERED verifies', () => {
  assert.equal(MAX_SIGNATURES_CONSIDERED, 8);
  assert.equal(verifyWith([...forged.slice(0, MAX_SIGNATURES_CONSIDERED - 1), good]).id, 'msg_1');
  // Extra spaces do not use up the allowance.
  assert.equal(verifyWith([...forged.slice(0, MAX_SIGNATURES_CONSIDERED - 1), '', '', good]).id, 'msg_1');
});

void test('tokens past the cap are not considered, whatever they hold', () => {
  assert.throws(
    () => verifyWith([...forged.slice(0, MAX_SIGNATURES_CONSIDERED), good]),
    (err: unknown) => err instanceof WebhookVerificationError && err.code === 'invalid_signature',
  );
});
