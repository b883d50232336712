// Worker crashes: kill -9 the worker process twice while deliveries are mid-request and mid-retry,
// restart it each time. Every delivery must end succeeded, every webhook-id x subscription must be
// acknowledged, and a duplicate is allowed only for a request in flight at a kill.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { TemporalClientHandle } from '../../src/temporal/client';
import { deliveryStates, notInState, report, sharedDatabase, sharedTemporalAddress, sleep, temporalClient, waitFor } from './support/backends';
import { Hookflow } from './support/hookflow';
import { sampleRss } from './support/processes';
import { atRiskAt, ledger, pairKey, unexplainedDuplicates, type Receiver, startReceivers } from './support/receivers';

const EVENTS = 50;
// The worker's completion report can trail the receiver's answer by the activity's bookkeeping
// (attempt-log insert, success mark) and one RPC: a kill inside this window may swallow a success.
const REPORT_WINDOW_MS = 3_000;

void describe('fault: the worker is killed -9 mid-delivery, twice', () => {
  let hf: Hookflow;
  let temporal: TemporalClientHandle;
  let receivers: Record<string, Receiver> = {};

  before(async () => {
    hf = new Hookflow({
      databaseUrl: await sharedDatabase(),
      temporalAddress: sharedTemporalAddress(),
      env: {
        HOOKFLOW_RETRY_INITIAL_INTERVAL_MS: '200',
        HOOKFLOW_RETRY_MAX_INTERVAL_MS: '1000',
        HOOKFLOW_RETRY_BACKOFF_COEFFICIENT: '2',
        HOOKFLOW_RETRY_MAX_ATTEMPTS: '20',
        // Bounds how long Temporal waits for an attempt a dead worker held (timeout + 15 s).
        HOOKFLOW_REQUEST_TIMEOUT_MS: '2000',
      },
    });
    await hf.migrate();
    await Promise.all([hf.startApi(), hf.startWorker()]);
    temporal = await temporalClient(hf.opts.temporalAddress);
  });

  after(async () => {
    await hf?.kill();
    await Promise.all(Object.values(receivers).map((r) => r.close()));
    await temporal?.connection.close();
  });

  void test('every delivery succeeds; duplicates only from requests in flight at a kill', { timeout: 240_000 }, async () => {
    receivers = await startReceivers({
      fast: () => ({ status: 200 }),
      flaky: (_id, nth) => (nth === 0 ? { status: 500, body: 'once' } : { status: 200 }),
      slow: () => ({ status: 200, delayMs: 300 }),
      slowflaky: (_id, nth) => (nth === 0 ? { status: 500, delayMs: 300 } : { status: 200, delayMs: 300 }),
    });
    const all = Object.values(receivers);
    const bySub = await hf.subscribeReceivers(all, ['crash.*']);
    const expected = new Set<string>();
    const deliveryIds: string[] = [];
    const send = async (n: number, from: number) => {
      for (let i = from; i < from + n; i++) {
        const e = await hf.send('crash.tick', { i });
        for (const d of e.deliveries) {
          expected.add(pairKey(bySub.get(d.subscriptionId)!, e.id));
          deliveryIds.push(d.id);
        }
      }
    };
    const rss = sampleRss(() => hf.worker?.pid);
    const t0 = Date.now();
    const kills: { at: number; until: number; atRisk: number; open: number }[] = [];
    const killWhenBusy = async (minHits: number) => {
      // Wait until requests are really in flight at the receivers, then pull the plug.
      await waitFor(() => all.reduce((s, r) => s + r.hits.length, 0) >= minHits && all.some((r) => r.inFlight() > 0), 'requests in flight', 60_000, 5);
      const at = Date.now();
      const open = all.reduce((s, r) => s + r.inFlight(), 0);
      await hf.worker!.kill9();
      kills.push({ at, until: Infinity, atRisk: 0, open });
    };

    // Half the events, then a kill while those are being delivered and retried.
    await send(EVENTS / 2, 0);
    await killWhenBusy(20);
    // The other half is accepted while no worker runs; Temporal keeps it.
    await send(EVENTS / 2, EVENTS / 2);
    const hitsBeforeRestart = all.reduce((s, r) => s + r.hits.length, 0);
    kills[0]!.until = Date.now();
    await hf.startWorker();
    await killWhenBusy(hitsBeforeRestart + 10);
    await sleep(500);
    kills[1]!.until = Date.now();
    await hf.startWorker();

    await waitFor(() => ledger(expected, all).lost === 0, 'every webhook acknowledged', 120_000, 250).catch((err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify(ledger(expected, all).lostKeys.slice(0, 5))}`);
    });
    await waitFor(
      async () => notInState(await deliveryStates(temporal, hf.taskQueue), deliveryIds, 'succeeded', 'COMPLETED').length === 0,
      'every delivery workflow listed as succeeded',
      60_000,
      1_000,
    );
    const durationMs = Date.now() - t0;

    for (const k of kills) k.atRisk = atRiskAt(all, k, REPORT_WINDOW_MS);
    const l = ledger(expected, all);
    const unexplained = unexplainedDuplicates(all, kills, REPORT_WINDOW_MS);
    const atRisk = kills.reduce((s, k) => s + k.atRisk, 0);
    rss.stop();
    report('worker-crash', {
      deliveries: expected.size,
      kills: kills.length,
      inFlightAtKills: kills.map((k) => k.open),
      atRiskAtKills: kills.map((k) => k.atRisk),
      lost: l.lost,
      duplicated: l.duplicated,
      receiverRequests: l.requests,
      durationMs,
      workerPeakRssMb: Math.round(rss.peakMb()),
    });
    assert.equal(deliveryIds.length, EVENTS * all.length);
    assert.equal(l.lost, 0);
    assert.equal(l.unverified, 0);
    assert.ok(kills.every((k) => k.open > 0), 'each kill caught requests in flight');
    const story = (k: string) =>
      all.flatMap((r) => r.hits.filter((h) => pairKey(h.receiver, h.webhookId) === k)).map((h) => `${h.status}@${h.arrivedAt - t0}..${(h.finishedAt ?? NaN) - t0}`).join(' ');
    assert.deepEqual(unexplained, [], `a duplicate whose first delivery was not in flight at a kill (kills at ${kills.map((k) => k.at - t0).join(', ')} ms): ${unexplained.map((k) => `${k}: ${story(k)}`).join('; ')}`);
    assert.ok(l.duplicated <= atRisk, `duplicated ${l.duplicated} > requests at risk at the kills ${atRisk}`);
  });
});
