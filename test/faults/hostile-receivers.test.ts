// Hostile receivers: one hangs, one resets connections, one streams an endless body. With a 1 s
// request timeout and a 4 KiB body cap, every attempt must end on time with a clear error, the attempt
// log must hold at most 4 KiB of body, the firehose must be cut off early, and the worker's memory
// must stay bounded.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Pool } from 'pg';
import type { TemporalClientHandle } from '../../src/temporal/client';
import { deliveryStates, notInState, report, sharedDatabase, sharedTemporalAddress, temporalClient, waitFor } from './support/backends';
import { Hookflow } from './support/hookflow';
import { firehoseReceiver, hangingReceiver, resettingReceiver, type Firehose, type Hostile } from './support/hostile';
import { rssMb, sampleRss } from './support/processes';

const EVENTS = 10;
const ATTEMPTS = 3;
const TIMEOUT_MS = 1_000;
const BODY_LIMIT = 4_096;
const RSS_LIMIT_MB = 600;
// Socket buffers on both sides absorb a few MB (about 4 MB seen here) before the sender hangs up;
// without the cap a 1 s read lets one response run to tens of MB.
const CUT_OFF_BELOW_BYTES = 16 * 1024 ** 2;

interface AttemptRow {
  delivery_id: string;
  subscription_id: string;
  attempt: number;
  duration_ms: number;
  status_code: number | null;
  error_class: string | null;
  body_bytes: number | null;
}

