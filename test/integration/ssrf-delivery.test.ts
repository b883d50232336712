import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { insertSubscription } from '../../src/db/repos/subscriptions';
import { secretBox } from '../../src/security/secret-box';
import { newId } from '../../src/db/ids';
import { generateSecret } from '../../src/signing/standard-webhooks';
import { attemptsOf, waitForState } from '../support/engine';
import { receiverPool } from '../support/receiver';
import { startStack, type Stack } from '../support/stack';

void describe('SSRF guard at delivery time (private URLs refused, the default)', () => {
  let stack: Stack;
  const pool = receiverPool();

  before(async () => {
    stack = await startStack({ HOOKFLOW_ALLOW_PRIVATE_URLS: 'false', HOOKFLOW_RETRY_MAX_ATTEMPTS: '5' });
  });
  after(async () => {
    await stack?.stop();
    await pool.closeAll();
  });

  void test('registration refuses a loopback URL, naming body.url', async () => {
    const r = await pool.start();
    const res = await stack.call('POST', '/v1/subscriptions', { url: r.url });
    assert.equal(res.status, 400);
    assert.equal(res.body.errors[0].path, 'body.url');
    assert.match(res.body.errors[0].message, /loopback/);
  });

  void test('a hostname that later resolves to 127.0.0.1 (DNS rebinding) is refused at connect time, once, not retried', async () => {
    const r = await pool.start();
    // Stored directly, as if `localhost` had resolved to a public address when it was registered.
    const port = new URL(r.url).port;
    const id = newId('sub');
    const sub = await insertSubscription(stack.db, {
      id,
      tenantId: 'default',
      url: `http://localhost:${port}/hook`,
      eventTypes: ['ssrf.check'],
      description: null,
      secret: secretBox(stack.config).seal(generateSecret(), id),
      retryPolicy: null,
      metadata: {},
    });
    const evt = await stack.call('POST', '/v1/events', { type: 'ssrf.check', data: {} });
    assert.equal(evt.body.deliveries[0].subscriptionId, sub!.id);
    const deliveryId = evt.body.deliveries[0].id;
    const status = await waitForState(stack, deliveryId, 'dead_lettered');
    assert.equal(status.attempts, 1, 'non-retryable');
    assert.match(status.lastResponse.error, /AddressNotAllowed/);
    const [attempt] = await attemptsOf(stack, deliveryId);
    assert.equal(attempt.outcome, 'refused');
    assert.equal(attempt.errorClass, 'AddressNotAllowed');
    assert.match(attempt.errorMessage, /127\.0\.0\.1|::1/);
    assert.equal(r.received.length, 0, 'the receiver was never contacted');
  });
});
