import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startStack, waitFor, type Stack } from '../support/stack';
import { createTenant } from '../support/tenants';
import { startTimedReceiver, type TimedReceiver } from '../support/timed-receiver';

// Tenant A's endpoints never answer; the request timeout is the production default, so a held slot
// stays held for as long as it would in production.
const HANGING = Number(process.env.NOISY_ENDPOINTS ?? 250);

void describe('noisy neighbour: one tenant\'s hanging endpoints do not hold up another tenant', () => {
  let stack: Stack;
  const receivers: TimedReceiver[] = [];

  before(async () => {
    stack = await startStack({ HOOKFLOW_REQUEST_TIMEOUT_MS: '15000', HOOKFLOW_RETRY_MAX_ATTEMPTS: '2' });
  });
  after(async () => {
    await stack?.stop();
    await Promise.all(receivers.map((r) => r.close()));
  });

  void test(`${HANGING} never-answering endpoints of tenant A, then tenant B's event arrives within 2 s`, async () => {
    const hang = await startTimedReceiver({ delayMs: Infinity });
    const fast = await startTimedReceiver({});
    receivers.push(hang, fast);
    const a = await createTenant(stack, 'noisy');
    const b = await createTenant(stack, 'quiet');
    for (let i = 0; i < HANGING; i++) {
      const res = await a.call('POST', '/v1/subscriptions', { url: `${hang.url}/a/${i}`, eventTypes: ['load.tick'] });
      assert.equal(res.status, 201, JSON.stringify(res.body));
    }
    const subB = await b.call('POST', '/v1/subscriptions', { url: `${fast.url}/b`, eventTypes: ['load.tick'] });
    assert.equal(subB.status, 201);

    // B alone first: its latency without A, event by event (the first also proves the endpoint fast).
    const bLatency = async (): Promise<number> => {
      const before = fast.arrivals.length;
      const sentAt = Date.now();
      const ev = await b.call('POST', '/v1/events', { type: 'load.tick', data: {} });
      assert.equal(ev.status, 202);
      await waitFor(() => fast.arrivals.length > before, 'tenant B\'s delivery to arrive', 60_000, 10);
      return fast.arrivals[before]! - sentAt;
    };
    const alone: number[] = [];
    for (let i = 0; i < 5; i++) alone.push(await bLatency());

    const fanned = await a.call('POST', '/v1/events', { type: 'load.tick', data: {} });
    assert.equal(fanned.body.deliveries.length, HANGING);
    // A's requests are all out and hanging.
    await waitFor(() => hang.open >= Math.min(HANGING, 30), 'tenant A\'s requests to hang', 30_000);
    await new Promise((r) => setTimeout(r, 500));

    const during: number[] = [];
    for (let i = 0; i < 5; i++) during.push(await bLatency());
    console.log(`# noisy neighbour: ${HANGING} hanging endpoints of A (${hang.open} open now, most at once ${hang.maxOpen}); B alone ${JSON.stringify(alone)} ms, B during A's backlog ${JSON.stringify(during)} ms`);
    assert.ok(Math.max(...during) < 2_000, `tenant B's deliveries took ${JSON.stringify(during)} ms`);
    // A's hanging attempts are bounded by its lane, not by the worker's slots.
    assert.ok(hang.maxOpen <= 50, `tenant A had ${hang.maxOpen} requests open at once`);
  });
});
