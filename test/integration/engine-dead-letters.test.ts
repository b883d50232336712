import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { attemptsOf, deliveryStatus, sendEvent, subscribe, temporalCli, waitForState } from '../support/engine';
import { receiverPool } from '../support/receiver';
import { startStack, waitFor, type Stack } from '../support/stack';

void describe('delivery engine: dead letters, redelivery and discard through the API and the temporal CLI', () => {
  let stack: Stack;
  const pool = receiverPool();
  const receiver = pool.start;
  /** A receiver that fails until `healthy` is set. */
  const flaky = async () => {
    const state = { healthy: false };
    const r = await receiver(() => ({ status: state.healthy ? 200 : 500 }));
    return Object.assign(r, { state });
  };

  before(async () => {
    stack = await startStack({ HOOKFLOW_RETRY_MAX_ATTEMPTS: '2', HOOKFLOW_AUTO_DISABLE_AFTER: '3' });
  });
  after(async () => {
    await stack?.stop();
    await pool.closeAll();
  });

  void test('last attempt fails → dead-lettered → redeliver through the API → delivered', async () => {
    const r = await flaky();
    const sub = await subscribe(stack, r);
    const { deliveryId, eventId } = await sendEvent(stack, sub.eventType);
    const dead = await waitForState(stack, deliveryId, 'dead_lettered');
    assert.equal(dead.attempts, 2);
    assert.equal(dead.lastResponse.statusCode, 500);
    assert.ok(Date.parse(dead.retentionEndsAt) > Date.now() + 6 * 86_400_000, 'retention defaults to 7 days');

    r.state.healthy = true;
    const res = await stack.call('POST', `/v1/deliveries/${deliveryId}/redeliver`);
    assert.equal(res.status, 202);
    const done = await waitForState(stack, deliveryId, 'succeeded');
    assert.equal(done.roundCount, 2);
    assert.deepEqual(done.rounds.map((x: any) => [x.trigger, x.outcome, x.attempts]), [['initial', 'failed', 2], ['redeliver', 'succeeded', 1]]);
    assert.equal(done.attempts, 3);
    assert.equal(r.received.length, 3);
    assert.ok(r.received.every((q) => q.headers['webhook-id'] === eventId && q.verified));
    const log = await attemptsOf(stack, deliveryId);
    assert.deepEqual(log.map((a) => [a.round, a.attempt, a.outcome]), [[1, 1, 'failed'], [1, 2, 'failed'], [2, 1, 'succeeded']]);

    // A closed delivery cannot be discarded (there is nothing left to stop).
    assert.equal((await stack.call('POST', `/v1/deliveries/${deliveryId}/discard`)).status, 409);
  });

  void test('a dead letter shows up in visibility as HookflowStatus="dead_lettered", and redeliver works from the temporal CLI', async () => {
    const r = await flaky();
    const sub = await subscribe(stack, r);
    const { deliveryId } = await sendEvent(stack, sub.eventType);
    await waitForState(stack, deliveryId, 'dead_lettered');

    const listed = await waitFor(async () => {
      const out = await temporalCli(stack, ['workflow', 'list', '--query', `HookflowStatus="dead_lettered" AND HookflowSubscriptionId="${sub.id}"`, '--output', 'json']);
      return out.includes(deliveryId) ? out : undefined;
    }, 'the CLI to list the dead letter');
    assert.match(listed, new RegExp(deliveryId));

    const queried = JSON.parse(await temporalCli(stack, ['workflow', 'query', '--workflow-id', deliveryId, '--name', 'status', '--output', 'json']));
    const state = (queried.queryResult ?? queried.result ?? [queried])[0]?.state ?? JSON.stringify(queried);
    assert.equal(state, 'dead_lettered');

    r.state.healthy = true;
    await temporalCli(stack, ['workflow', 'signal', '--workflow-id', deliveryId, '--name', 'redeliver']);
    const done = await waitForState(stack, deliveryId, 'succeeded');
    assert.equal(done.rounds.at(-1).trigger, 'redeliver');
    assert.equal(r.received.length, 3);
  });

  void test('discard from the temporal CLI ends a dead-lettered delivery', async () => {
    const r = await flaky();
    const sub = await subscribe(stack, r);
    const { deliveryId } = await sendEvent(stack, sub.eventType);
    await waitForState(stack, deliveryId, 'dead_lettered');
    await temporalCli(stack, ['workflow', 'signal', '--workflow-id', deliveryId, '--name', 'discard']);
    const s = await waitForState(stack, deliveryId, 'discarded');
    assert.ok(s.completedAt);
    // It closes once its final status is in the delivery record.
    const described = await waitFor(async () => {
      const d = await stack.temporal.client.workflow.getHandle(deliveryId).describe();
      return d.status.name === 'RUNNING' ? undefined : d;
    }, 'the workflow to close');
    assert.equal(described.status.name, 'COMPLETED');
    assert.equal(r.received.length, 2);
  });

  void test('discard through the API while retrying stops further attempts', async () => {
    const r = await receiver(() => ({ status: 500 }));
    const sub = await subscribe(stack, r, { retryPolicy: { maxAttempts: 10, initialIntervalMs: 1_000, maxIntervalMs: 1_000 } });
    const { deliveryId } = await sendEvent(stack, sub.eventType);
    await waitForState(stack, deliveryId, 'retrying');
    assert.equal((await stack.call('POST', `/v1/deliveries/${deliveryId}/discard`)).status, 202);
    await waitForState(stack, deliveryId, 'discarded');
    const seen = r.received.length;
    await new Promise((res) => setTimeout(res, 1_500));
    assert.equal(r.received.length, seen, 'no attempt after discard');
  });

  void test('redeliver while retrying skips the pending backoff and tries at once', async () => {
    const r = await flaky();
    const sub = await subscribe(stack, r, { retryPolicy: { maxAttempts: 5, initialIntervalMs: 60_000, maxIntervalMs: 60_000 } });
    const { deliveryId } = await sendEvent(stack, sub.eventType);
    const retrying = await waitForState(stack, deliveryId, 'retrying');
    assert.ok(Date.parse(retrying.nextAttemptAt) - Date.now() > 30_000, 'next attempt is a minute away');
    r.state.healthy = true;
    const t0 = Date.now();
    assert.equal((await stack.call('POST', `/v1/deliveries/${deliveryId}/redeliver`)).status, 202);
    const done = await waitForState(stack, deliveryId, 'succeeded');
    assert.ok(Date.now() - t0 < 10_000, 'delivered long before the backoff would have ended');
    assert.deepEqual(done.rounds.map((x: any) => x.outcome), ['superseded', 'succeeded']);
    assert.equal(r.received.length, 2);
  });

  void test('N consecutive dead letters auto-disable the subscription; a success in between resets the count', async () => {
    const r = await flaky();
    const sub = await subscribe(stack, r);
    const deadLetter = async () => {
      const { deliveryId } = await sendEvent(stack, sub.eventType);
      await waitForState(stack, deliveryId, 'dead_lettered');
    };
    const dlqCount = (n: number, extra: (s: any) => boolean = () => true) =>
      waitFor(async () => {
        const s = await stack.temporal.client.workflow.getHandle(`dead-letters-${sub.id}`).query<any>('status');
        return s.total === n && extra(s) ? s : undefined;
      }, `${n} dead letters recorded`);

    await deadLetter();
    await deadLetter();
    await dlqCount(2);
    r.state.healthy = true;
    const ok = await sendEvent(stack, sub.eventType);
    await waitForState(stack, ok.deliveryId, 'succeeded');
    r.state.healthy = false;
    await deadLetter();
    const afterReset = await dlqCount(3);
    assert.equal(afterReset.consecutive, 1, 'the success reset the streak');
    const midway = await stack.call('GET', `/v1/subscriptions/${sub.id}`);
    assert.equal(midway.body.active, true, JSON.stringify(midway.body));

    await deadLetter();
    await deadLetter();
    // The count rises before the disabling activity finishes; wait for both.
    const disabled = await dlqCount(5, (s) => s.autoDisabledAt !== undefined);
    assert.equal(disabled.consecutive, 0, 'the streak restarts after disabling');
    const got = await stack.call('GET', `/v1/subscriptions/${sub.id}`);
    assert.equal(got.body.active, false);
    assert.match(got.body.disabledReason, /3 consecutive/);
    // A disabled subscription receives no new deliveries.
    const after = await stack.call('POST', '/v1/events', { type: sub.eventType, data: {} });
    assert.deepEqual(after.body.deliveries, []);
  });

  void test('the status query answers for scheduled-but-unknown IDs with 404 and for every state above', async () => {
    assert.equal((await stack.call('GET', '/v1/deliveries/dlv_doesnotexist')).status, 404);
    const r = await receiver();
    const sub = await subscribe(stack, r);
    const { deliveryId } = await sendEvent(stack, sub.eventType);
    const s = await waitForState(stack, deliveryId, 'succeeded');
    assert.equal((await deliveryStatus(stack, deliveryId)).state, s.state);
  });
});
