import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { deliveryStatus, waitForState } from '../support/engine';
import { scrape, total } from '../support/metrics';
import { API_KEY, startStack, waitFor, type Stack } from '../support/stack';
import { busiestWindow, startTimedReceiver, type TimedReceiver } from '../support/timed-receiver';

let counter = 0;

async function subscribeThrottled(stack: Stack, r: TimedReceiver, throttle: Record<string, number>): Promise<{ id: string; eventType: string }> {
  const eventType = `throttle.case_${++counter}`;
  const res = await stack.call('POST', '/v1/subscriptions', { url: `${r.url}/hook`, eventTypes: [eventType], throttle });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  assert.deepEqual(res.body.throttle, throttle);
  return { id: res.body.id, eventType };
}

/** Sends `n` events of `type` in batches; returns every delivery ID. */
async function sendMany(stack: Stack, type: string, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let sent = 0; sent < n; sent += 100) {
    const events = Array.from({ length: Math.min(100, n - sent) }, (_, i) => ({ type, data: { i: sent + i } }));
    const res = await stack.call('POST', '/v1/events/batch', { events });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    for (const e of res.body.data) ids.push(...e.deliveries.map((d: { id: string }) => d.id));
  }
  return ids;
}

async function attemptOutcomes(stack: Stack, subscriptionId: string): Promise<{ outcome: string; attempt: number; n: number }[]> {
  const { rows } = await stack.db.query<{ outcome: string; attempt: number; n: number }>(
    `SELECT a.outcome, a.attempt, count(*)::int AS n FROM delivery_attempts a JOIN event_deliveries d ON d.delivery_id = a.delivery_id
     WHERE d.subscription_id = $1 GROUP BY 1, 2 ORDER BY 1, 2`,
    [subscriptionId],
  );
  return rows;
}

