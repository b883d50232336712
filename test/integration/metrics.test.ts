// /metrics on the API (admin key) and on the worker's own listener: after a known sequence of
// deliveries, every counter and histogram moved by exactly what that sequence did, and every metric
// name that the Grafana dashboard and the alert rules use is present in the output.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sendEvent, subscribe, waitForState } from '../support/engine';
import { receiverPool } from '../support/receiver';
import { scrape, total, type Sample } from '../support/metrics';
import { API_KEY, startStack, waitFor, type Stack } from '../support/stack';
import { createTenant } from '../support/tenants';

const MONITORING = path.resolve(__dirname, '..', '..', 'monitoring');

void describe('metrics: /metrics on the API and the worker', () => {
  let stack: Stack;
  const pool = receiverPool();
  const apiMetrics = () => scrape(`${stack.url}/metrics`, API_KEY);
  const workerMetrics = () => scrape(stack.worker!.metricsUrl!);

  before(async () => {
    stack = await startStack({ HOOKFLOW_METRICS_PORT: '0', HOOKFLOW_RETRY_MAX_ATTEMPTS: '3', HOOKFLOW_AUTO_DISABLE_AFTER: '0' });
  });
  after(async () => {
    await stack?.stop();
    await pool.closeAll();
  });

  void test('/metrics needs an admin API key on the API port; the worker listener is on loopback only', async () => {
    const tenant = await createTenant(stack);
    // A tenant token is a valid credential without the scope (403); the rest are no credential (401).
    for (const [authorization, status] of [[undefined, 401], [`Bearer ${API_KEY}x`, 401], [`Bearer ${tenant.token}`, 403], [API_KEY, 401]] as const) {
      const res = await fetch(`${stack.url}/metrics`, { headers: authorization ? { authorization } : {} });
      assert.equal(res.status, status, `authorization ${authorization?.slice(0, 12)}`);
      assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
      assert.doesNotMatch(await res.text(), /hookflow_/);
    }
    const ok = await fetch(`${stack.url}/metrics`, { headers: { authorization: `Bearer ${API_KEY}` } });
    assert.equal(ok.status, 200);
    assert.match(ok.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    assert.match(stack.worker!.metricsUrl!, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    assert.equal((await fetch(stack.worker!.metricsUrl!.replace('/metrics', '/other'))).status, 404);
  });

  void test('one delivery 500, 500, 200; one dead letter; one 410: the counters move by exactly that', async () => {
    const [api0, worker0] = [(await apiMetrics()).samples, (await workerMetrics()).samples];

    const flakyCalls = { n: 0 };
    const flaky = await pool.start(() => ({ status: ++flakyCalls.n <= 2 ? 500 : 200 }));
    const broken = await pool.start(() => ({ status: 500 }));
    const gone = await pool.start(() => ({ status: 410 }));
    const subs = [await subscribe(stack, flaky), await subscribe(stack, broken), await subscribe(stack, gone)];
    const [ok, dead, disabled] = await Promise.all(subs.map((s) => sendEvent(stack, s.eventType)));
    await waitForState(stack, ok!.deliveryId, 'succeeded');
    await waitForState(stack, dead!.deliveryId, 'dead_lettered');
    await waitForState(stack, disabled!.deliveryId, 'dead_lettered');
    // The dead-letter report runs as an activity after the state changes: wait for its count.
    await waitFor(async () => total((await workerMetrics()).samples, 'hookflow_dead_letters_total') - total(worker0, 'hookflow_dead_letters_total') >= 2, 'two dead letters counted');

    const [api1, worker1] = [(await apiMetrics()).samples, (await workerMetrics()).samples];
    const moved = (before: Sample[], afterS: Sample[], name: string, match: Record<string, string> = {}) =>
      total(afterS, name, match) - total(before, name, match);
    const w = (name: string, match?: Record<string, string>) => moved(worker0, worker1, name, match);
    const a = (name: string, match?: Record<string, string>) => moved(api0, api1, name, match);

    // Attempts: 500, 500, 200 + 500 ×3 + 410.
    assert.equal(w('hookflow_delivery_attempts_total', { status_class: '2xx' }), 1);
    assert.equal(w('hookflow_delivery_attempts_total', { status_class: '5xx' }), 5);
    assert.equal(w('hookflow_delivery_attempts_total', { status_class: '4xx' }), 1);
    assert.equal(w('hookflow_delivery_attempts_total'), 7);
    assert.equal(w('hookflow_delivery_attempt_duration_seconds_count'), 7);
    assert.equal(w('hookflow_delivery_attempt_duration_seconds_count', { status_class: '5xx' }), 5);
    assert.equal(w('hookflow_delivery_attempt_duration_seconds_bucket', { le: '+Inf' }), 7);
    assert.ok(w('hookflow_delivery_attempt_duration_seconds_sum') > 0);
    // Retries: two for the flaky endpoint, two for the broken one (its third attempt is the last), none after a 410.
    assert.equal(w('hookflow_delivery_retries_total'), 4);
    assert.equal(w('hookflow_deliveries_finished_total', { outcome: 'succeeded' }), 1);
    // A 410 stops the delivery at once and dead-letters it, like any other refusal.
    assert.equal(w('hookflow_deliveries_finished_total', { outcome: 'dead_lettered' }), 2);
    assert.equal(w('hookflow_deliveries_finished_total', { outcome: 'discarded' }), 0);
    assert.equal(w('hookflow_dead_letters_total'), 2);
    assert.equal(w('hookflow_subscriptions_disabled_total', { reason: 'gone' }), 1);
    assert.equal(w('hookflow_subscriptions_disabled_total', { reason: 'auto_disabled' }), 0);
    // End-to-end latency: the one success, accepted → its third attempt, so at least two backoffs (50 + 100 ms).
    assert.equal(w('hookflow_delivery_latency_seconds_count'), 1);
    assert.ok(w('hookflow_delivery_latency_seconds_sum') >= 0.15, `latency ${w('hookflow_delivery_latency_seconds_sum')}`);
    // Operational events are stored even with no operator subscribed: two dead letters, one disable.
    assert.equal(w('hookflow_operational_events_emitted_total', { type: 'hookflow.delivery.dead_lettered' }), 2);
    assert.equal(w('hookflow_operational_events_emitted_total', { type: 'hookflow.subscription.disabled' }), 1);
    assert.equal(w('hookflow_operational_events_emitted_total', { type: 'hookflow.delivery.failing' }), 0);

    // The API side: three ingest requests answered 202, three events accepted.
    assert.equal(a('hookflow_ingest_requests_total', { route: '/v1/events', status: '202' }), 3);
    assert.equal(a('hookflow_ingest_requests_total'), 3);
    assert.equal(a('hookflow_events_accepted_total'), 3);
    // The worker does not count ingest, and the API does not count attempts.
    assert.equal(total(worker1, 'hookflow_ingest_requests_total'), 0);
    assert.equal(total(api1, 'hookflow_delivery_attempts_total'), 0);

    // A replayed request is an ingest request but not a newly accepted event; a refused one is a 400.
    const replay = { type: subs[0]!.eventType, data: { n: 1 } };
    assert.equal((await stack.call('POST', '/v1/events', replay, { 'idempotency-key': 'k-metrics' })).status, 202);
    assert.equal((await stack.call('POST', '/v1/events', replay, { 'idempotency-key': 'k-metrics' })).status, 202);
    assert.equal((await stack.call('POST', '/v1/events/batch', { events: [{ type: 'Bad Type', data: 1 }] })).status, 400);
    const api2 = (await apiMetrics()).samples;
    assert.equal(moved(api1, api2, 'hookflow_ingest_requests_total', { route: '/v1/events', status: '202' }), 2);
    assert.equal(moved(api1, api2, 'hookflow_ingest_requests_total', { route: '/v1/events/batch', status: '400' }), 1);
    assert.equal(moved(api1, api2, 'hookflow_events_accepted_total'), 1);
  });

  void test('gauges: fan-out backlog drains to zero, the pool is visible, and the Temporal SDK metrics are on the worker', async () => {
    // Drained: no event waits in PostgreSQL and no start waits in the process. The two gauges are read
    // one after the other, so an event dispatched a moment ago may still show its start queued.
    const api = await waitFor(async () => {
      const { samples } = await apiMetrics();
      const drained = ['hookflow_fanout_pending_events', 'hookflow_fanout_oldest_pending_age_seconds', 'hookflow_fanout_queued_starts'].every((n) => total(samples, n) === 0);
      return drained ? samples : undefined;
    }, 'the fan-out backlog to drain');
    assert.ok(api.some((s) => s.name === 'hookflow_fanout_queued_starts'), 'the queued-starts gauge is exported');
    for (const { samples } of [await apiMetrics(), await workerMetrics()]) {
      assert.ok(samples.some((s) => s.name === 'hookflow_db_pool_connections_in_use'));
      assert.ok(samples.some((s) => s.name === 'hookflow_db_pool_waiting_clients'));
    }
    const { samples: worker } = await workerMetrics();
    for (const name of ['hookflow_temporal_workflow_task_schedule_to_start_latency_bucket', 'hookflow_temporal_activity_schedule_to_start_latency_bucket', 'hookflow_temporal_worker_task_slots_available', 'hookflow_temporal_sticky_cache_size']) {
      assert.ok(samples(worker, name) > 0, `${name} on the worker's /metrics`);
    }
    // Every name is hookflow's: ours and, under a prefix, the SDK's.
    const foreign = [...new Set(worker.map((s) => s.name).filter((n) => !n.startsWith('hookflow_')))];
    assert.deepEqual(foreign, []);
  });

  void test('labels stay bounded: no delivery, event or subscription ID in any label', async () => {
    const { rows } = await stack.db.query<{ id: string }>(
      'SELECT delivery_id AS id FROM event_deliveries UNION SELECT event_id FROM event_deliveries UNION SELECT id FROM subscriptions',
    );
    assert.ok(rows.length > 5);
    const text = (await apiMetrics()).text + (await workerMetrics()).text;
    for (const { id } of rows) assert.ok(!text.includes(id), `${id} appears in /metrics`);
  });

  void test('every hookflow_ metric the dashboard and the alert rules use is in the /metrics output', async () => {
    const files = [
      ...readdirSync(path.join(MONITORING, 'prometheus')).map((f) => path.join(MONITORING, 'prometheus', f)),
      ...readdirSync(path.join(MONITORING, 'grafana', 'dashboards')).map((f) => path.join(MONITORING, 'grafana', 'dashboards', f)),
    ].filter((f) => /\.(ya?ml|json)$/.test(f));
    const used = new Set(files.flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/\bhookflow_[a-z0-9_]+/g)].map((m) => m[0])));
    assert.ok(used.size >= 10, `found only ${[...used].join(', ')}`);
    const present = new Set([...(await apiMetrics()).samples, ...(await workerMetrics()).samples].map((s) => s.name));
    const missing = [...used].filter((name) => !present.has(name));
    assert.deepEqual(missing, [], `used by ${files.map((f) => path.relative(MONITORING, f)).join(', ')} but absent from /metrics`);
  });
});

const samples = (list: Sample[], name: string) => list.filter((s) => s.name === name).length;
