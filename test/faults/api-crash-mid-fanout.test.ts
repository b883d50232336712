// The API dies mid fan-out: it has stored events and answered 202, but has not started their
// workflows. A proxy that stops forwarding to Temporal holds every start, so the window is certain,
// not a race; then the API is killed -9. After a restart the sweeper must finish the fan-out:
// every delivery received exactly once, every event marked dispatched.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WorkflowNotFoundError } from '@temporalio/client';
import { Pool } from 'pg';
import type { TemporalClientHandle } from '../../src/temporal/client';
import { deliveryStates, notInState, report, sharedDatabase, sharedTemporalAddress, sleep, temporalClient, waitFor } from './support/backends';
import { Hookflow } from './support/hookflow';
import { sampleRss } from './support/processes';
import { startProxy, type HoldingProxy } from './support/proxy';
import { ledger, pairKey, type Receiver, startReceivers } from './support/receivers';

void describe('fault: the API is killed -9 between accepting events and starting their workflows', () => {
  let hf: Hookflow;
  let proxy: HoldingProxy;
  let db: Pool;
  let temporal: TemporalClientHandle;
  let receivers: Record<string, Receiver> = {};

  before(async () => {
    const databaseUrl = await sharedDatabase();
    proxy = await startProxy(sharedTemporalAddress());
    hf = new Hookflow({
      databaseUrl,
      temporalAddress: sharedTemporalAddress(),
      env: { HOOKFLOW_SWEEP_INTERVAL_MS: '1000', HOOKFLOW_SWEEP_GRACE_MS: '1000', HOOKFLOW_REQUEST_TIMEOUT_MS: '2000' },
    });
    await hf.migrate();
    await Promise.all([hf.startApi({ TEMPORAL_ADDRESS: proxy.address }), hf.startWorker()]);
    db = new Pool({ connectionString: databaseUrl, max: 2 });
    temporal = await temporalClient(sharedTemporalAddress());
  });

  after(async () => {
    await hf?.kill();
    await proxy?.close();
    await db?.end();
    await temporal?.connection.close();
    await Promise.all(Object.values(receivers).map((r) => r.close()));
  });

  void test('the sweeper completes the fan-out after a restart, exactly once', { timeout: 120_000 }, async () => {
    receivers = await startReceivers({ a: () => ({ status: 200 }), b: () => ({ status: 200 }), c: () => ({ status: 200 }) });
    const all = Object.values(receivers);
    const bySub = await hf.subscribeReceivers(all, ['fanout.*']);

    const rss = sampleRss(() => hf.worker?.pid);
    proxy.hold();
    const accepted = [];
    for (let i = 0; i < 10; i++) accepted.push(await hf.send('fanout.single', { i }));
    accepted.push(...(await hf.sendBatch(Array.from({ length: 20 }, (_, i) => ({ type: 'fanout.batch', data: { i } })))));
    await hf.api!.kill9();
    const killedAt = Date.now();

    const eventIds = accepted.map((e) => e.id);
    const deliveryIds = accepted.flatMap((e) => e.deliveries.map((d) => d.id));
    const expected = new Set(accepted.flatMap((e) => e.deliveries.map((d) => pairKey(bySub.get(d.subscriptionId)!, e.id))));
    assert.equal(expected.size, 30 * all.length);

    // The crash really left the fan-out undone: stored, not dispatched, no workflow in Temporal.
    const pending = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM events WHERE id = ANY($1) AND dispatched_at IS NULL', [eventIds]);
    assert.equal(pending.rows[0]!.n, eventIds.length);
    const planned = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM event_deliveries WHERE event_id = ANY($1)', [eventIds]);
    assert.equal(planned.rows[0]!.n, expected.size, 'the fan-out plan was stored with the events');
    for (const id of [deliveryIds[0]!, deliveryIds[deliveryIds.length - 1]!]) {
      await assert.rejects(temporal.client.workflow.getHandle(id).describe(), WorkflowNotFoundError);
    }
    await sleep(1_000);
    assert.equal(all.reduce((s, r) => s + r.hits.length, 0), 0, 'nothing was delivered before the restart');

    // Restart the API, now reaching Temporal directly, as after a crash and a redeploy.
    await hf.startApi();
    await waitFor(() => ledger(expected, all).lost === 0, 'the sweeper to complete the fan-out', 60_000, 200).catch((err: Error) => {
      throw new Error(`${err.message}: missing ${ledger(expected, all).lost} of ${expected.size}`);
    });
    const recoveredMs = Date.now() - killedAt;
    await waitFor(
      async () => notInState(await deliveryStates(temporal, hf.taskQueue), deliveryIds, 'succeeded', 'COMPLETED').length === 0,
      'every delivery workflow listed as succeeded',
      30_000,
      500,
    );
    // Let a second sweep pass run: it must not start anything twice.
    await sleep(2_500);

    const l = ledger(expected, all);
    const dispatched = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM events WHERE id = ANY($1) AND dispatched_at IS NOT NULL', [eventIds]);
    rss.stop();
    report('api-crash-mid-fanout', {
      events: eventIds.length,
      deliveries: expected.size,
      lost: l.lost,
      duplicated: l.duplicated,
      receiverRequests: l.requests,
      recoveredMs,
      workerPeakRssMb: Math.round(rss.peakMb()),
    });
    assert.equal(l.lost, 0);
    assert.equal(l.unverified, 0);
    assert.equal(l.duplicated, 0);
    assert.equal(l.requests, expected.size, 'each webhook received exactly once');
    assert.equal(dispatched.rows[0]!.n, eventIds.length, `every event marked dispatched; api log:\n${hf.api!.tail.slice(-10).join('\n')}`);
  });
});
