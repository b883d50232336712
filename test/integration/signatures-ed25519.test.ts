// A subscription that chooses `"signature": "ed25519"`: hookflow keeps the private key, hands out a
// whpk_ public key, and signs `v1a,`. Each delivery is checked by tweetnacl (an independent Ed25519)
// and by our receiver library; a one-byte change of the body fails both.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { verifyWebhook, WebhookVerificationError } from '../../src/receiver';
import { assertProblem } from '../support/api';
import { naclVerifies } from '../support/ed25519';
import { sendEvent, subscribe } from '../support/engine';
import { receiverPool } from '../support/receiver';
import { startStack, waitFor, type Stack } from '../support/stack';

void describe('Ed25519 (v1a) subscriptions', () => {
  const pool = receiverPool();
  let stack: Stack;

  before(async () => {
    stack = await startStack();
  });
  after(async () => {
    await stack?.stop();
    await pool.closeAll();
  });

  void test('creation returns a whpk_ public key and no secret; GET .../secret gives the public key; a secret cannot be chosen', async () => {
    const r = await pool.start();
    const res = await stack.call('POST', '/v1/subscriptions', { url: r.url, eventTypes: ['ed.a'], signature: 'ed25519' });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.signature, 'ed25519');
    assert.match(res.body.publicKey, /^whpk_[A-Za-z0-9+/]{43}=$/);
    assert.equal('secret' in res.body, false, 'the private key never leaves hookflow');
    assert.deepEqual((await stack.call('GET', `/v1/subscriptions/${res.body.id}/secret`)).body, { publicKey: res.body.publicKey });
    assert.equal((await stack.call('GET', `/v1/subscriptions/${res.body.id}`)).body.publicKey, res.body.publicKey);

    const hmac = await stack.call('POST', '/v1/subscriptions', { url: r.url, eventTypes: ['ed.b'] });
    assert.equal(hmac.body.signature, 'hmac-sha256');
    assert.equal(hmac.body.publicKey, null);
    assertProblem(
      await stack.call('POST', '/v1/subscriptions', { url: r.url, signature: 'ed25519', secret: hmac.body.secret }),
      400,
      ['body.secret'],
    );
    assertProblem(await stack.call('POST', '/v1/subscriptions', { url: r.url, signature: 'rsa' }), 400, ['body.signature']);
  });

  void test('deliveries carry v1a and verify with tweetnacl and with hookflow/receiver; one byte changed fails both', async () => {
    const r = await pool.start();
    const sub = await subscribe(stack, r, { signature: 'ed25519' });
    await sendEvent(stack, sub.eventType, { invoice: 'in_1', amount: 4200 });
    const got = await waitFor(() => r.received[0], 'the delivery');
    const signature = got.headers['webhook-signature'] as string;
    assert.match(signature, /^v1a,[A-Za-z0-9+/]{86}==$/);
    assert.equal(got.verified, true, got.verifyError);
    assert.equal(naclVerifies(sub.publicKey!, got.headers, got.body), true);
    assert.equal(verifyWebhook(got.body, got.headers as Record<string, string>, sub.publicKey!).type, sub.eventType);

    const tampered = Buffer.from(got.body);
    tampered[tampered.indexOf('4200') + 1] = '3'.charCodeAt(0);
    assert.equal(naclVerifies(sub.publicKey!, got.headers, tampered), false);
    assert.throws(
      () => verifyWebhook(tampered, got.headers, sub.publicKey!),
      (e: unknown) => e instanceof WebhookVerificationError && e.code === 'invalid_signature',
    );
  });

  void test('rotation: during the grace window requests carry v1a by the old and by the new key', async () => {
    const r = await pool.start();
    const sub = await subscribe(stack, r, { signature: 'ed25519' });
    const rotated = await stack.call('POST', `/v1/subscriptions/${sub.id}/secret/rotate`, { graceSeconds: 3600 });
    assert.equal(rotated.status, 200);
    assert.deepEqual(Object.keys(rotated.body), ['publicKey']);
    assert.notEqual(rotated.body.publicKey, sub.publicKey);
    await sendEvent(stack, sub.eventType);
    const got = await waitFor(() => r.received[0], 'the delivery');
    const tokens = (got.headers['webhook-signature'] as string).split(' ');
    assert.equal(tokens.length, 2);
    assert.ok(tokens.every((t) => t.startsWith('v1a,')));
    for (const key of [sub.publicKey!, rotated.body.publicKey as string]) assert.equal(naclVerifies(key, got.headers, got.body), true, key);

    await stack.call('POST', `/v1/subscriptions/${sub.id}/secret/rotate`, { graceSeconds: 0 });
    const latest = (await stack.call('GET', `/v1/subscriptions/${sub.id}/secret`)).body.publicKey as string;
    await sendEvent(stack, sub.eventType);
    const after = await waitFor(() => r.received[1], 'the second delivery');
    assert.equal((after.headers['webhook-signature'] as string).split(' ').length, 1, 'no grace: one signature');
    assert.equal(naclVerifies(latest, after.headers, after.body), true);
    assert.equal(naclVerifies(sub.publicKey!, after.headers, after.body), false);
  });
});
