// PostgreSQL stops for 20 s (our own embedded server) while deliveries are retrying and clients keep
// sending events. Ingest must answer 503 problem+json and store nothing it cannot finish, /readyz
// must name postgres, and once Postgres is back the retrying deliveries complete and ingest works.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Pool } from 'pg';
import type { TemporalClientHandle } from '../../src/temporal/client';
import {
  deliveryStates,
  freshDatabase,
  notInState,
  report,
  scratchDir,
  sharedTemporalAddress,
  sleep,
  startOwnPostgres,
  temporalClient,
  waitFor,
  type OwnPostgres,
} from './support/backends';
import type { ApiResponse } from '../support/call-api';
import { Hookflow } from './support/hookflow';
import { sampleRss } from './support/processes';
import { ledger, pairKey, type Receiver, startReceivers } from './support/receivers';

const OUTAGE_MS = 20_000;
const EVENTS_BEFORE = 20;

void describe('fault: PostgreSQL stops for 20 s', () => {
  const scratch = scratchDir('pg');
  let pg: OwnPostgres | undefined;
  let hf: Hookflow;
  let temporal: TemporalClientHandle;
  let db: Pool;
  let receivers: Record<string, Receiver> = {};

  before(async () => {
    pg = await startOwnPostgres(scratch.dir);
    const databaseUrl = await freshDatabase(pg.url, 'hookflow_outage');
    hf = new Hookflow({
      databaseUrl,
      temporalAddress: sharedTemporalAddress(),
      env: {
        HOOKFLOW_RETRY_INITIAL_INTERVAL_MS: '500',
        HOOKFLOW_RETRY_MAX_INTERVAL_MS: '2000',
        HOOKFLOW_RETRY_BACKOFF_COEFFICIENT: '2',
        HOOKFLOW_RETRY_MAX_ATTEMPTS: '10',
        HOOKFLOW_REQUEST_TIMEOUT_MS: '2000',
        HOOKFLOW_SWEEP_INTERVAL_MS: '1000',
        HOOKFLOW_SWEEP_GRACE_MS: '1000',
      },
    });
    await hf.migrate();
    await Promise.all([hf.startApi(), hf.startWorker()]);
    temporal = await temporalClient(sharedTemporalAddress());
    db = new Pool({ connectionString: databaseUrl, max: 2 });
    db.on('error', () => undefined);
  });

  after(async () => {
    await hf?.kill();
    await db?.end();
    await temporal?.connection.close();
    await pg?.stop();
    await Promise.all(Object.values(receivers).map((r) => r.close()));
    scratch.remove();
  });

  void test('ingest answers 503 and stores nothing half-way; retrying deliveries complete afterwards', { timeout: 180_000 }, async () => {
    // `recovering` fails until Postgres is back, so its deliveries are mid-retry through the outage.
    let healed = false;
    receivers = await startReceivers({
      steady: () => ({ status: 200 }),
      recovering: () => (healed ? { status: 200 } : { status: 500, body: 'down for maintenance' }),
    });
    const all = Object.values(receivers);
    const bySub = await hf.subscribeReceivers(all, ['outage.*']);
    const expected = new Set<string>();
    const deliveryIds: string[] = [];
    const acceptedIds = new Set<string>();
    const record = (e: { id: string; deliveries: { id: string; subscriptionId: string }[] }) => {
      acceptedIds.add(e.id);
      for (const d of e.deliveries) {
        expected.add(pairKey(bySub.get(d.subscriptionId)!, e.id));
        deliveryIds.push(d.id);
      }
    };
    for (const e of await hf.sendBatch(Array.from({ length: EVENTS_BEFORE }, (_, i) => ({ type: 'outage.before', data: { i } })))) record(e);
    await waitFor(() => new Set(receivers.recovering!.hits.map((h) => h.webhookId)).size === EVENTS_BEFORE, 'every delivery to be retrying', 60_000, 50);

    const rss = sampleRss(() => hf.worker?.pid);
    const t0 = Date.now();
    await pg!.stop();
    const stoppedAt = Date.now();

    // Clients keep trying during the outage: single events, a batch, and readiness probes.
    const ingest: ApiResponse[] = [];
    const ready: ApiResponse[] = [];
    const triedIds: string[] = [];
    let n = 0;
    while (Date.now() - stoppedAt < OUTAGE_MS) {
      const id = `evt_outage_${n++}`;
      triedIds.push(id);
      ingest.push(await hf.call('POST', '/v1/events', { id, type: 'outage.during', data: { n } }));
      if (n % 4 === 0) ready.push(await hf.call('GET', '/readyz'));
      if (n === 10) {
        ingest.push(await hf.call('POST', '/v1/events/batch', { events: [1, 2, 3].map((i) => ({ id: `evt_outage_batch_${i}`, type: 'outage.during', data: { i } })) }));
        triedIds.push(...[1, 2, 3].map((i) => `evt_outage_batch_${i}`));
      }
      await sleep(500);
    }
    const hitsDuringOutage = receivers.recovering!.hits.filter((h) => h.arrivedAt > stoppedAt + 1_000).length;

    await pg!.start();
    const restartedAt = Date.now();
    healed = true;
    // Ingest works again (the pool reconnects by itself): measure how soon.
    const firstOk = await waitFor(
      async () => {
        const res = await hf.call('POST', '/v1/events', { type: 'outage.after', data: {} });
        if (res.status === 202) record(res.body);
        return res.status === 202 ? Date.now() : undefined;
      },
      'ingest to accept events again',
      30_000,
      250,
    );
    const readyAfter = await hf.call('GET', '/readyz');

    await waitFor(() => ledger(expected, all).lost === 0, 'every accepted webhook acknowledged', 90_000, 250).catch((err: Error) => {
      throw new Error(`${err.message}: missing ${JSON.stringify(ledger(expected, all).lostKeys.slice(0, 5))}`);
    });
    await waitFor(
      async () => notInState(await deliveryStates(temporal, hf.taskQueue), deliveryIds, 'succeeded', 'COMPLETED').length === 0,
      'every delivery workflow listed as succeeded',
      60_000,
      1_000,
    );
    const recoveredMs = Date.now() - restartedAt;

    // Nothing half-written: every stored event has its full fan-out plan, and nothing refused was stored.
    const halfWritten = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM events e
       WHERE (SELECT count(*) FROM event_deliveries d WHERE d.event_id = e.id) <> $1`,
      [all.length],
    );
    const storedFromOutage = await db.query<{ id: string }>('SELECT id FROM events WHERE id = ANY($1)', [triedIds]);
    const l = ledger(expected, all);
    rss.stop();
    report('postgres-outage', {
      outageMs: restartedAt - stoppedAt,
      ingestTried: ingest.length,
      ingest503: ingest.filter((r) => r.status === 503).length,
      readyz503: ready.filter((r) => r.status === 503).length,
      ingestOkAfterMs: firstOk - restartedAt,
      attemptsDuringOutage: hitsDuringOutage,
      deliveries: expected.size,
      lost: l.lost,
      duplicated: l.duplicated,
      recoveredMs,
      durationMs: Date.now() - t0,
      workerPeakRssMb: Math.round(rss.peakMb()),
    });

    for (const res of ingest) {
      assert.equal(res.status, 503, JSON.stringify(res.body));
      assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
      assert.equal(res.body.status, 503);
      assert.match(res.body.detail, /database/i);
      assert.match(res.headers.get('retry-after') ?? '', /^\d+$/, 'a Retry-After tells clients when to come back');
    }
    assert.ok(ready.length >= 3);
    for (const res of ready) {
      assert.equal(res.status, 503);
      assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
      assert.match(res.body.detail, /postgres/);
    }
    assert.equal(readyAfter.status, 200, JSON.stringify(readyAfter.body));
    assert.deepEqual(storedFromOutage.rows, [], 'an event refused with 503 was stored anyway');
    assert.equal(halfWritten.rows[0]!.n, 0, 'events without their full fan-out plan');
    assert.ok(acceptedIds.size > EVENTS_BEFORE, 'ingest accepted events after the outage');
    assert.equal(l.lost, 0);
    assert.equal(l.unverified, 0);
    // No request can leave while the payload is unreadable, so the outage cannot cause a duplicate.
    assert.equal(l.duplicated, 0);
  });
});
