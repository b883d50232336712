import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Worker } from '@temporalio/worker';
import { startReceiver, type Receiver } from '../support/receiver';
import { startStack, waitFor, type Stack } from '../support/stack';

void describe('foundation: the thinnest complete path on real Temporal, PostgreSQL and HTTP', () => {
  let stack: Stack;
  let receiver: Receiver;

  before(async () => {
    stack = await startStack();
    receiver = await startReceiver();
  });
  after(async () => {
    await stack?.stop();
    await receiver?.close();
  });

  void test('subscription → event → one signed delivery, received once and verified by standardwebhooks', async () => {
    const sub = await stack.call('POST', '/v1/subscriptions', { url: receiver.url, eventTypes: ['order.created'] });
    assert.equal(sub.status, 201, JSON.stringify(sub.body));
    assert.match(sub.body.secret, /^whsec_[A-Za-z0-9+/]+=*$/);
    receiver.secrets = [sub.body.secret];

    const evt = await stack.call('POST', '/v1/events', { type: 'order.created', data: { orderId: 7, total: '12.50' } });
    assert.equal(evt.status, 202, JSON.stringify(evt.body));
    assert.equal(evt.body.deliveries.length, 1);
    const deliveryId: string = evt.body.deliveries[0].id;

    const status = await waitFor(async () => {
      const r = await stack.call('GET', `/v1/deliveries/${deliveryId}`);
      return r.status === 200 && r.body.state === 'succeeded' ? r.body : undefined;
    }, 'delivery to succeed');
    assert.equal(status.attempts, 1);
    assert.equal(status.lastResponse.statusCode, 200);

    assert.equal(receiver.received.length, 1, 'received exactly once');
    const got = receiver.received[0]!;
    assert.equal(got.verified, true, got.verifyError);
    assert.equal(got.headers['webhook-id'], evt.body.id);
    assert.equal(got.headers['content-type'], 'application/json');
    assert.deepEqual(got.payload?.data, { orderId: 7, total: '12.50' });
    assert.equal(got.payload?.type, 'order.created');
    assert.equal(got.payload?.timestamp, evt.body.createdAt);

    // The workflow ID is the delivery ID: Temporal itself knows it by that name.
    const described = await stack.temporal.client.workflow.getHandle(deliveryId).describe();
    assert.equal(described.workflowId, deliveryId);
    assert.equal(described.type, 'deliveryWorkflow');
  });

  void test('a /v1 request without an API key gets 401 problem+json', async () => {
    for (const auth of [undefined, 'Bearer wrong-key-0123456789', 'Basic abc']) {
      const res = await fetch(`${stack.url}/v1/subscriptions`, { headers: auth ? { authorization: auth } : {} });
      assert.equal(res.status, 401);
      assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/);
      const body = (await res.json()) as { status: number; title: string };
      assert.equal(body.status, 401);
    }
  });

  void test('a malformed body gets 400 naming the field', async () => {
    const res = await stack.call('POST', '/v1/subscriptions', { url: 'not a url', eventTypes: ['ok'] });
    assert.equal(res.status, 400);
    assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/);
    assert.deepEqual(
      res.body.errors.map((e: { path: string }) => e.path),
      ['body.url'],
    );
    const evt = await stack.call('POST', '/v1/events', { type: 'order.created' });
    assert.equal(evt.status, 400);
    assert.ok(evt.body.errors.some((e: { path: string }) => e.path === 'body.data'), JSON.stringify(evt.body));
  });

  void test('replay: the recorded history of a finished delivery replays deterministically', async () => {
    const id = await waitFor(async () => {
      const list = await stack.call('GET', '/v1/deliveries?status=succeeded');
      return (list.body.data as { id: string }[])[0]?.id;
    }, 'a succeeded delivery in visibility');
    const history = await stack.temporal.client.workflow.getHandle(id).fetchHistory();
    assert.ok((history.events ?? []).length > 5);
    await Worker.runReplayHistory(
      { workflowBundle: { codePath: process.env.HOOKFLOW_TEST_WORKFLOW_BUNDLE! } },
      history,
      id,
    );
  });
});
