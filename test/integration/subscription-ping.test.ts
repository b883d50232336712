// Test pings: POST /v1/subscriptions/:id/test (and "ping": true at creation) sends a signed
// hookflow.ping to that subscription alone through the normal pipeline, and answers with the first
// attempt as the attempt log recorded it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertProblem, createSubscription } from '../support/api';
import { closedPort } from '../support/ports';
import { receiverPool } from '../support/receiver';
import { startStack, type Stack } from '../support/stack';

void describe('test pings', () => {
  let stack: Stack;
  const pool = receiverPool();

  before(async () => {
    stack = await startStack();
  });
  after(async () => {
    await stack?.stop();
    await pool.closeAll();
  });

  void test('a ping to a 200 endpoint reports 200 and its duration, reaches that subscription alone, signed, and shows in the attempt log', async () => {
    const target = await pool.start(() => ({ status: 200, body: 'pong from the endpoint', delayMs: 40 }));
    const bystander = await pool.start(() => ({ status: 200 }));
    // Its filter does not name hookflow.ping: a ping goes to the subscription it was asked for regardless.
    const sub = await createSubscription(stack, { url: target.url, eventTypes: ['invoice.*'] });
    target.secrets.push(sub.secret);
    // Same tenant, filters that would match the type: must not receive it.
    await createSubscription(stack, { url: bystander.url, eventTypes: ['hookflow.*'] });
    await createSubscription(stack, { url: bystander.url, eventTypes: ['*'] });

    const res = await stack.call('POST', `/v1/subscriptions/${sub.id}/test`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const ping = res.body;
    assert.equal(ping.outcome, 'succeeded');
    assert.equal(ping.statusCode, 200);
    assert.equal(ping.responseBody, 'pong from the endpoint');
    assert.equal(ping.error, null);
    assert.ok(Number.isInteger(ping.durationMs) && ping.durationMs >= 40, `duration ${ping.durationMs} ms covers the endpoint's 40 ms`);

    assert.equal(target.received.length, 1);
    const got = target.received[0]!;
    assert.equal(got.verified, true, got.verifyError);
    assert.equal(got.headers['webhook-id'], ping.eventId);
    assert.equal(got.payload?.type, 'hookflow.ping');
    assert.deepEqual(Object.keys(got.payload?.data as object).sort(), ['message', 'sentAt', 'subscriptionId', 'tenantId']);
    assert.equal((got.payload?.data as { subscriptionId: string }).subscriptionId, sub.id);

    const attempts = await stack.call('GET', `/v1/deliveries/${ping.deliveryId}/attempts`);
    assert.equal(attempts.status, 200);
    assert.equal(attempts.body.data.length, 1);
    assert.equal(attempts.body.data[0].statusCode, 200);
    assert.equal(attempts.body.data[0].durationMs, ping.durationMs);
    assert.equal(attempts.body.data[0].outcome, 'succeeded');

    const planned = await stack.db.query('SELECT subscription_id FROM event_deliveries WHERE event_id = $1', [ping.eventId]);
    assert.deepEqual(planned.rows, [{ subscription_id: sub.id }]);
    assert.equal(bystander.received.length, 0, 'no other subscription received the ping');
  });

  void test('a ping to a closed port reports the connection error, as the attempt log has it', async () => {
    const url = `http://127.0.0.1:${await closedPort()}/hook`;
    const sub = await createSubscription(stack, { url, eventTypes: ['invoice.*'] });
    const res = await stack.call('POST', `/v1/subscriptions/${sub.id}/test`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.outcome, 'failed');
    assert.equal(res.body.statusCode, null);
    assert.match(res.body.error, /ECONNREFUSED/);

    const attempts = await stack.call('GET', `/v1/deliveries/${res.body.deliveryId}/attempts`);
    const first = attempts.body.data[0];
    assert.equal(first.errorClass, 'ECONNREFUSED');
    assert.equal(res.body.error, `${first.errorClass}: ${first.errorMessage}`);
    assert.equal(first.durationMs, res.body.durationMs);
  });

  void test('"ping": true at creation answers with the ping; a disabled subscription is a 409; an unknown one a 404', async () => {
    const target = await pool.start(() => ({ status: 204 }));
    const res = await stack.call('POST', '/v1/subscriptions', { url: target.url, ping: true });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.ping.outcome, 'succeeded');
    assert.equal(res.body.ping.statusCode, 204);
    assert.equal(target.received.length, 1);

    const off = await stack.call('PATCH', `/v1/subscriptions/${res.body.id}`, { active: false });
    assert.equal(off.status, 200);
    assertProblem(await stack.call('POST', `/v1/subscriptions/${res.body.id}/test`), 409);
    assertProblem(await stack.call('POST', '/v1/subscriptions/sub_nope/test'), 404);
    assertProblem(await stack.call('POST', `/v1/subscriptions/${res.body.id}/test`, { extra: 1 }), 400);
    assert.equal(target.received.length, 1);
  });

  void test('callers still cannot send hookflow.ping themselves', async () => {
    assertProblem(await stack.call('POST', '/v1/events', { type: 'hookflow.ping', data: {} }), 400, ['body.type']);
  });
});
