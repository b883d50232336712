import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { Agent } from 'undici';
import { createDeliver } from '../../activities/deliver';
import { secretBox } from '../../src/security/secret-box';
import type { AttemptReport, DeliverInput } from '../../workflows/messages';
import { attemptsOf, deliveryStatus, sendEvent, subscribe, waitForState } from '../support/engine';
import { receiverPool } from '../support/receiver';
import { startStack, waitFor, type Stack } from '../support/stack';

void describe('delivery engine: what each HTTP outcome does', () => {
  let stack: Stack;
  const pool = receiverPool();
  const receiver = pool.start;

  before(async () => {
    stack = await startStack({ HOOKFLOW_RETRY_MAX_ATTEMPTS: '4', HOOKFLOW_REQUEST_TIMEOUT_MS: '700', HOOKFLOW_AUTO_DISABLE_AFTER: '0' });
  });
  after(async () => {
    await stack?.stop();
    await pool.closeAll();
  });

  void test('500, 500, then 200: delivered once, three attempts logged, same webhook-id each time', async () => {
    const r = await receiver((_req, i) => ({ status: i < 2 ? 500 : 200, body: i < 2 ? 'boom' : 'fine' }));
    const sub = await subscribe(stack, r);
    const { deliveryId, eventId } = await sendEvent(stack, sub.eventType);
    const status = await waitForState(stack, deliveryId, 'succeeded');
    assert.equal(status.attempts, 3);
    assert.equal(r.received.length, 3);
    assert.ok(r.received.every((q) => q.verified === true && q.headers['webhook-id'] === eventId));
    const attempts = await attemptsOf(stack, deliveryId);
    assert.deepEqual(attempts.map((a) => [a.attempt, a.statusCode, a.outcome]), [[1, 500, 'failed'], [2, 500, 'failed'], [3, 200, 'succeeded']]);
    assert.equal(attempts[0].responseBody, 'boom');
    assert.ok(attempts.every((a) => typeof a.durationMs === 'number' && a.durationMs >= 0));
    // A fresh timestamp is signed at each attempt.
    const stamps = r.received.map((q) => Number(q.headers['webhook-timestamp']));
    assert.ok(stamps.every((s) => Math.abs(s - Date.now() / 1000) < 60));
  });

  void test('410 Gone: no retry, subscription disabled, delivery dead-lettered', async () => {
    const r = await receiver(() => ({ status: 410 }));
    const sub = await subscribe(stack, r);
    const { deliveryId } = await sendEvent(stack, sub.eventType);
    const status = await waitForState(stack, deliveryId, 'dead_lettered');
    assert.equal(status.attempts, 1);
    assert.equal(r.received.length, 1);
    const got = await stack.call('GET', `/v1/subscriptions/${sub.id}`);
    assert.equal(got.body.active, false);
    assert.match(got.body.disabledReason, /410/);
  });

  void test('400: non-retryable, one attempt only', async () => {
    const r = await receiver(() => ({ status: 400, body: 'bad payload' }));
    const sub = await subscribe(stack, r);
    const { deliveryId } = await sendEvent(stack, sub.eventType);
    const status = await waitForState(stack, deliveryId, 'dead_lettered');
    assert.equal(status.attempts, 1);
    assert.equal(status.lastResponse.statusCode, 400);
    await new Promise((res) => setTimeout(res, 500));
    assert.equal(r.received.length, 1, 'no retry after a 400');
  });

  void test('3xx is a failure and the redirect is not followed', async () => {
    const target = await receiver(() => ({ status: 200 }));
    const r = await receiver((_q, i) => (i === 0 ? { status: 302, headers: { location: target.url } } : { status: 200 }));
    const sub = await subscribe(stack, r);
    const { deliveryId } = await sendEvent(stack, sub.eventType);
    const status = await waitForState(stack, deliveryId, 'succeeded');
    assert.equal(status.attempts, 2);
    assert.equal(target.received.length, 0, 'redirect target never contacted');
    const attempts = await attemptsOf(stack, deliveryId);
    assert.equal(attempts[0].statusCode, 302);
  });

  void test('429 with Retry-After: 2 waits about two seconds before the next attempt', async () => {
    const r = await receiver((_q, i) => (i === 0 ? { status: 429, headers: { 'retry-after': '2' } } : { status: 200 }));
    const sub = await subscribe(stack, r);
    const { deliveryId } = await sendEvent(stack, sub.eventType);
    const retrying = await waitForState(stack, deliveryId, 'retrying');
    // The status query knows when the next attempt is due.
    const dueIn = Date.parse(retrying.nextAttemptAt) - Date.parse(retrying.lastResponse.at);
    assert.ok(dueIn >= 1_900, `nextAttemptAt ${dueIn} ms after the 429`);
    await waitForState(stack, deliveryId, 'succeeded');
    const gap = r.received[1]!.at - r.received[0]!.at;
    assert.ok(gap >= 1_900, `second attempt came ${gap} ms after the 429 (policy backoff alone is 50 ms)`);
  });

  void test('503 with an HTTP-date Retry-After is honoured too', async () => {
    const r = await receiver((_q, i) =>
      i === 0 ? { status: 503, headers: { 'retry-after': new Date(Date.now() + 3_000).toUTCString() } } : { status: 200 },
    );
    const sub = await subscribe(stack, r);
    const { deliveryId } = await sendEvent(stack, sub.eventType);
    await waitForState(stack, deliveryId, 'succeeded');
    const gap = r.received[1]!.at - r.received[0]!.at;
    // HTTP-dates have one-second resolution.
    assert.ok(gap >= 1_500, `second attempt came ${gap} ms after the 503`);
  });

  void test('a timeout is retried', async () => {
    const r = await receiver((_q, i) => ({ status: 200, delayMs: i === 0 ? 2_000 : 0 }));
    const sub = await subscribe(stack, r);
    const { deliveryId } = await sendEvent(stack, sub.eventType);
    const status = await waitForState(stack, deliveryId, 'succeeded');
    assert.equal(status.attempts, 2);
    const attempts = await attemptsOf(stack, deliveryId);
    assert.equal(attempts[0].errorClass, 'Timeout');
    assert.equal(attempts[0].statusCode, null);
    assert.ok(attempts[0].durationMs >= 600 && attempts[0].durationMs < 2_000, `timed out after ${attempts[0].durationMs} ms`);
  });

  void test('connection refused is retried, then dead-lettered after the last attempt', async () => {
    const r = await receiver();
    const sub = await subscribe(stack, r);
    await r.close();
    const { deliveryId } = await sendEvent(stack, sub.eventType);
    const status = await waitForState(stack, deliveryId, 'dead_lettered');
    assert.equal(status.attempts, 4);
    assert.equal(status.rounds.length, 1);
    assert.equal(status.rounds[0].outcome, 'failed');
    assert.ok(status.retentionEndsAt);
    const attempts = await attemptsOf(stack, deliveryId);
    assert.ok(attempts.every((a) => a.errorClass === 'ECONNREFUSED'), JSON.stringify(attempts.map((a) => a.errorClass)));
    const dlq = await waitFor(async () => {
      const h = stack.temporal.client.workflow.getHandle(`dead-letters-${sub.id}`);
      const s = await h.query<{ total: number; recent: { deliveryId: string }[] }>('status');
      return s.total === 1 ? s : undefined;
    }, 'the dead-letter workflow to record it');
    assert.equal(dlq.recent[0]!.deliveryId, deliveryId);
  });

  void test('a subscription disabled during retries stops them: the delivery is discarded', async () => {
    const r = await receiver(() => ({ status: 500 }));
    const sub = await subscribe(stack, r, { retryPolicy: { initialIntervalMs: 1_500, maxIntervalMs: 1_500, maxAttempts: 5 } });
    const { deliveryId } = await sendEvent(stack, sub.eventType);
    await waitForState(stack, deliveryId, 'retrying');
    const patched = await stack.call('PATCH', `/v1/subscriptions/${sub.id}`, { active: false });
    assert.equal(patched.status, 200);
    const status = await waitForState(stack, deliveryId, 'discarded');
    assert.equal(r.received.length, 1);
    assert.equal(status.rounds[0].outcome, 'discarded');
    assert.equal((await deliveryStatus(stack, deliveryId)).state, 'discarded');
  });

  void test('an attempt run again after its success was logged (its worker killed before Temporal heard) sends nothing and answers the logged success', async () => {
    const r = await receiver((_req, i) => ({ status: i === 0 ? 500 : 204 }));
    const sub = await subscribe(stack, r);
    const { deliveryId, eventId } = await sendEvent(stack, sub.eventType);
    await waitForState(stack, deliveryId, 'succeeded');
    assert.equal(r.received.length, 2);

    // The same activity a worker runs, against the same database and receiver.
    const http = new Agent();
    const deliver = createDeliver({ db: stack.db, http, config: stack.config, temporal: stack.temporal.client, secrets: secretBox(stack.config) });
    const input = { deliveryId, eventId, subscriptionId: sub.id, retryPolicy: stack.config.retry };
    try {
      const again = await new MockActivityEnvironment({ attempt: 1 }).run<[DeliverInput], AttemptReport, typeof deliver>(deliver, { ...input, round: 1 });
      assert.equal(again.attempt, 2, 'the logged success of round 1, not a new attempt');
      assert.equal(again.statusCode, 204);
      assert.equal(r.received.length, 2, 'nothing sent again');
      assert.equal((await attemptsOf(stack, deliveryId)).length, 2, 'nothing logged again');

      // A new round (a redelivery) is a new send.
      const next = await new MockActivityEnvironment({ attempt: 1 }).run<[DeliverInput], AttemptReport, typeof deliver>(deliver, { ...input, round: 2 });
      assert.equal(next.statusCode, 204);
      assert.equal(r.received.length, 3);
      assert.deepEqual((await attemptsOf(stack, deliveryId)).map((a) => [a.round, a.attempt, a.outcome]), [[1, 1, 'failed'], [1, 2, 'succeeded'], [2, 1, 'succeeded']]);
    } finally {
      await http.close();
    }
  });
});
