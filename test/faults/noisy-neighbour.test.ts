import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client as PgClient } from 'pg';
import { createTenant } from '../support/tenants';
import { startTimedReceiver, type TimedReceiver } from '../support/timed-receiver';
import { report, sharedDatabase, sharedTemporalAddress, waitFor } from './support/backends';
import { Hookflow } from './support/hookflow';

// Tenant A's endpoints never answer; the request timeout is the production default, so a held slot
// stays held for as long as it would in production.
const HANGING = Number(process.env.NOISY_ENDPOINTS ?? 250);
// Tenant B's events, one after another, alone and then during A's backlog.
const SAMPLES = 50;
// The tenant lane's in-flight cap (HOOKFLOW_SLOW_LANE_IN_FLIGHT, its default).
const LANE = 50;
const quantile = (q: number) => (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.min(xs.length - 1, Math.ceil(q * xs.length) - 1)]!;
const p50 = quantile(0.5);
const p99 = quantile(0.99);

void describe('fault: one tenant\'s hanging endpoints do not hold up another tenant (API + 2 workers)', () => {
  let hf: Hookflow;
  let db: PgClient;
  const receivers: TimedReceiver[] = [];

  before(async () => {
    const databaseUrl = await sharedDatabase();
    db = new PgClient({ connectionString: databaseUrl });
    await db.connect();
    hf = new Hookflow({
      databaseUrl,
      temporalAddress: sharedTemporalAddress(),
      // One attempt each: A's first wave ends at its timeouts, and the second wave is the lane's alone.
      env: { HOOKFLOW_REQUEST_TIMEOUT_MS: '15000', HOOKFLOW_RETRY_MAX_ATTEMPTS: '1', HOOKFLOW_SLOW_LANE_IN_FLIGHT: String(LANE) },
    });
    await hf.migrate();
    await hf.startApi();
    await hf.startWorker();
    await hf.startWorker();
  });
  after(async () => {
    await hf?.kill();
    await db?.end();
    await Promise.all(receivers.map((r) => r.close()));
  });

  void test(`${HANGING} never-answering endpoints of tenant A, then tenant B's event arrives within 2 s`, { timeout: 240_000 }, async () => {
    const hang = await startTimedReceiver({ delayMs: Infinity });
    const fast = await startTimedReceiver({});
    receivers.push(hang, fast);
    const api = { url: hf.apiUrl, call: hf.call.bind(hf) };
    const a = await createTenant(api, 'noisy');
    const b = await createTenant(api, 'quiet');
    for (let i = 0; i < HANGING; i++) {
      const res = await a.call('POST', '/v1/subscriptions', { url: `${hang.url}/a/${i}`, eventTypes: ['load.tick'] });
      assert.equal(res.status, 201, JSON.stringify(res.body));
    }
    const subB = await b.call('POST', '/v1/subscriptions', { url: `${fast.url}/b`, eventTypes: ['load.tick'] });
    assert.equal(subB.status, 201);

    // B's latency, event by event: from the accepted POST to the arrival at its endpoint.
    const bLatency = async (): Promise<number> => {
      const before = fast.arrivals.length;
      const sentAt = Date.now();
      const ev = await b.call('POST', '/v1/events', { type: 'load.tick', data: {} });
      assert.equal(ev.status, 202);
      await waitFor(() => fast.arrivals.length > before, 'tenant B\'s delivery to arrive', 60_000, 10);
      return fast.arrivals[before]! - sentAt;
    };
    // B's first event also proves its endpoint fast (a new endpoint's first attempt is a regular activity).
    await bLatency();
    const alone: number[] = [];
    for (let i = 0; i < SAMPLES; i++) alone.push(await bLatency());

    const fanned = await a.call('POST', '/v1/events', { type: 'load.tick', data: {} });
    assert.equal(fanned.body.deliveries.length, HANGING);
    // B's next event goes out at once, while A's fan-out is still being started.
    const first = await bLatency();
    // Then A's backlog stands: every one of A's requests is out and hanging.
    await waitFor(() => hang.open >= HANGING, 'tenant A\'s requests to hang', 60_000);
    await new Promise((r) => setTimeout(r, 500));

    const during: number[] = [];
    for (let i = 0; i < SAMPLES; i++) during.push(await bLatency());
    const [p99Alone, p99During] = [p99(alone), p99(during)];
    report('noisy-neighbour', {
      hangingEndpoints: HANGING,
      openNow: hang.open,
      mostOpenAtOnce: hang.maxOpen,
      bAloneMs: { p50: p50(alone), p99: p99Alone },
      bFirstAfterAsEventMs: first,
      bDuringMs: { p50: p50(during), p99: p99During, max: Math.max(...during) },
    });
    assert.ok(first < 2_000, `tenant B's delivery right after A's event took ${first} ms`);
    assert.ok(Math.max(...during) < 2_000, `tenant B's deliveries took up to ${Math.max(...during)} ms`);
    assert.ok(p99During <= 3 * p99Alone, `B's p99 during A's backlog ${p99During} ms > 3 × its p99 alone (${p99Alone} ms)`);
    assert.equal(hang.open, HANGING, 'A\'s requests were still hanging while B was measured');

    // A's endpoints were new: their first attempts were regular activities, which hold activity
    // slots, never the workflow-task slots B's local attempts need. Their timeouts mark them slow,
    // so A's next event takes A's lane: at most LANE of its requests open at once.
    await waitFor(() => hang.open === 0, "A's first wave to time out", 60_000, 100);
    // An attempt records its endpoint slow after its request has timed out, so the receiver sees the
    // last connection close a moment before the last record is written: wait for the records.
    const knownSlow = async () =>
      (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM subscriptions WHERE tenant_id = $1 AND last_slow_at IS NOT NULL', [a.id])).rows[0]!.n;
    await waitFor(async () => ((await knownSlow()) === HANGING ? true : undefined), "every one of A's endpoints known slow after its timeout", 10_000, 100).catch(async (err: Error) => {
      throw new Error(`${err.message}: ${await knownSlow()} of ${HANGING}`);
    });
    const arrivedBefore = hang.arrivals.length;
    const second = await a.call('POST', '/v1/events', { type: 'load.tick', data: {} });
    assert.equal(second.status, 202);
    let mostOpen = 0;
    await waitFor(() => {
      mostOpen = Math.max(mostOpen, hang.open);
      return hang.arrivals.length - arrivedBefore >= LANE ? true : undefined;
    }, "A's second wave to reach its lane's cap", 60_000, 20);
    // Hold on a little: a lane that let more out would show it now.
    for (const until = Date.now() + 3_000; Date.now() < until; ) {
      mostOpen = Math.max(mostOpen, hang.open);
      await new Promise((r) => setTimeout(r, 20));
    }
    report('noisy-neighbour-lane', { secondWaveMostOpen: mostOpen, firstWaveMostOpen: hang.maxOpen });
    assert.equal(mostOpen, LANE, `A's second wave had ${mostOpen} requests open at once; its lane allows ${LANE}`);
    const during2: number[] = [];
    for (let i = 0; i < 10; i++) during2.push(await bLatency());
    assert.ok(Math.max(...during2) < 2_000, `tenant B's deliveries during A's lane-bound wave took up to ${Math.max(...during2)} ms`);
  });
});
