// Throttling across worker processes: two workers share one endpoint's limits, and a worker killed
// with SIGKILL while its attempts hold slots does not lose deliveries or leave slots taken for good.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client as PgClient } from 'pg';
import { busiestWindow, startTimedReceiver, type TimedReceiver } from '../support/timed-receiver';
import { report, sharedDatabase, sharedTemporalAddress, waitFor } from './support/backends';
import { Hookflow } from './support/hookflow';
import type { HookflowProcess } from './support/processes';

async function sendMany(hf: Hookflow, type: string, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let sent = 0; sent < n; sent += 100) {
    const accepted = await hf.sendBatch(Array.from({ length: Math.min(100, n - sent) }, (_, i) => ({ type, data: { i: sent + i } })));
    for (const e of accepted) ids.push(...e.deliveries.map((d) => d.id));
  }
  return ids;
}

void describe('fault: throttling holds across two worker processes and a SIGKILL', () => {
  let hf: Hookflow;
  let db: PgClient;
  const receivers: TimedReceiver[] = [];
  const workers: HookflowProcess[] = [];

  before(async () => {
    const databaseUrl = await sharedDatabase();
    hf = new Hookflow({
      databaseUrl,
      temporalAddress: sharedTemporalAddress(),
      env: {
        HOOKFLOW_RETRY_INITIAL_INTERVAL_MS: '200',
        HOOKFLOW_RETRY_MAX_INTERVAL_MS: '1000',
        HOOKFLOW_RETRY_MAX_ATTEMPTS: '10',
        // Bounds how long Temporal waits for an attempt a dead worker held (timeout + 15 s).
        HOOKFLOW_REQUEST_TIMEOUT_MS: '3000',
      },
    });
    await hf.migrate();
    await hf.startApi();
    workers.push(await hf.startWorker(), await hf.startWorker());
    db = new PgClient({ connectionString: databaseUrl });
    await db.connect();
  });

  after(async () => {
    await hf?.kill();
    await db?.end();
    await Promise.all(receivers.map((r) => r.close()));
  });

  void test('perSecond 20, 300 deliveries, 2 workers: no one-second window holds more than 21, all arrive, no failed attempt', { timeout: 180_000 }, async () => {
    const r = await startTimedReceiver({});
    receivers.push(r);
    const sub = await hf.subscribe(`${r.url}/hook`, ['paced.tick'], { throttle: { perSecond: 20 } });
    const ids = await sendMany(hf, 'paced.tick', 300);
    assert.equal(ids.length, 300);
    await waitFor(() => r.arrivals.length >= 300, 'all 300 deliveries to arrive', 150_000, 200);
    await new Promise((res) => setTimeout(res, 1_000));
    const busiest = busiestWindow(r.arrivals);
    const span = (Math.max(...r.arrivals) - Math.min(...r.arrivals)) / 1000;
    const { rows } = await db.query<{ outcome: string; n: number }>(
      `SELECT a.outcome, count(*)::int AS n FROM delivery_attempts a JOIN event_deliveries d ON d.delivery_id = a.delivery_id
       WHERE d.subscription_id = $1 GROUP BY 1 ORDER BY 1`,
      [sub.id],
    );
    report('throttle-two-workers', { deliveries: 300, arrivals: r.arrivals.length, busiestWindow: busiest, spanSeconds: span, attempts: rows });
    assert.ok(busiest <= 21, `busiest one-second window held ${busiest}`);
    assert.equal(new Set(r.webhookIds).size, 300, 'every event arrived');
    assert.deepEqual(rows, [{ outcome: 'succeeded', n: 300 }], 'no attempt failed for waiting');
  });

  void test('a worker killed -9 while its attempts hold slots: the endpoint keeps its limits, slots come back, nothing is lost', { timeout: 240_000 }, async () => {
    const r = await startTimedReceiver({ delayMs: 1_000 });
    receivers.push(r);
    await hf.subscribe(`${r.url}/hook`, ['held.tick'], { throttle: { perSecond: 10, maxInFlight: 2 } });
    const ids = await sendMany(hf, 'held.tick', 40);
    await waitFor(() => r.arrivals.length >= 6 && r.open > 0, 'slots held mid-request', 60_000, 5);
    const killedAt = Date.now();
    const victim = workers[0]!;
    await victim.kill9();
    const restarted = await hf.startWorker();
    workers[0] = restarted;
    await waitFor(() => new Set(r.webhookIds).size >= ids.length, 'every delivery to arrive after the kill', 200_000, 200);
    const after = r.arrivals.filter((a) => a > killedAt);
    report('throttle-sigkill', {
      deliveries: ids.length,
      requests: r.arrivals.length,
      distinct: new Set(r.webhookIds).size,
      maxOpen: r.maxOpen,
      busiestWindowAfterKill: busiestWindow(after),
      resumedAfterMs: after.length > 0 ? Math.min(...after) - killedAt : null,
    });
    assert.ok(r.maxOpen <= 2, `${r.maxOpen} requests open at once`);
    assert.ok(busiestWindow(r.arrivals) <= 11, 'perSecond held');
    assert.equal(new Set(r.webhookIds).size, ids.length, 'none lost');
  });
});
