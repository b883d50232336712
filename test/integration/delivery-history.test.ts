// Delivery history that outlives Temporal: reads from the delivery record once the workflow is
// gone, redelivery of closed deliveries, replay, the list from PostgreSQL, and the purge.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ensurePurgeSchedule } from '../../src/temporal/retention';
import { assertProblem } from '../support/api';
import { attemptsOf, deliveryStatus, sendEvent, subscribe, temporalCli, waitForState } from '../support/engine';
import { receiverPool } from '../support/receiver';
import { startStack, waitFor, type Stack } from '../support/stack';
import { createTenant } from '../support/tenants';

const closed = (stack: Stack, id: string) =>
  waitFor(async () => {
    const d = await stack.temporal.client.workflow.getHandle(id).describe();
    return d.status.name === 'RUNNING' ? undefined : d;
  }, `workflow ${id} to close`);

void describe('delivery history: the record outlives Temporal; resend anything', () => {
  let stack: Stack;
  const pool = receiverPool();

  before(async () => {
    stack = await startStack({ HOOKFLOW_RETRY_MAX_ATTEMPTS: '2' });
  });
  after(async () => {
    await stack?.stop();
    await pool.closeAll();
  });

  async function forget(id: string): Promise<void> {
    await closed(stack, id);
    await temporalCli(stack, ['workflow', 'delete', '--workflow-id', id]);
    await waitFor(async () => {
      try {
        await stack.temporal.client.workflow.getHandle(id).describe();
        return undefined;
      } catch {
        return true;
      }
    }, `Temporal to forget ${id}`, 60_000);
  }

  void test('after `temporal workflow delete`, GET answers exactly what the workflow answered, and the list still holds it', async () => {
    const r = await pool.start((_q, i) => ({ status: i === 0 ? 500 : 200 }));
    const sub = await subscribe(stack, r);
    const { deliveryId } = await sendEvent(stack, sub.eventType);
    await waitForState(stack, deliveryId, 'succeeded');
    await closed(stack, deliveryId);
    const fromWorkflow = await stack.temporal.client.workflow.getHandle(deliveryId).query('status');
    const beforeDelete = await deliveryStatus(stack, deliveryId);
    assert.equal(beforeDelete.attempts, 2);
    await forget(deliveryId);

    const after = await deliveryStatus(stack, deliveryId);
    assert.deepEqual(after, { ...(fromWorkflow as object), tenantId: 'default' }, 'the record answers what the workflow did');
    assert.deepEqual(after, beforeDelete);
    const listed = await stack.call('GET', `/v1/deliveries?subscriptionId=${sub.id}`);
    assert.deepEqual(listed.body.data.map((d: any) => [d.id, d.status]), [[deliveryId, 'succeeded']]);
    assert.equal((await attemptsOf(stack, deliveryId)).length, 2);
  });

  void test('a dead letter that was discarded reads the same after Temporal forgets it (the workflow wrote its final status)', async () => {
    const r = await pool.start(() => ({ status: 500 }));
    const sub = await subscribe(stack, r);
    const { deliveryId } = await sendEvent(stack, sub.eventType);
    await waitForState(stack, deliveryId, 'dead_lettered');
    assert.equal((await stack.call('POST', `/v1/deliveries/${deliveryId}/discard`, { reason: 'customer asked' })).status, 202);
    await waitForState(stack, deliveryId, 'discarded');
    await closed(stack, deliveryId);
    const fromWorkflow = await stack.temporal.client.workflow.getHandle(deliveryId).query('status');
    await forget(deliveryId);
    const after = await deliveryStatus(stack, deliveryId);
    assert.equal(after.state, 'discarded');
    assert.equal(after.attempts, 2);
    assert.deepEqual(after, { ...(fromWorkflow as object), tenantId: 'default' });
  });

  void test('a succeeded delivery is redelivered: it arrives again with the same webhook-id, and its record shows two rounds', async () => {
    const r = await pool.start();
    const sub = await subscribe(stack, r);
    const { deliveryId, eventId } = await sendEvent(stack, sub.eventType);
    await waitForState(stack, deliveryId, 'succeeded');
    await closed(stack, deliveryId);
    const res = await stack.call('POST', `/v1/deliveries/${deliveryId}/redeliver`);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.equal(res.body.how, 'restarted');
    await waitFor(async () => (r.received.length === 2 ? true : undefined), 'the second arrival');
    const done = await waitFor(async () => {
      const s = await deliveryStatus(stack, deliveryId);
      return s.state === 'succeeded' && s.roundCount === 2 ? s : undefined;
    }, 'the second round to succeed');
    assert.deepEqual(done.rounds.map((x: any) => [x.round, x.trigger, x.outcome, x.attempts]), [[1, 'initial', 'succeeded', 1], [2, 'redeliver', 'succeeded', 1]]);
    assert.deepEqual(r.received.map((q) => q.headers['webhook-id']), [eventId, eventId]);
    assert.ok(r.received.every((q) => q.verified));
    // Both runs are one delivery in Temporal: the same workflow ID.
    const runs = await temporalCli(stack, ['workflow', 'list', '--query', `WorkflowId="${deliveryId}"`, '--output', 'json']);
    assert.equal((JSON.parse(runs) as unknown[]).length, 2);
    // After Temporal forgets it, the record still tells both rounds.
    await closed(stack, deliveryId);
    await forget(deliveryId);
    assert.equal((await deliveryStatus(stack, deliveryId)).roundCount, 2);
    assert.deepEqual((await attemptsOf(stack, deliveryId)).map((a) => a.round), [1, 2]);
    // A forgotten delivery can be redelivered too: a third round.
    assert.equal((await stack.call('POST', `/v1/deliveries/${deliveryId}/redeliver`)).body.how, 'restarted');
    await waitFor(async () => (r.received.length === 3 ? true : undefined), 'the third arrival');
  });

  void test('replay: to its subscriptions as new rounds, to a later subscription as a new delivery; bad targets name the field', async () => {
    const [r1, r2] = await Promise.all([pool.start(), pool.start()]);
    const sub = await subscribe(stack, r1);
    const { deliveryId, eventId } = await sendEvent(stack, sub.eventType);
    await waitForState(stack, deliveryId, 'succeeded');
    await closed(stack, deliveryId);
    const later = await stack.call('POST', '/v1/subscriptions', { url: r2.url, eventTypes: ['never.matches'] });
    r2.secrets = [later.body.secret];

    const res = await stack.call('POST', `/v1/events/${eventId}/replay`, { subscriptionIds: [sub.id, later.body.id] });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.deepEqual(res.body.deliveries.map((d: any) => [d.subscriptionId, d.outcome]), [[sub.id, 'restarted'], [later.body.id, 'created']]);
    await waitFor(async () => (r1.received.length === 2 && r2.received.length === 1 ? true : undefined), 'both arrivals');
    assert.ok(r2.received[0]!.verified);
    assert.equal(r2.received[0]!.headers['webhook-id'], eventId);
    const detail = await stack.call('GET', `/v1/events/${eventId}`);
    assert.equal(detail.body.deliveries.length, 2);

    const other = await createTenant(stack, 'replay');
    const theirs = await other.call('POST', '/v1/subscriptions', { url: r2.url });
    assertProblem(await stack.call('POST', `/v1/events/${eventId}/replay`, { subscriptionIds: [theirs.body.id] }), 404, ['body.subscriptionIds.0']);
    assertProblem(await stack.call('POST', `/v1/events/${eventId}/replay`, { subscriptionIds: ['sub_nope'] }), 404, ['body.subscriptionIds.0']);
    assertProblem(await stack.call('POST', `/v1/events/${eventId}/replay`, { subscriptionIds: [] }), 400, ['body.subscriptionIds']);
    assertProblem(await stack.call('POST', '/v1/events/evt_purged_or_never/replay', {}), 404);
  });

  void test('the list is strictly newest first across pages, and filters by state, event type and time', async () => {
    const r = await pool.start();
    const sub = await subscribe(stack, r);
    const batch = await stack.call('POST', '/v1/events/batch', { events: Array.from({ length: 5 }, (_, i) => ({ type: sub.eventType, data: i })) });
    const single = await sendEvent(stack, sub.eventType);
    const all = [...batch.body.data.map((e: any) => e.deliveries[0].id), single.deliveryId];
    const seen: any[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 10; i++) {
      const page: any = await stack.call('GET', `/v1/deliveries?subscriptionId=${sub.id}&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(page.status, 200, JSON.stringify(page.body));
      seen.push(...page.body.data);
      cursor = page.body.nextCursor;
      if (!cursor) break;
    }
    assert.deepEqual(seen.map((d) => d.id).sort(), [...all].sort(), 'every delivery exactly once');
    for (let i = 1; i < seen.length; i++) {
      const [a, b] = [seen[i - 1], seen[i]];
      assert.ok(a.startedAt > b.startedAt || (a.startedAt === b.startedAt && a.id > b.id), `strictly newest first at ${i}: ${a.id} then ${b.id}`);
    }
    assert.equal(seen[0].id, single.deliveryId, 'the event sent last comes first');
    await Promise.all(all.map((id) => waitForState(stack, id, 'succeeded')));
    const byState = await stack.call('GET', `/v1/deliveries?subscriptionId=${sub.id}&status=succeeded&eventType=${sub.eventType}&limit=100`);
    assert.equal(byState.body.data.length, 6);
    const future = new Date(Date.now() + 60_000).toISOString();
    assert.equal((await stack.call('GET', `/v1/deliveries?subscriptionId=${sub.id}&since=${future}`)).body.data.length, 0);
    assertProblem(await stack.call('GET', `/v1/deliveries?since=${future}&until=2001-01-01T00:00:00Z`), 400, ['query.until']);
    assertProblem(await stack.call('GET', '/v1/deliveries?cursor=forged'), 400, ['query.cursor']);
  });

  void test('purge with a retention of seconds deletes old closed data and keeps open deliveries\' data; the schedule is created idempotently', async () => {
    const own = await startStack({ HOOKFLOW_RETRY_MAX_ATTEMPTS: '1' });
    try {
      const ok = await pool.start();
      const failing = await pool.start(() => ({ status: 500 }));
      const subOk = await subscribe(own, ok);
      const subDead = await subscribe(own, failing);
      const done = await Promise.all([1, 2, 3].map(() => sendEvent(own, subOk.eventType)));
      const open = await sendEvent(own, subDead.eventType);
      await Promise.all(done.map((d) => waitForState(own, d.deliveryId, 'succeeded')));
      await waitForState(own, open.deliveryId, 'dead_lettered');
      await Promise.all(done.map((d) => closed(own, d.deliveryId)));
      await new Promise((resolve) => setTimeout(resolve, 1_500));

      const count = async (sql: string) => (await own.db.query(sql)).rows[0].n as number;
      // Operational events (the dead letter's notice) are events too, and old enough to go as well.
      const eventsBefore = await count('SELECT count(*)::int AS n FROM events');
      // A stats rollup row of two days ago goes. The rows of the deliveries just made mostly stay, but a
      // minute row may end before the cutoff (a minute turned during the test): counted, not guessed.
      await own.db.query(
        `INSERT INTO subscription_stats (subscription_id, tenant_id, bucket_seconds, bucket_start, attempts, succeeded)
         VALUES ($1, 'default', 3600, date_trunc('hour', now() - interval '2 days'), 5, 5)`,
        [subOk.id],
      );
      const rollupsBefore = await count('SELECT count(*)::int AS n FROM subscription_stats');
      const report = await own.temporal.client.workflow.execute('purgeWorkflow', {
        workflowId: `purge-test-${Date.now()}`,
        taskQueue: own.config.temporal.taskQueue,
        args: [{ retentionSeconds: 1, batchSize: 2 }],
      });
      const { rows: left } = await own.db.query('SELECT id FROM events');
      assert.deepEqual(left.map((r) => r.id), [open.eventId], 'only the open delivery\'s event is left');
      assert.ok(eventsBefore >= 4);
      assert.deepEqual({ ...(report as object), cutoff: undefined }, {
        cutoff: undefined,
        events: eventsBefore - 1,
        deliveries: 3,
        attempts: 3,
        rollups: rollupsBefore - (await count('SELECT count(*)::int AS n FROM subscription_stats')),
        // Pages of 2 until one comes back empty (the rollups, fewer than 40, all go with the first).
        batches: Math.ceil((eventsBefore - 1) / 2) + 1,
      });
      assert.ok((report as { rollups: number }).rollups >= 1, 'the old rollup row went');
      const cutoff = (report as { cutoff: string }).cutoff;
      assert.equal(await count(`SELECT count(*)::int AS n FROM subscription_stats WHERE bucket_start + make_interval(secs => bucket_seconds) <= '${cutoff}'`), 0);
      assert.equal(await count(`SELECT count(*)::int AS n FROM event_deliveries WHERE delivery_id = '${open.deliveryId}'`), 1);
      assert.equal(await count(`SELECT count(*)::int AS n FROM delivery_attempts WHERE delivery_id = '${open.deliveryId}'`), 1);
      assertProblem(await own.call('GET', `/v1/deliveries/${done[0]!.deliveryId}`), 404);
      assertProblem(await own.call('POST', `/v1/events/${done[0]!.eventId}/replay`, {}), 404);

      const handle = own.temporal.client.schedule.getHandle('hookflow-purge');
      await handle.delete().catch(() => undefined);
      assert.equal(await ensurePurgeSchedule(own.temporal.client, { ...own.config, retentionDays: 30 }), 'created');
      assert.equal(await ensurePurgeSchedule(own.temporal.client, { ...own.config, retentionDays: 9 }), 'updated');
      const described = await handle.describe();
      const action = described.action as unknown as { workflowType: string; args: [{ retentionSeconds: number }] };
      assert.equal(action.workflowType, 'purgeWorkflow');
      assert.deepEqual(action.args, [{ retentionSeconds: 9 * 86_400 }]);
      await handle.delete();
    } finally {
      await own.stop();
    }
  });
});