void describe('per-endpoint throttling through the endpoint limiter workflow', () => {
  let stack: Stack;
  const receivers: TimedReceiver[] = [];
  const receiver = async (opts: Parameters<typeof startTimedReceiver>[0]) => {
    const r = await startTimedReceiver(opts);
    receivers.push(r);
    return r;
  };

  before(async () => {
    stack = await startStack({ HOOKFLOW_REQUEST_TIMEOUT_MS: '5000' });
  });
  after(async () => {
    await stack?.stop();
    await Promise.all(receivers.map((r) => r.close()));
  });

  void test('perSecond 20 with 300 deliveries: no one-second window holds more than 21, all arrive, waiting is no failed attempt', async () => {
    const r = await receiver({});
    const sub = await subscribeThrottled(stack, r, { perSecond: 20 });
    const ids = await sendMany(stack, sub.eventType, 300);
    assert.equal(ids.length, 300);

    // While the line is long, deliveries wait as `scheduled`, the endpoint says it is holding them back.
    const flow = await waitFor(async () => {
      const res = await stack.call('GET', `/v1/subscriptions/${sub.id}/throttle`);
      return res.body.waiting > 50 ? res.body : undefined;
    }, 'deliveries waiting for the throttle', 10_000);
    assert.equal(flow.throttled, true);
    assert.deepEqual(flow.throttle, { perSecond: 20 });
    // The last in line waits longest; one status query at a time keeps a busy worker answering.
    const waitingOne = await waitFor(async () => {
      const s = await deliveryStatus(stack, ids[299]!);
      return s.throttledSince ? s : undefined;
    }, 'the last delivery showing it waits for a slot', 30_000, 250);
    assert.equal(waitingOne.state, 'scheduled');
    assert.equal(waitingOne.attempts, 0);
    // The gauges read the limiters' counts (written at most once a second) from Temporal visibility.
    const gauges = await waitFor(async () => {
      const { samples } = await scrape(`${stack.url}/metrics`, API_KEY);
      return total(samples, 'hookflow_throttle_waiting_deliveries') > 0 ? samples : undefined;
    }, 'the throttle gauges to show the line', 10_000, 250);
    assert.equal(total(gauges, 'hookflow_throttled_endpoints'), 1);
    // Waiting deliveries count in the status the queue-depth views filter on.
    const scheduled = await stack.call('GET', `/v1/deliveries?subscriptionId=${sub.id}&status=scheduled&limit=100`);
    assert.ok(scheduled.body.data.length > 0);

    await waitFor(() => r.arrivals.length >= 300, 'all 300 deliveries to arrive', 120_000, 200).catch(async (err: Error) => {
      const flowNow = (await stack.call('GET', `/v1/subscriptions/${sub.id}/throttle`)).body;
      const seconds = r.arrivals.map((a) => Math.floor((a - r.arrivals[0]!) / 1000)).reduce<number[]>((n, k) => ((n[k] = (n[k] ?? 0) + 1), n), []);
      throw new Error(`${err.message}; ${r.arrivals.length} arrived, per second ${JSON.stringify(seconds)}; limiter ${JSON.stringify(flowNow)}`);
    });
    const span = (r.arrivals[299]! - r.arrivals[0]!) / 1000;
    const busiest = busiestWindow(r.arrivals);
    const perSecond = r.arrivals.map((a) => Math.floor((a - r.arrivals[0]!) / 1000)).reduce<number[]>((n, k) => ((n[k] = (n[k] ?? 0) + 1), n), []);
    console.log(`# perSecond 20: 300 arrivals over ${span.toFixed(1)} s, busiest one-second window ${busiest}, per second ${JSON.stringify(perSecond)}`);
    assert.ok(busiest <= 21, `busiest one-second window held ${busiest} arrivals`);
    // Paced: the line cannot go faster than the rate. (The slots run at 20 × 1000/1200 per second,
    // 18 s for 300; a busy box adds seconds, each missed slot going back to the head of the line.)
    assert.ok(span >= 14, `300 arrivals took ${span} s`);

    await waitForState(stack, ids[299]!, 'succeeded', 10_000);
    await waitFor(async () => (await attemptOutcomes(stack, sub.id)).reduce((n, o) => n + o.n, 0) === 300, 'every attempt logged', 10_000);
    assert.deepEqual(await attemptOutcomes(stack, sub.id), [{ outcome: 'succeeded', attempt: 1, n: 300 }]);
    await new Promise((res) => setTimeout(res, 300));
    assert.equal(r.arrivals.length, 300, 'each delivery arrived exactly once');
  });

  void test('maxInFlight 2 against an endpoint that takes 1 s: never more than 2 open', async () => {
    const r = await receiver({ delayMs: 1_000 });
    const sub = await subscribeThrottled(stack, r, { maxInFlight: 2 });
    const ids = await sendMany(stack, sub.eventType, 8);
    await waitFor(() => r.arrivals.length >= 8, 'all 8 deliveries to arrive', 20_000);
    await waitForState(stack, ids[7]!, 'succeeded', 10_000);
    assert.equal(r.maxOpen, 2, `at most ${r.maxOpen} open at once`);
    // Two at a time, one second each: four waves.
    const span = r.arrivals[7]! - r.arrivals[0]!;
    assert.ok(span >= 2_900, `8 requests of 1 s, 2 at a time, spread over ${span} ms`);
  });

  void test('retries take a slot too, and a failed attempt is the endpoint\'s answer only', async () => {
    let calls = 0;
    const r = await receiver({});
    const { default: http } = await import('node:http');
    const flaky = http.createServer((req, res) => {
      calls += 1;
      r.arrivals.push(Date.now());
      req.resume();
      res.writeHead(calls === 1 ? 503 : 200).end();
    });
    await new Promise<void>((resolve) => flaky.listen(0, '127.0.0.1', resolve));
    try {
      const port = (flaky.address() as { port: number }).port;
      const eventType = `throttle.case_${++counter}`;
      const created = await stack.call('POST', '/v1/subscriptions', { url: `http://127.0.0.1:${port}/hook`, eventTypes: [eventType], throttle: { maxInFlight: 1, perSecond: 5 } });
      assert.equal(created.status, 201);
      const res = await stack.call('POST', '/v1/events', { type: eventType, data: {} });
      const id = res.body.deliveries[0].id;
      const done = await waitForState(stack, id, 'succeeded', 30_000);
      assert.equal(done.attempts, 2);
      assert.deepEqual(await attemptOutcomes(stack, created.body.id), [
        { outcome: 'failed', attempt: 1, n: 1 },
        { outcome: 'succeeded', attempt: 2, n: 1 },
      ]);
    } finally {
      await new Promise((resolve) => flaky.close(resolve));
    }
  });

  void test('throttle is validated, shown, changed and removed', async () => {
    const r = await receiver({});
    const bad = await stack.call('POST', '/v1/subscriptions', { url: `${r.url}/hook`, throttle: { perSecond: 0 } });
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(bad.body), /throttle\.perSecond/);
    const empty = await stack.call('POST', '/v1/subscriptions', { url: `${r.url}/hook`, throttle: {} });
    assert.equal(empty.status, 400);
    const sub = await subscribeThrottled(stack, r, { maxInFlight: 3 });
    const patched = await stack.call('PATCH', `/v1/subscriptions/${sub.id}`, { throttle: { perSecond: 2.5 } });
    assert.equal(patched.status, 200);
    assert.deepEqual(patched.body.throttle, { perSecond: 2.5 });
    const removed = await stack.call('PATCH', `/v1/subscriptions/${sub.id}`, { throttle: null });
    assert.equal(removed.body.throttle, null);
    const flow = await stack.call('GET', `/v1/subscriptions/${sub.id}/throttle`);
    assert.deepEqual(flow.body, { subscriptionId: sub.id, throttle: null, throttled: false, waiting: 0, inFlight: 0 });
  });
});