void describe('fault: receivers that hang, reset, or stream gigabytes', () => {
  let hf: Hookflow;
  let db: Pool;
  let temporal: TemporalClientHandle;
  const hostile: Hostile[] = [];

  before(async () => {
    const databaseUrl = await sharedDatabase();
    hf = new Hookflow({
      databaseUrl,
      temporalAddress: sharedTemporalAddress(),
      env: {
        HOOKFLOW_REQUEST_TIMEOUT_MS: String(TIMEOUT_MS),
        HOOKFLOW_RESPONSE_BODY_LIMIT_BYTES: String(BODY_LIMIT),
        HOOKFLOW_RETRY_INITIAL_INTERVAL_MS: '100',
        HOOKFLOW_RETRY_MAX_INTERVAL_MS: '500',
        HOOKFLOW_RETRY_BACKOFF_COEFFICIENT: '2',
        HOOKFLOW_RETRY_MAX_ATTEMPTS: String(ATTEMPTS),
        // Dead letters close quickly, and hostile endpoints are not auto-disabled mid-test.
        HOOKFLOW_DEAD_LETTER_RETENTION_SECONDS: '1',
        HOOKFLOW_AUTO_DISABLE_AFTER: '0',
      },
    });
    await hf.migrate();
    await Promise.all([hf.startApi(), hf.startWorker()]);
    db = new Pool({ connectionString: databaseUrl, max: 2 });
    temporal = await temporalClient(sharedTemporalAddress());
  });

  after(async () => {
    await hf?.kill();
    await db?.end();
    await temporal?.connection.close();
    await Promise.all(hostile.map((h) => h.close()));
  });

  void test('timeouts and the body cap hold; worker memory stays bounded', { timeout: 180_000 }, async () => {
    const hang = await hangingReceiver();
    const reset = await resettingReceiver();
    const firehose500: Firehose = await firehoseReceiver(() => 500);
    const firehose200: Firehose = await firehoseReceiver(() => 200);
    hostile.push(hang, reset, firehose500, firehose200);
    const subs = {
      hang: (await hf.subscribe(hang.url, ['hostile.*'])).id,
      reset: (await hf.subscribe(reset.url, ['hostile.*'])).id,
      firehose500: (await hf.subscribe(firehose500.url, ['hostile.*'])).id,
      firehose200: (await hf.subscribe(firehose200.url, ['hostile.*'])).id,
    };

    const baselineMb = rssMb(hf.worker!.pid) ?? 0;
    const rss = sampleRss(() => hf.worker?.pid, 50);
    const t0 = Date.now();
    const accepted = await hf.sendBatch(Array.from({ length: EVENTS }, (_, i) => ({ type: 'hostile.poke', data: { i } })));
    const idsFor = (sub: string) => accepted.flatMap((e) => e.deliveries.filter((d) => d.subscriptionId === sub).map((d) => d.id));

    // Settle or time out, the figures are reported either way.
    const settled = await waitFor(
      async () => {
        const states = await deliveryStates(temporal, hf.taskQueue);
        return (
          notInState(states, idsFor(subs.firehose200), 'succeeded', 'COMPLETED').length === 0 &&
          [subs.hang, subs.reset, subs.firehose500].every((s) => notInState(states, idsFor(s), 'dead_lettered', 'COMPLETED').length === 0)
        );
      },
      'hostile deliveries to settle (firehose200 succeeded, the rest dead-lettered)',
      90_000,
      500,
    ).then(
      () => undefined,
      (err: Error) => err,
    );
    rss.stop();
    const durationMs = Date.now() - t0;

    const { rows } = await db.query<AttemptRow>(
      `SELECT delivery_id, subscription_id, attempt, duration_ms, status_code, error_class, octet_length(response_body) AS body_bytes
       FROM delivery_attempts ORDER BY id`,
    );
    const of = (sub: string) => rows.filter((r) => r.subscription_id === sub);
    const firehoseResponses = [...firehose500.written, ...firehose200.written];
    const firehoseCutOff = firehose500.cutOff() + firehose200.cutOff();
    report('hostile-receivers', {
      attempts: rows.length,
      errorClasses: Object.fromEntries(Object.entries(subs).map(([name, id]) => [name, [...new Set(of(id).map((r) => r.error_class ?? String(r.status_code)))]])),
      maxAttemptMs: Math.max(...rows.map((r) => r.duration_ms)),
      maxLoggedBodyBytes: Math.max(...rows.map((r) => r.body_bytes ?? 0)),
      firehoseResponses: firehoseResponses.length,
      firehoseMaxBytesPerResponse: Math.max(...firehoseResponses),
      firehoseTotalMb: Math.round(firehoseResponses.reduce((s, n) => s + n, 0) / 1024 ** 2),
      workerBaselineRssMb: Math.round(baselineMb),
      workerPeakRssMb: Math.round(rss.peakMb()),
      rssSamples: rss.samples(),
      durationMs,
    });
    if (settled) throw settled;

    // The hanging endpoint: every attempt ends as a Timeout, close to the configured 1 s.
    assert.equal(of(subs.hang).length, EVENTS * ATTEMPTS);
    for (const r of of(subs.hang)) {
      assert.equal(r.error_class, 'Timeout', JSON.stringify(r));
      assert.equal(r.status_code, null);
      assert.ok(r.duration_ms >= TIMEOUT_MS - 100 && r.duration_ms < TIMEOUT_MS + 2_000, `hang attempt took ${r.duration_ms} ms`);
    }
    // The resetting endpoint: a network error naming the reset, retried, then dead-lettered.
    assert.equal(of(subs.reset).length, EVENTS * ATTEMPTS);
    for (const r of of(subs.reset)) assert.equal(r.error_class, 'ECONNRESET', JSON.stringify(r));
    // The firehoses: the status is recorded, at most 4 KiB of body is kept, and the attempt ends fast.
    assert.equal(of(subs.firehose500).length, EVENTS * ATTEMPTS);
    assert.equal(of(subs.firehose200).length, EVENTS);
    for (const r of [...of(subs.firehose500), ...of(subs.firehose200)]) {
      assert.ok(r.status_code === 500 || r.status_code === 200, JSON.stringify(r));
      assert.ok(r.body_bytes !== null && r.body_bytes > 0 && r.body_bytes <= BODY_LIMIT, `logged ${r.body_bytes} bytes of body`);
      assert.ok(r.duration_ms < TIMEOUT_MS, `reading a capped body took ${r.duration_ms} ms`);
    }
    // The sender hung up on every endless body long before a gigabyte.
    assert.equal(firehoseResponses.length, EVENTS * ATTEMPTS + EVENTS);
    assert.equal(firehoseCutOff, firehoseResponses.length, 'every endless body was cut off by the sender');
    for (const n of firehoseResponses) assert.ok(n < CUT_OFF_BELOW_BYTES, `the sender let a firehose write ${n} bytes`);
    assert.ok(rss.samples() > 10, 'worker memory was sampled');
    assert.ok(rss.peakMb() < RSS_LIMIT_MB, `worker peak RSS ${Math.round(rss.peakMb())} MB`);
    assert.ok(hf.worker!.running(), 'the worker survived');
  });
});
