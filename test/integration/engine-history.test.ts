import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';

// Histories recorded by an earlier version of the workflows. Replaying them against today's code is
// what catches a non-deterministic change. After a versioned change (patched()), add this run's
// histories beside the old ones with HOOKFLOW_RECORD_HISTORIES=<tag> (files <tag>-<type>-<n>.pb);
// keep the old ones, they prove the old path still replays.
const FIXTURES = path.join(__dirname, '..', 'fixtures', 'histories');
import { attemptsOf, sendEvent, subscribe, waitForState } from '../support/engine';
import { receiverPool } from '../support/receiver';
import { startStack, waitFor, type Stack } from '../support/stack';

void describe('delivery engine: secrets stay out of history, rotation mid-retry, replay of recorded histories', () => {
  let stack: Stack;
  const pool = receiverPool();

  before(async () => {
    stack = await startStack({ HOOKFLOW_RETRY_MAX_ATTEMPTS: '3', HOOKFLOW_AUTO_DISABLE_AFTER: '1' });
  });
  after(async () => {
    await stack?.stop();
    await pool.closeAll();
  });

  void test('secret rotation mid-retry: the next attempt carries both signatures and each verifies', async () => {
    let release = false;
    const r = await pool.start(() => ({ status: release ? 200 : 503 }));
    const sub = await subscribe(stack, r, { retryPolicy: { maxAttempts: 5, initialIntervalMs: 1_500, maxIntervalMs: 1_500 } });
    const oldSecret = sub.secret;
    const { deliveryId } = await sendEvent(stack, sub.eventType);
    await waitForState(stack, deliveryId, 'retrying');

    const rotated = await stack.call('POST', `/v1/subscriptions/${sub.id}/secret/rotate`, { graceSeconds: 3600 });
    assert.equal(rotated.status, 200);
    const newSecret: string = rotated.body.secret;
    assert.notEqual(newSecret, oldSecret);
    assert.equal((await stack.call('GET', `/v1/subscriptions/${sub.id}/secret`)).body.secret, newSecret);
    release = true;
    await waitForState(stack, deliveryId, 'succeeded');

    const [first, second] = r.received;
    assert.equal(first!.headers['webhook-signature']!.toString().split(' ').length, 1);
    const sigs = second!.headers['webhook-signature']!.toString().split(' ');
    assert.equal(sigs.length, 2, 'two signatures during the grace period');
    for (const secret of [oldSecret, newSecret]) {
      r.secrets = [secret];
      const { Webhook } = await import('standardwebhooks');
      assert.doesNotThrow(() => new Webhook(secret).verify(second!.body, second!.headers as Record<string, string>));
    }
  });

  void test('neither the signing secret nor the event body ever enters Temporal history', async () => {
    const r = await pool.start((_q, i) => ({ status: i === 0 ? 500 : 200 }));
    const sub = await subscribe(stack, r);
    const marker = `top-secret-payload-${Date.now()}`;
    const res = await stack.call('POST', '/v1/events', { type: sub.eventType, data: { card: marker } });
    const deliveryId = res.body.deliveries[0].id;
    await waitForState(stack, deliveryId, 'succeeded');
    assert.equal(r.received.at(-1)!.payload?.data && (r.received.at(-1)!.payload!.data as any).card, marker, 'the body was delivered');

    const history = await stack.temporal.client.workflow.getHandle(deliveryId).fetchHistory();
    const raw = JSON.stringify(history, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : v));
    assert.ok(raw.includes(deliveryId), 'the history was decoded (sanity check)');
    assert.ok(!raw.includes(marker), 'event body found in history');
    const secretKey = sub.secret.slice('whsec_'.length);
    assert.ok(!raw.includes(sub.secret) && !raw.includes(secretKey), 'secret found in history');
    assert.ok(!raw.includes(r.received[0]!.headers['webhook-signature'] as string), 'a signature found in history');
  });

  void test('the first attempt runs as a local activity; only a retry schedules an activity task', async () => {
    // The record says `succeeded` as soon as the attempt wrote it, before the workflow task that ran
    // the local attempt completed and recorded its marker: read the history once the workflow closed.
    const types = async (deliveryId: string) => {
      const handle = stack.temporal.client.workflow.getHandle(deliveryId);
      await handle.result();
      return ((await handle.fetchHistory()).events ?? []).map((e) => temporal.api.enums.v1.EventType[e.eventType!]);
    };
    // An endpoint is on the fast path once it has answered fast (docs/flow-control.md): a new one's
    // first delivery goes through its tenant's lane, as a regular activity.
    const prove = async (eventType: string) => {
      const { deliveryId } = await sendEvent(stack, eventType);
      await waitForState(stack, deliveryId, 'succeeded');
      const newTypes = await types(deliveryId);
      assert.equal(newTypes.filter((t) => t === 'EVENT_TYPE_MARKER_RECORDED').length, 0, `no local activity: ${newTypes.join(' ')}`);
      assert.equal(newTypes.filter((t) => t === 'EVENT_TYPE_ACTIVITY_TASK_SCHEDULED').length, 1, newTypes.join(' '));
    };
    const ok = await pool.start(() => ({ status: 200 }));
    const sub = await subscribe(stack, ok);
    await prove(sub.eventType);
    const first = await sendEvent(stack, sub.eventType);
    const done = await waitForState(stack, first.deliveryId, 'succeeded');
    // Workflow time stands still during a local activity; the summary must still be in order.
    const attemptEnd = Date.parse(done.lastResponse.at) + done.lastResponse.durationMs;
    assert.ok(Date.parse(done.rounds[0].endedAt) >= attemptEnd, `round ended ${done.rounds[0].endedAt} before its attempt (${attemptEnd})`);
    assert.ok(Date.parse(done.completedAt) >= attemptEnd);
    const okTypes = await types(first.deliveryId);
    assert.equal(okTypes.filter((t) => t === 'EVENT_TYPE_ACTIVITY_TASK_SCHEDULED').length, 0, okTypes.join(' '));
    assert.ok(okTypes.includes('EVENT_TYPE_MARKER_RECORDED'), 'the local attempt left its marker');

    const flaky = await pool.start((_q, i) => ({ status: i === 1 ? 503 : 200 }));
    const sub2 = await subscribe(stack, flaky);
    await prove(sub2.eventType);
    const second = await sendEvent(stack, sub2.eventType);
    const status = await waitForState(stack, second.deliveryId, 'succeeded');
    assert.equal(status.attempts, 2);
    assert.deepEqual((await attemptsOf(stack, second.deliveryId)).map((a) => a.attempt), [1, 2]);
    const retryTypes = await types(second.deliveryId);
    assert.equal(retryTypes.filter((t) => t === 'EVENT_TYPE_ACTIVITY_TASK_SCHEDULED').length, 1, retryTypes.join(' '));
  });

  void test('every recorded history of this run replays deterministically (delivery and dead-letter workflows)', async () => {
    // Produce a dead letter (and so a dead-letter workflow that auto-disables) for the replay set.
    const r = await pool.start(() => ({ status: 500 }));
    const sub = await subscribe(stack, r);
    const { deliveryId } = await sendEvent(stack, sub.eventType);
    await waitForState(stack, deliveryId, 'dead_lettered');
    await waitFor(async () => !(await stack.call('GET', `/v1/subscriptions/${sub.id}`)).body.active, 'auto-disable');

    const ids = await waitFor(async () => {
      const found: { workflowId: string; type: string }[] = [];
      for await (const wf of stack.temporal.client.workflow.list({ query: `TaskQueue = '${stack.config.temporal.taskQueue}'` })) {
        found.push({ workflowId: wf.workflowId, type: wf.type });
      }
      return found.some((f) => f.type === 'deadLetterWorkflow') && found.some((f) => f.type === 'deliveryWorkflow') ? found : undefined;
    }, 'workflows in visibility');
    const histories = await Promise.all(
      ids.map(async ({ workflowId }) => ({ workflowId, history: await stack.temporal.client.workflow.getHandle(workflowId).fetchHistory() })),
    );

    // Deliveries started for DELIVERY_REVISION decide from their input: no patch marker in their history.
    for (const [i, { type }] of ids.entries()) {
      if (type !== 'deliveryWorkflow') continue;
      const markers = histories[i]!.history.events?.filter((e) => e.markerRecordedEventAttributes).map((e) => e.markerRecordedEventAttributes!.markerName) ?? [];
      assert.ok(!markers.includes('core_patch'), `${ids[i]!.workflowId} recorded a patch marker: ${markers.join(', ')}`);
    }

    const tag = process.env.HOOKFLOW_RECORD_HISTORIES;
    if (tag) {
      mkdirSync(FIXTURES, { recursive: true });
      ids.forEach((id, i) =>
        writeFileSync(path.join(FIXTURES, `${tag}-${id.type}-${i}.pb`), temporal.api.history.v1.History.encode(histories[i]!.history).finish()),
      );
    }
    const recorded = readdirSync(FIXTURES)
      .filter((f) => f.endsWith('.pb'))
      .map((f) => ({ workflowId: `fixture-${f}`, history: temporal.api.history.v1.History.decode(readFileSync(path.join(FIXTURES, f))) }));
    assert.ok(recorded.length >= 4, 'committed fixture histories are present');

    let replayed = 0;
    for await (const result of Worker.runReplayHistories(
      { workflowBundle: { codePath: process.env.HOOKFLOW_TEST_WORKFLOW_BUNDLE! } },
      [...histories, ...recorded],
    )) {
      assert.equal(result.error, undefined, `${result.workflowId}: ${String(result.error)}`);
      replayed += 1;
    }
    assert.equal(replayed, histories.length + recorded.length);
  });
});
