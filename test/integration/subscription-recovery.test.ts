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
