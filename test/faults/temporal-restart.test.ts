// Temporal restarts: kill -9 our own Temporal dev server (persistent SQLite file) while deliveries are
// mid-retry, accept more events while it is down, then start it again on the same port and file.
// The workflows resume from their stored history and every delivery succeeds; nothing is lost.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { TemporalClientHandle } from '../../src/temporal/client';
import {
  deliveryStates,
  notInState,
  report,
  scratchDir,
  sharedDatabase,
  sleep,
  startOwnTemporal,
  temporalClient,
  waitFor,
  type OwnTemporal,
} from './support/backends';
import { Hookflow } from './support/hookflow';
import { sampleRss } from './support/processes';
import { ledger, pairKey, type Receiver, startReceivers } from './support/receivers';

const EVENTS = 30;
const DOWN_MS = 5_000;
// Receivers keep failing this long after the restart, so deliveries retry on both sides of it.
const FAILING_AFTER_RESTART_MS = 2_000;

void describe('fault: the Temporal server is killed -9 and restarted', () => {
  const scratch = scratchDir('temporal');
  let server: OwnTemporal | undefined;
  let hf: Hookflow;
  let temporal: TemporalClientHandle | undefined;
  let receivers: Record<string, Receiver> = {};

  before(async () => {
    server = await startOwnTemporal(scratch.dir);
    hf = new Hookflow({
      databaseUrl: await sharedDatabase(),
      temporalAddress: server.address,
      env: {
        HOOKFLOW_RETRY_INITIAL_INTERVAL_MS: '300',
        HOOKFLOW_RETRY_MAX_INTERVAL_MS: '1000',
        HOOKFLOW_RETRY_BACKOFF_COEFFICIENT: '2',
        HOOKFLOW_RETRY_MAX_ATTEMPTS: '30',
        HOOKFLOW_REQUEST_TIMEOUT_MS: '2000',
        HOOKFLOW_SWEEP_INTERVAL_MS: '1000',
        HOOKFLOW_SWEEP_GRACE_MS: '1000',
      },
    });
    await hf.migrate();
    await Promise.all([hf.startApi(), hf.startWorker()]);
  });

  after(async () => {
    await hf?.kill();
    await temporal?.connection.close();
    await server?.stop();
    await Promise.all(Object.values(receivers).map((r) => r.close()));
    scratch.remove();
  });

  void test('workflows resume after the restart and every delivery succeeds', { timeout: 180_000 }, async () => {
    // Receivers fail until shortly after the restart: the kill lands while every delivery is retrying.
    let healAt = Infinity;
    const failing = () => (Date.now() < healAt ? { status: 500, body: 'not yet' } : { status: 200 });
    receivers = await startReceivers({ a: failing, b: failing });
    const all = Object.values(receivers);
    const bySub = await hf.subscribeReceivers(all, ['restart.*']);
    const expected = new Set<string>();
    const deliveryIds: string[] = [];
    const record = (e: { id: string; deliveries: { id: string; subscriptionId: string }[] }) => {
      for (const d of e.deliveries) {
        expected.add(pairKey(bySub.get(d.subscriptionId)!, e.id));
        deliveryIds.push(d.id);
      }
    };
    const rss = sampleRss(() => hf.worker?.pid);
    const t0 = Date.now();
    for (const e of await hf.sendBatch(Array.from({ length: EVENTS }, (_, i) => ({ type: 'restart.tick', data: { i } })))) record(e);

    // Every delivery has failed at least once and none has succeeded: all are mid-retry.
    await waitFor(() => all.every((r) => new Set(r.hits.map((h) => h.webhookId)).size === EVENTS), 'a first attempt of every delivery', 60_000, 20);
    const killAt = Date.now();
    await server!.kill9();

    // Ingest does not need Temporal: events are stored, and the sweeper starts them later.
    for (const e of await hf.sendBatch(Array.from({ length: 10 }, (_, i) => ({ type: 'restart.tick', data: { during: i } })))) record(e);
    await sleep(Math.max(0, DOWN_MS - (Date.now() - killAt)));
    // Attempts already running at the kill may still land; after a second nothing new can start.
    const hitsWhileDown = all.reduce((s, r) => s + r.hits.filter((h) => h.arrivedAt > killAt + 1_000).length, 0);
    await server!.restart();
    const restartedAt = Date.now();
    healAt = restartedAt + FAILING_AFTER_RESTART_MS;
    temporal = await temporalClient(server!.address);

    await waitFor(() => ledger(expected, all).lost === 0, 'every webhook acknowledged after the restart', 90_000, 250).catch((err: Error) => {
      throw new Error(`${err.message}: missing ${JSON.stringify(ledger(expected, all).lostKeys.slice(0, 5))}`);
    });
    await waitFor(
      async () => notInState(await deliveryStates(temporal!, hf.taskQueue), deliveryIds, 'succeeded', 'COMPLETED').length === 0,
      'every delivery workflow listed as succeeded',
      60_000,
      1_000,
    );
    const l = ledger(expected, all);
    rss.stop();
    report('temporal-restart', {
      deliveries: expected.size,
      downMs: restartedAt - killAt,
      attemptsWhileDown: hitsWhileDown,
      lost: l.lost,
      duplicated: l.duplicated,
      recoveredMs: Date.now() - restartedAt,
      durationMs: Date.now() - t0,
      workerPeakRssMb: Math.round(rss.peakMb()),
    });
    assert.equal(expected.size, (EVENTS + 10) * all.length);
    assert.equal(l.lost, 0);
    assert.equal(l.unverified, 0);
    // Nothing could succeed before the kill, so no success was swallowed by it: no duplicates at all.
    assert.equal(l.duplicated, 0, `duplicated: ${l.duplicatedKeys.slice(0, 5).join(', ')}`);
  });
});
