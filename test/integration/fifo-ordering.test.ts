import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { deliveryStatus, waitForState } from '../support/engine';
import { scrape, total } from '../support/metrics';
import { orderViolations, repeatsAfter2xx, sendNumbered, startOrderedReceiver, type OrderedReceiver } from '../support/ordered-receiver';
import { API_KEY, startStack, waitFor, type Stack } from '../support/stack';
import { busiestWindow } from '../support/timed-receiver';

let counter = 0;

async function subscribeFifo(stack: Stack, r: OrderedReceiver, body: Record<string, unknown> = {}): Promise<{ id: string; eventType: string }> {
  const eventType = `fifo.case_${++counter}`;
  const res = await stack.call('POST', '/v1/subscriptions', { url: `${r.url}/hook`, eventTypes: [eventType], ordering: 'fifo', ...body });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  assert.equal(res.body.ordering, 'fifo');
  return { id: res.body.id, eventType };
}

void describe('FIFO subscriptions: one delivery at a time, in the order of acceptance', () => {
  let stack: Stack;
  const receivers: OrderedReceiver[] = [];
  const receiver = async (answer?: OrderedReceiver['answer']) => {
    const r = await startOrderedReceiver(answer);
    receivers.push(r);
    return r;
  };

  before(async () => {
    // The stack's retry policy is short (50 ms, at most 200 ms, 3 attempts): a retried event costs little.
    stack = await startStack();
  });
  after(async () => {
    await stack?.stop();
    await Promise.all(receivers.map((r) => r.close()));
  });

  void test('1,000 events, the first attempt of every seventh answered 500: every attempt of n+1 after n was answered 2xx, all arrive', async (t) => {
    const r = await receiver();
    const sub = await subscribeFifo(stack, r);
    const started = Date.now();
    const ids = await sendNumbered((m, p, b) => stack.call(m, p, b), sub.eventType, 1_000);
    assert.equal(ids.length, 1_000);
    // The order was decided at acceptance: places 1..1000 in the order the events were sent.
    const { rows } = await stack.db.query<{ delivery_id: string; sequence: string }>(
      'SELECT delivery_id, sequence FROM event_deliveries WHERE subscription_id = $1 ORDER BY sequence',
      [sub.id],
    );
    assert.deepEqual(rows.map((row) => row.delivery_id), ids);
    assert.deepEqual(rows.map((row) => Number(row.sequence)), ids.map((_, i) => i + 1));

    await waitFor(() => r.delivered.size === 1_000, 'all 1,000 events answered 2xx', 600_000, 250).catch((err: Error) => {
      throw new Error(`${err.message}; ${r.delivered.size} delivered, ${r.attempts.length} attempts`);
    });
    const seconds = (Date.now() - started) / 1000;
    t.diagnostic(`1,000 FIFO deliveries (142 retried once) in ${seconds.toFixed(1)} s, ${(1000 / seconds).toFixed(1)}/s`);
    assert.deepEqual(orderViolations(r.attempts, 1_000), []);
    // 142 events (n = 6, 13, ..., 993) failed once, then succeeded: 1,142 attempts in all.
    assert.equal(r.attempts.filter((a) => a.status === 500).length, 142);
    await waitForState(stack, ids[999]!, 'succeeded', 20_000);
    await new Promise((res) => setTimeout(res, 300));
    // Delivery is at least once: an attempt whose answer a timed-out workflow task lost is sent again
    // (seen on an overloaded box), and then still before anything behind it (orderViolations checks that).
    const repeats = repeatsAfter2xx(r.attempts);
    t.diagnostic(`repeats after a 2xx: ${JSON.stringify(repeats)}`);
    assert.equal(r.attempts.length, 1_142 + repeats.length);
    assert.deepEqual(orderViolations(r.attempts, 1_000), []);
    const line = await stack.call('GET', `/v1/subscriptions/${sub.id}/ordering`);
    assert.equal(line.status, 200);
    assert.deepEqual(
      { blocked: line.body.blocked, head: line.body.head, next: line.body.next, lastSequence: line.body.lastSequence, waiting: line.body.waiting, behind: line.body.behind },
      { blocked: false, head: null, next: 1_001, lastSequence: 1_000, waiting: 0, behind: 0 },
    );
  });

  void test('a dead letter blocks the line, shown by the API and a metric; discarding it releases the line', async () => {
    // Event 1 fails every attempt until discarded.
    const r = await receiver((n) => (n === 1 ? 500 : 200));
    const sub = await subscribeFifo(stack, r);
    const ids = await sendNumbered((m, p, b) => stack.call(m, p, b), sub.eventType, 5);
    await waitForState(stack, ids[1]!, 'dead_lettered', 20_000);

    const blocked = await waitFor(async () => {
      const res = await stack.call('GET', `/v1/subscriptions/${sub.id}/ordering`);
      return res.body.blocked && res.body.waiting === 3 ? res.body : undefined;
    }, 'the line to show it is blocked with three waiting', 10_000);
    assert.equal(blocked.head.deliveryId, ids[1]);
    assert.equal(blocked.head.sequence, 2);
    assert.equal(typeof blocked.head.blockedSince, 'string');
    assert.equal(blocked.behind, 3);
    // Waiting deliveries read `scheduled` and say they wait for their turn.
    const third = await deliveryStatus(stack, ids[2]!);
    assert.equal(third.state, 'scheduled');
    assert.equal(third.attempts, 0);
    assert.equal(third.fifo.sequence, 3);
    assert.equal(typeof third.fifo.waitingSince, 'string');
    // Nothing behind the dead letter went out, however long it is held.
    await new Promise((res) => setTimeout(res, 1_000));
    assert.deepEqual([...r.delivered].sort(), [0]);
    const samples = await waitFor(async () => {
      const { samples } = await scrape(`${stack.url}/metrics`, API_KEY);
      return total(samples, 'hookflow_fifo_blocked_lines') >= 1 ? samples : undefined;
    }, 'the blocked-lines gauge', 10_000, 250);
    assert.ok(total(samples, 'hookflow_fifo_waiting_deliveries') >= 3);

    const discarded = await stack.call('POST', `/v1/deliveries/${ids[1]}/discard`, { reason: 'test' });
    assert.equal(discarded.status, 202);
    await waitFor(() => r.delivered.size === 4, 'events 2, 3 and 4 after the discard', 20_000);
    assert.deepEqual([...r.delivered].sort(), [0, 2, 3, 4]);
    assert.deepEqual(orderViolations(r.attempts.filter((a) => a.n !== 1), 5, 2), []);
    const idle = await stack.call('GET', `/v1/subscriptions/${sub.id}/ordering`);
    assert.equal(idle.body.blocked, false);
  });

  void test('redelivering the dead-lettered head and succeeding lets the line move on; an old resend takes no place', async () => {
    let healed = false;
    const r = await receiver((n) => (n === 1 && !healed ? 500 : 200));
    const sub = await subscribeFifo(stack, r);
    const ids = await sendNumbered((m, p, b) => stack.call(m, p, b), sub.eventType, 4);
    await waitForState(stack, ids[1]!, 'dead_lettered', 20_000);
    await waitForState(stack, ids[0]!, 'succeeded', 10_000);
    // Resending the old, succeeded event 0 is a separate resend: it goes at once, the line stays held.
    const resend = await stack.call('POST', `/v1/deliveries/${ids[0]}/redeliver`);
    assert.equal(resend.status, 202, JSON.stringify(resend.body));
    await waitFor(() => r.attempts.filter((a) => a.n === 0).length === 2, 'the resend of event 0', 10_000);
    const resent = r.attempts.filter((a) => a.n === 0)[1]!;
    assert.equal(r.delivered.has(2), false);
    assert.equal((await stack.call('GET', `/v1/subscriptions/${sub.id}/ordering`)).body.head.deliveryId, ids[1]);

    healed = true;
    const redelivered = await stack.call('POST', `/v1/deliveries/${ids[1]}/redeliver`);
    assert.equal(redelivered.status, 202, JSON.stringify(redelivered.body));
    await waitFor(() => r.delivered.size === 4, 'events 1, 2, 3 after the redelivery', 20_000);
    // The line's order, apart from the deliberate resend of event 0 (it took no place in the line).
    assert.deepEqual(orderViolations(r.attempts.filter((a) => a !== resent), 4), []);
  });

  void test('FIFO with throttle.perSecond 10: ordered and paced', async () => {
    const r = await receiver();
    const sub = await subscribeFifo(stack, r, { throttle: { perSecond: 10 } });
    const ids = await sendNumbered((m, p, b) => stack.call(m, p, b), sub.eventType, 40);
    await waitFor(() => r.delivered.size === 40, 'all 40 events', 60_000, 200);
    await waitForState(stack, ids[39]!, 'succeeded', 10_000);
    assert.deepEqual(orderViolations(r.attempts, 40), []);
    const arrivals = r.attempts.map((a) => a.arrivedAt);
    const busiest = busiestWindow(arrivals);
    const span = (arrivals[arrivals.length - 1]! - arrivals[0]!) / 1000;
    assert.ok(busiest <= 11, `busiest one-second window held ${busiest} requests`);
    // 45 requests (5 retried) at most 10 a second: at least 4 s.
    assert.ok(span >= 4, `45 requests took ${span} s`);
  });

  void test('ordering is validated, defaults to none, and is changed by PATCH for events accepted after it', async () => {
    const r = await receiver();
    const bad = await stack.call('POST', '/v1/subscriptions', { url: `${r.url}/hook`, ordering: 'lifo' });
    assert.equal(bad.status, 400);
    assert.ok(JSON.stringify(bad.body).includes('body.ordering'), JSON.stringify(bad.body));
    const eventType = `fifo.case_${++counter}`;
    const created = await stack.call('POST', '/v1/subscriptions', { url: `${r.url}/hook`, eventTypes: [eventType] });
    assert.equal(created.body.ordering, 'none');
    const before = await sendNumbered((m, p, b) => stack.call(m, p, b), eventType, 1);
    const patched = await stack.call('PATCH', `/v1/subscriptions/${created.body.id}`, { ordering: 'fifo' });
    assert.equal(patched.status, 200);
    assert.equal(patched.body.ordering, 'fifo');
    const afterIds = await sendNumbered((m, p, b) => stack.call(m, p, b), eventType, 10, 1);
    await waitFor(() => r.delivered.size === 11, 'all 11 events', 20_000);
    assert.deepEqual(orderViolations(r.attempts, 11, 1), []);
    const { rows } = await stack.db.query<{ sequence: string | null }>(
      'SELECT sequence FROM event_deliveries WHERE delivery_id = ANY($1) ORDER BY sequence NULLS FIRST',
      [[...before, ...afterIds]],
    );
    assert.deepEqual(rows.map((row) => (row.sequence === null ? null : Number(row.sequence))), [null, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const badPatch = await stack.call('PATCH', `/v1/subscriptions/${created.body.id}`, { ordering: 'random' });
    assert.equal(badPatch.status, 400);
  });
});
