// Recovery of a subscription: every delivery that ended dead-lettered or discarded in a window,
// open or closed, is resent exactly once, by a Temporal workflow that survives a worker restart.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertProblem } from '../support/api';
import { receiverPool, type Receiver } from '../support/receiver';
import { startStack, waitFor, type Stack } from '../support/stack';

void describe('POST /v1/subscriptions/:id/recover', () => {
  // Two stacks on one database: `quick` closes dead letters after 2 s, `main` keeps them open for an hour.
  let main: Stack;
  let quick: Stack;
  const pool = receiverPool();

  before(async () => {
    main = await startStack({ HOOKFLOW_RETRY_MAX_ATTEMPTS: '1', HOOKFLOW_AUTO_DISABLE_AFTER: '0', HOOKFLOW_RECOVER_PAGE_SIZE: '5' });
    quick = await startStack({
      DATABASE_URL: main.config.databaseUrl!,
      HOOKFLOW_RETRY_MAX_ATTEMPTS: '1',
      HOOKFLOW_AUTO_DISABLE_AFTER: '0',
      HOOKFLOW_DEAD_LETTER_RETENTION_SECONDS: '2',
    });
  });
  after(async () => {
    await Promise.all([main?.stop(), quick?.stop()]);
    await pool.closeAll();
  });

  const countByEvent = (r: Receiver) => {
    const counts = new Map<string, number>();
    for (const q of r.received) counts.set(String(q.headers['webhook-id']), (counts.get(String(q.headers['webhook-id'])) ?? 0) + 1);
    return counts;
  };

  void test('50 dead letters, some closed and some open, are each resent exactly once, across a worker restart, with progress', async () => {
    let down = true;
    const r = await pool.start(() => ({ status: down ? 500 : 200 }));
    const created = await main.call('POST', '/v1/subscriptions', { url: r.url, eventTypes: ['recover.me'] });
    r.secrets = [created.body.secret];
    const subId = created.body.id;
    const since = new Date(Date.now() - 1000).toISOString();
    const send = async (stack: Stack, n: number) => {
      const res = await stack.call('POST', '/v1/events/batch', { events: Array.from({ length: n }, (_, i) => ({ type: 'recover.me', data: { i } })) });
      assert.equal(res.status, 202, JSON.stringify(res.body));
      return res.body.data.map((e: any) => ({ eventId: e.id, deliveryId: e.deliveries[0].id }));
    };
    const stateCount = async (sql: string) => (await main.db.query(sql, [subId])).rows[0].n as number;

    // 20 that close as dead letters, 10 discarded (closed), 20 still open dead letters.
    const closedDead = await send(quick, 20);
    const discarded = await send(main, 10);
    const openDead = await send(main, 20);
    await waitFor(async () => ((await stateCount("SELECT count(*)::int AS n FROM event_deliveries WHERE subscription_id = $1 AND state = 'dead_lettered'")) === 50 ? true : undefined), '50 dead letters', 60_000);
    for (const d of discarded) assert.equal((await main.call('POST', `/v1/deliveries/${d.deliveryId}/discard`)).status, 202);
    await waitFor(
      async () => {
        const closedN = await stateCount("SELECT count(*)::int AS n FROM event_deliveries WHERE subscription_id = $1 AND completed_at IS NOT NULL");
        return closedN === 30 ? true : undefined;
      },
      '20 dead letters past retention and 10 discards to close',
      60_000,
    );
    assert.equal(await stateCount("SELECT count(*)::int AS n FROM event_deliveries WHERE subscription_id = $1 AND state = 'discarded'"), 10);
    assert.equal(r.received.length, 50);

    down = false;
    const started = await main.call('POST', `/v1/subscriptions/${subId}/recover`, { since });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    assert.match(started.body.id, new RegExp(`^recover-${subId}-`));
    // A worker restart mid-recovery (pages of 5): the workflow carries on where it was.
    const mid = await waitFor(async () => {
      const p = (await main.call('GET', `/v1/subscriptions/${subId}/recoveries/${started.body.id}`)).body;
      return p.resent >= 5 ? p : undefined;
    }, 'the first page');
    await main.worker!.stop();
    // The progress query needs a worker to answer; Temporal itself still holds the run open.
    const during = await main.temporal.client.workflow.getHandle(started.body.id).describe();
    assert.equal(during.status.name, 'RUNNING');
    assert.equal(mid.state, 'running');
    assert.ok(mid.resent < 50, `stopped mid-way (${mid.resent} resent)`);
    await main.startWorker();

    const done = await waitFor(async () => {
      const p = (await main.call('GET', `/v1/subscriptions/${subId}/recoveries/${started.body.id}`)).body;
      return p.state === 'completed' ? p : undefined;
    }, 'the recovery to complete', 60_000);
    assert.deepEqual([done.matched, done.resent, done.skipped], [50, 50, 0]);
    await waitFor(async () => (r.received.length >= 100 ? true : undefined), '50 more arrivals', 60_000);
    // Settle: nothing beyond one resend each may arrive.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const counts = countByEvent(r);
    for (const d of [...closedDead, ...discarded, ...openDead]) assert.equal(counts.get(d.eventId), 2, `event ${d.eventId} arrived ${counts.get(d.eventId)} times`);
    assert.equal(r.received.length, 100);
    assert.ok(r.received.every((q) => q.verified));
    assert.equal(await stateCount("SELECT count(*)::int AS n FROM event_deliveries WHERE subscription_id = $1 AND state = 'succeeded'"), 50);

    // A second recovery of the same window finds nothing dead any more.
    const again = await main.call('POST', `/v1/subscriptions/${subId}/recover`, { since });
    const second = await waitFor(async () => {
      const p = (await main.call('GET', `/v1/subscriptions/${subId}/recoveries/${again.body.id}`)).body;
      return p.state === 'completed' ? p : undefined;
    }, 'the second recovery');
    assert.deepEqual([second.matched, second.resent], [0, 0]);
  });

  void test('a disabled subscription: recovery is refused with 409 saying why and how; "enable": true re-enables and resends; skips are counted by reason', async () => {
    let answer = 500;
    const r = await pool.start(() => ({ status: answer }));
    const created = await main.call('POST', '/v1/subscriptions', { url: r.url, eventTypes: ['recover.off'] });
    const subId = created.body.id;
    const since = new Date(Date.now() - 1000).toISOString();
    const recoveries = async () => {
      let n = 0;
      for await (const _ of main.temporal.client.workflow.list({ query: `WorkflowId STARTS_WITH "recover-${subId}"` })) n++;
      return n;
    };
    const finished = (id: string) =>
      waitFor(async () => {
        const p = (await main.call('GET', `/v1/subscriptions/${subId}/recoveries/${id}`)).body;
        return p.state === 'completed' ? p : undefined;
      }, `recovery ${id}`, 60_000);
    const deadCount = async () =>
      (await main.db.query("SELECT count(*)::int AS n FROM event_deliveries WHERE subscription_id = $1 AND state IN ('dead_lettered', 'discarded')", [subId])).rows[0].n as number;

    // Three dead letters, then a 410 Gone disables the subscription, with its reason.
    const batch = await main.call('POST', '/v1/events/batch', { events: [1, 2, 3].map((i) => ({ type: 'recover.off', data: { i } })) });
    assert.equal(batch.status, 202);
    await waitFor(async () => ((await deadCount()) === 3 ? true : undefined), '3 dead letters');
    answer = 410;
    assert.equal((await main.call('POST', '/v1/events', { type: 'recover.off', data: { i: 4 } })).status, 202);
    const off = await waitFor(async () => {
      const s = (await main.call('GET', `/v1/subscriptions/${subId}`)).body;
      return s.active === false && (await deadCount()) === 4 ? s : undefined;
    }, 'the subscription to be disabled by the 410');
    assert.match(off.disabledReason, /410 Gone/);

    // Refused, saying that it is disabled, why, and how to enable it; nothing is started.
    answer = 200;
    const refused = await main.call('POST', `/v1/subscriptions/${subId}/recover`, { since });
    assertProblem(refused, 409, ['body.enable']);
    assert.match(refused.body.detail, /is disabled \(endpoint answered 410 Gone/);
    assert.match(refused.body.detail, /"active": true/);
    assert.match(refused.body.detail, /"enable": true/);
    assert.equal(await recoveries(), 0, 'no recovery was started');

    // "enable": true re-enables it; a subscription disabled again before the job runs has its deliveries
    // skipped, counted under their reason (the worker is stopped so the order is certain).
    await main.worker!.stop();
    const enabled = await main.call('POST', `/v1/subscriptions/${subId}/recover`, { since, enable: true });
    assert.equal(enabled.status, 202, JSON.stringify(enabled.body));
    assert.deepEqual(enabled.body.skippedByReason, {});
    const back = (await main.call('GET', `/v1/subscriptions/${subId}`)).body;
    assert.deepEqual([back.active, back.disabledReason], [true, null]);
    assert.equal((await main.call('PATCH', `/v1/subscriptions/${subId}`, { active: false })).status, 200);
    await main.startWorker();
    const skipped = await finished(enabled.body.id);
    assert.deepEqual([skipped.matched, skipped.resent, skipped.skipped, skipped.skippedByReason], [4, 0, 4, { subscription_disabled: 4 }]);

    // With it enabled again, the same window resends all four.
    const resend = await main.call('POST', `/v1/subscriptions/${subId}/recover`, { since, enable: true });
    assert.equal(resend.status, 202, JSON.stringify(resend.body));
    const done = await finished(resend.body.id);
    assert.deepEqual([done.matched, done.resent, done.skipped, done.skippedByReason], [4, 4, 0, {}]);
    await waitFor(() => (r.received.filter((q) => q.body.includes('recover.off')).length === 8 ? true : undefined), 'four more arrivals');
  });

  void test('bad windows and foreign subscriptions name the field and start nothing', async () => {
    const sub = await main.call('POST', '/v1/subscriptions', { url: 'http://127.0.0.1:9/x', eventTypes: ['never.sent'] });
    const id = sub.body.id;
    const now = Date.now();
    assertProblem(await main.call('POST', `/v1/subscriptions/${id}/recover`, { since: new Date(now).toISOString(), until: new Date(now - 1000).toISOString() }), 400, ['body.since']);
    assertProblem(await main.call('POST', `/v1/subscriptions/${id}/recover`, { since: new Date(now - 31 * 86_400_000).toISOString() }), 400, ['body.since']);
    assertProblem(await main.call('POST', `/v1/subscriptions/${id}/recover`, { since: 'yesterday' }), 400, ['body.since']);
    assertProblem(await main.call('POST', `/v1/subscriptions/${id}/recover`, {}), 400, ['body.since']);
    assertProblem(await main.call('POST', '/v1/subscriptions/sub_nope/recover', { since: new Date(now - 1000).toISOString() }), 404);
    assertProblem(await main.call('GET', `/v1/subscriptions/${id}/recoveries/recover-${id}-nothing`), 404);
    const other = await main.call('POST', '/v1/subscriptions', { url: 'http://127.0.0.1:9/y', eventTypes: ['never.sent'] });
    // One subscription's recovery is never readable through another's path.
    assertProblem(await main.call('GET', `/v1/subscriptions/${id}/recoveries/recover-${other.body.id}-x`), 404);
    let n = 0;
    for await (const _ of main.temporal.client.workflow.list({ query: `WorkflowId STARTS_WITH "recover-${id}"` })) n++;
    assert.equal(n, 0, 'no recovery was started');
  });
});
