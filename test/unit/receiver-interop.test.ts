import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Webhook, WebhookVerificationError as RefVerificationError } from 'standardwebhooks';
import { buildWebhookHeaders, generateSecret } from '../../src/signing/standard-webhooks';
import { verifyWebhook, WebhookVerificationError } from '../../src/receiver';

// The reference library always checks against the real clock.
const nowSeconds = (): number => Math.floor(Date.now() / 1000);
const payloadArb = fc.record({ type: fc.string({ minLength: 1, unit: 'binary' }), data: fc.jsonValue() });
const idArb = fc.string({ minLength: 1, maxLength: 64 });

void test('our headers verify with standardwebhooks Webhook.verify', () => {
  fc.assert(
    fc.property(idArb, payloadArb, (id, payload) => {
      const secret = generateSecret();
      const body = JSON.stringify(payload);
      const headers = buildWebhookHeaders({ id, timestampSeconds: nowSeconds(), body, secrets: [secret] });
      assert.deepEqual(new Webhook(secret).verify(body, headers), JSON.parse(body));
      assert.deepEqual(new Webhook(secret).verify(Buffer.from(body), headers), JSON.parse(body));
    }),
    { numRuns: 200 },
  );
});

void test('our rotation header verifies with either secret in the reference library, not a third', () => {
  const [oldSecret, newSecret] = [generateSecret(), generateSecret()];
  const body = '{"type":"rotated","data":{}}';
  const headers = buildWebhookHeaders({ id: 'evt_rot', timestampSeconds: nowSeconds(), body, secrets: [oldSecret, newSecret] });
  assert.deepEqual(new Webhook(oldSecret).verify(body, headers), JSON.parse(body));
  assert.deepEqual(new Webhook(newSecret).verify(body, headers), JSON.parse(body));
  assert.throws(() => new Webhook(generateSecret()).verify(body, headers), RefVerificationError);
});

void test('standardwebhooks sign() output verifies with verifyWebhook', () => {
  fc.assert(
    fc.property(idArb, payloadArb, (id, payload) => {
      const secret = generateSecret();
      const body = JSON.stringify(payload);
      const ts = nowSeconds();
      const signature = new Webhook(secret).sign(id, new Date(ts * 1000), body);
      const headers = { 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': signature };
      const event = verifyWebhook(body, headers, secret);
      assert.equal(event.id, id);
      assert.equal(event.type, payload.type);
      assert.deepEqual(event.data, (JSON.parse(body) as { data: unknown }).data);
      assert.throws(() => verifyWebhook(body, headers, generateSecret()), WebhookVerificationError);
    }),
    { numRuns: 200 },
  );
});

void test('both libraries reject each other\'s signatures under the wrong secret', () => {
  const body = '{"type":"x","data":1}';
  const ts = nowSeconds();
  const foreign = new Webhook(generateSecret()).sign('evt_x', new Date(ts * 1000), body);
  assert.throws(
    () => verifyWebhook(body, { 'webhook-id': 'evt_x', 'webhook-timestamp': String(ts), 'webhook-signature': foreign }, generateSecret()),
    (err: unknown) => err instanceof WebhookVerificationError && err.code === 'invalid_signature',
  );
  const ours = buildWebhookHeaders({ id: 'evt_x', timestampSeconds: ts, body, secrets: [generateSecret()] });
  assert.throws(() => new Webhook(generateSecret()).verify(body, ours), RefVerificationError);
});
