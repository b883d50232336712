// Two API and two worker processes against the real Temporal server (the server binary on its own
// PostgreSQL, not the CLI's dev server) and hookflow's own PostgreSQL. 2,000 events go to the two
// APIs in turn; mid-burst one worker and one API are killed -9. Nothing accepted may be lost, a
// duplicate may only come from an attempt whose result Temporal never recorded (in flight on the
// killed worker, or in a task that timed out on a starved box), the survivors carry the rest, and the work that must happen once per cluster (sweeper re-dispatch, the purge schedule, the
// dead-letter workflow and its auto-disable count) happens once, not once per replica.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { after, before, describe, test } from 'node:test';
import { temporal as proto } from '@temporalio/proto';
import { Client as PgClient } from 'pg';
import type { TemporalClientHandle } from '../../src/temporal/client';
import { METRIC } from '../../src/metrics/names';
import { deadLetterStatusQuery, deadLetterWorkflowId, PURGE_SCHEDULE_ID, type DeadLetterState, type PurgeReport } from '../../workflows/messages';
import { callApi } from '../support/call-api';
import { report, sharedDatabase, sleep, temporalClient, waitFor } from './support/backends';
import { API_KEY, Hookflow } from './support/hookflow';
import { ledger, pairKey, startReceivers, type Hit, type Receiver } from './support/receivers';
import { counter, startApiReplica, startWorkerReplica, type Replica } from './support/replicas';
import { connectionPorts } from './support/sockets';
import { startRealTemporal, type RealTemporal } from './support/temporal-server';

const EVENTS = 2_000;
const SENDERS = 16;
// The kill comes when this many events are accepted: mid-burst, with deliveries under way.
const KILL_AFTER_ACCEPTED = 700;
// A success the receiver answered this long before the kill may not have reached Temporal yet (the
// attempt-log write and the completion RPC follow the answer): it too was in flight at the kill.
const REPORT_WINDOW_MS = 10_000;
const AUTO_DISABLE_AFTER = 6;

void describe('fault: two APIs and two workers on the real Temporal server; one of each killed -9 mid-burst', () => {
  let server: RealTemporal | undefined;
  let hf: Hookflow;
  let temporal: TemporalClientHandle;
  const receivers: Record<string, Receiver> = {};
  const apis: Replica[] = [];
  const workers: Replica[] = [];

  before(
    async () => {
      server = await startRealTemporal('replicas');
      hf = new Hookflow({
        databaseUrl: await sharedDatabase(),
        temporalAddress: server.address,
        env: {
          HOOKFLOW_RETRY_INITIAL_INTERVAL_MS: '200',
          HOOKFLOW_RETRY_MAX_INTERVAL_MS: '1000',
          HOOKFLOW_RETRY_BACKOFF_COEFFICIENT: '2',
          HOOKFLOW_RETRY_MAX_ATTEMPTS: '20',
          // An attempt the dead worker held is retried after its timeout: this + 15 s. Not shorter:
          // an answer the busy box delays past the timeout would be retried, a duplicate no kill explains.
          HOOKFLOW_REQUEST_TIMEOUT_MS: '5000',
          // The surviving API's sweeper picks up what the dead one accepted but did not start.
          HOOKFLOW_SWEEP_GRACE_MS: '2000',
          HOOKFLOW_SWEEP_INTERVAL_MS: '1000',
          HOOKFLOW_AUTO_DISABLE_AFTER: String(AUTO_DISABLE_AFTER),
        },
      });
      // Each replica's deploy runs `hookflow migrate`; the second finds everything in place.
      await hf.migrate();
      await hf.migrate();
      temporal = await temporalClient(server.address);
      apis.push(...(await Promise.all([startApiReplica(hf, 'api-a'), startApiReplica(hf, 'api-b')])));
      workers.push(...(await Promise.all([startWorkerReplica(hf, 'worker-a'), startWorkerReplica(hf, 'worker-b')])));
    },
    { timeout: 20 * 60_000 },
  );

  after(async () => {
    await hf?.kill();
    await Promise.all(Object.values(receivers).map((r) => r.close()));
    await temporal?.connection.close();
    await server?.stop();
  });

  /** POST /v1/events to `api`, falling over to the other API (same Idempotency-Key) when it fails. */
  async function accept(i: number, type: string, data: unknown, retried: { n: number }): Promise<{ id: string; deliveries: { id: string; subscriptionId: string }[] }> {
    const key = `replicas-${i}-${type}`;
    for (let attempt = 0; attempt < 6; attempt++) {
      const api = apis[(i + attempt) % apis.length]!;
      try {
        const res = await callApi(api.url!, API_KEY, 'POST', '/v1/events', { type, data }, { 'idempotency-key': key });
        if (res.status === 202 || res.status === 200) return res.body;
        if (res.status < 500) throw new Error(`event ${i}: ${res.status} ${JSON.stringify(res.body)}`);
      } catch (err) {
        if (err instanceof Error && err.message.startsWith(`event ${i}:`)) throw err;
      }
      retried.n += 1;
      await sleep(100);
    }
    throw new Error(`event ${i} was refused by every API`);
  }

  void test('dead letters and auto-disable count once across two workers', { timeout: 180_000 }, async () => {
    receivers.doomed = await startReceivers({ doomed: () => ({ status: 400, body: 'no' }) }).then((r) => r.doomed!);
    receivers.almost = await startReceivers({ almost: () => ({ status: 400, body: 'no' }) }).then((r) => r.almost!);
    const doomed = await callApi(apis[0]!.url!, API_KEY, 'POST', '/v1/subscriptions', { url: receivers.doomed.url, eventTypes: ['dl.doomed'] });
    const almost = await callApi(apis[1]!.url!, API_KEY, 'POST', '/v1/subscriptions', { url: receivers.almost.url, eventTypes: ['dl.almost'] });
    assert.equal(doomed.status, 201);
    assert.equal(almost.status, 201);
    receivers.doomed.secret = doomed.body.secret;
    receivers.almost.secret = almost.body.secret;
    // AUTO_DISABLE_AFTER dead letters in a row disable `doomed`; one fewer leaves `almost` enabled.
    // Counted once per replica, `almost` would reach the limit too.
    const retried = { n: 0 };
    await Promise.all([
      ...Array.from({ length: AUTO_DISABLE_AFTER }, (_, i) => accept(i, 'dl.doomed', { i }, retried)),
      ...Array.from({ length: AUTO_DISABLE_AFTER - 1 }, (_, i) => accept(i, 'dl.almost', { i }, retried)),
    ]);
    const state = (subId: string) => temporal.client.workflow.getHandle(deadLetterWorkflowId(subId)).query<DeadLetterState>(deadLetterStatusQuery);
    await waitFor(
      async () => (await state(doomed.body.id).catch(() => undefined))?.total === AUTO_DISABLE_AFTER && (await state(almost.body.id).catch(() => undefined))?.total === AUTO_DISABLE_AFTER - 1,
      'every dead letter reported',
      90_000,
      500,
    );
    await waitFor(async () => (await callApi(apis[0]!.url!, API_KEY, 'GET', `/v1/subscriptions/${doomed.body.id}`)).body.active === false, '`doomed` disabled', 30_000, 250);
    // A moment for anything counted twice to show.
    await sleep(2_000);
    const [d, a] = [await state(doomed.body.id), await state(almost.body.id)];
    const almostSub = (await callApi(apis[1]!.url!, API_KEY, 'GET', `/v1/subscriptions/${almost.body.id}`)).body;
    const runs = async (id: string) => {
      let n = 0;
      for await (const _ of temporal.client.workflow.list({ query: `WorkflowId = '${id}'` })) n += 1;
      return n;
    };
    const disabledByWorker = await Promise.all(workers.map((w) => counter(w, METRIC.subscriptionsDisabled, { reason: 'auto_disabled' })));
    const attemptsByWorker = await Promise.all(workers.map((w) => counter(w, METRIC.attempts)));
    report('multi-replica-dead-letters', { doomed: { total: d.total, consecutive: d.consecutive, autoDisabled: Boolean(d.autoDisabledAt) }, almost: { total: a.total, consecutive: a.consecutive, active: almostSub.active }, disabledByWorker, attemptsByWorker });
    assert.equal(d.total, AUTO_DISABLE_AFTER);
    assert.ok(d.autoDisabledAt, 'the dead-letter workflow disabled `doomed`');
    assert.equal(d.consecutive, 0, 'the count starts afresh after the disable');
    assert.equal(a.total, AUTO_DISABLE_AFTER - 1);
    assert.equal(a.consecutive, AUTO_DISABLE_AFTER - 1);
    assert.equal(almostSub.active, true, '`almost` is one dead letter short of the limit and stays enabled');
    assert.equal(disabledByWorker.reduce((s, n) => s + n, 0), 1, 'one disable, counted by whichever worker ran it');
    assert.equal(await runs(deadLetterWorkflowId(doomed.body.id)), 1, 'one dead-letter workflow per subscription, not one per worker');
    assert.equal(await runs(deadLetterWorkflowId(almost.body.id)), 1);
    // Each replica is its own metrics target: both workers made attempts, each counts only its own.
    assert.equal(attemptsByWorker.reduce((s, n) => s + n, 0), 2 * AUTO_DISABLE_AFTER - 1);
  });

  void test('the purge schedule fires one purge for the cluster, whatever the worker count', { timeout: 180_000 }, async () => {
    receivers.aged = await startReceivers({ aged: () => ({ status: 200 }) }).then((r) => r.aged!);
    const sub = await callApi(apis[0]!.url!, API_KEY, 'POST', '/v1/subscriptions', { url: receivers.aged.url, eventTypes: ['aged.*'] });
    assert.equal(sub.status, 201);
    receivers.aged.secret = sub.body.secret;
    const AGED = 10;
    const retried = { n: 0 };
    const aged = await Promise.all(Array.from({ length: AGED }, (_, i) => accept(i, 'aged.tick', { i }, retried)));
    const db = new PgClient({ connectionString: hf.opts.databaseUrl });
    await db.connect();
    try {
      const ids = aged.map((e) => e.id);
      await waitFor(
        async () => (await db.query('SELECT count(*)::int AS n FROM event_deliveries WHERE event_id = ANY($1) AND completed_at IS NOT NULL', [ids])).rows[0].n === AGED,
        'the aged events delivered',
        60_000,
        250,
      );
      // Older than the retention (30 days), as if a month had passed.
      await db.query("UPDATE events SET created_at = now() - interval '40 days' WHERE id = ANY($1)", [ids]);
      await db.query("UPDATE event_deliveries SET completed_at = now() - interval '40 days' WHERE event_id = ANY($1)", [ids]);
      const schedules: string[] = [];
      for await (const s of temporal.client.schedule.list()) schedules.push(s.scheduleId);
      assert.deepEqual(schedules, [PURGE_SCHEDULE_ID], 'two migrations, four processes: one schedule');
      await temporal.client.schedule.getHandle(PURGE_SCHEDULE_ID).trigger();
      const purges = async () => {
        const out: { id: string; status: string }[] = [];
        for await (const wf of temporal.client.workflow.list({ query: `WorkflowType = 'purgeWorkflow'` })) out.push({ id: wf.workflowId, status: wf.status.name });
        return out;
      };
      await waitFor(async () => (await purges()).some((p) => p.status === 'COMPLETED'), 'the purge run completed', 60_000, 500);
      await sleep(3_000);
      const runs = await purges();
      const result = (await temporal.client.workflow.getHandle(runs[0]!.id).result()) as PurgeReport;
      const left = (await db.query('SELECT count(*)::int AS n FROM events WHERE id = ANY($1)', [ids])).rows[0].n;
      const described = await temporal.client.schedule.getHandle(PURGE_SCHEDULE_ID).describe();
      report('multi-replica-purge', { runs: runs.length, purged: result, left, scheduleActions: described.info.numActionsTaken });
      assert.equal(runs.length, 1, `one purge run for one trigger: ${JSON.stringify(runs)}`);
      assert.equal(result.events, AGED);
      assert.equal(result.deliveries, AGED);
      assert.equal(left, 0);
      assert.equal(described.info.numActionsTaken, 1);
    } finally {
      await db.end();
    }
  });

  void test('2,000 events over two APIs, one worker and one API killed -9 mid-burst: nothing lost, survivors carry on', { timeout: 600_000 }, async () => {
    const main = (receivers.main = await startReceivers({ main: () => ({ status: 200, delayMs: 30 }) }).then((r) => r.main!));
    const all = [main];
    const sub = await callApi(apis[1]!.url!, API_KEY, 'POST', '/v1/subscriptions', { url: main.url, eventTypes: ['burst.*'] });
    assert.equal(sub.status, 201);
    main.secret = sub.body.secret;
    const subId = sub.body.id as string;
    const attemptsBeforeBurst = await Promise.all(workers.map((w) => counter(w, METRIC.attempts)));
    const expected = new Set<string>();
    const deliveryIds = new Set<string>();
    const deliveryOf = new Map<string, string>();
    const retried = { n: 0 };
    let accepted = 0;
    let next = 0;
    const t0 = Date.now();
    const burstTag = randomUUID().slice(0, 8);
    const sender = async () => {
      for (let i = next++; i < EVENTS; i = next++) {
        const e = await accept(i, 'burst.tick', { i, burstTag }, retried);
        for (const d of e.deliveries) {
          assert.equal(d.subscriptionId, subId);
          expected.add(pairKey(main.name, e.id));
          deliveryIds.add(d.id);
          deliveryOf.set(pairKey(main.name, e.id), d.id);
        }
        accepted += 1;
      }
    };
    const senders = Array.from({ length: SENDERS }, () => sender());

    // Both replicas of each role took part before the kill.
    await waitFor(() => accepted >= KILL_AFTER_ACCEPTED, `${KILL_AFTER_ACCEPTED} events accepted`, 120_000, 20);
    await waitFor(
      async () => (await Promise.all(workers.map((w) => counter(w, METRIC.attempts)))).every((n, i) => n >= attemptsBeforeBurst[i]! + 10),
      'both workers delivering',
      60_000,
      200,
    );
    const acceptedByApi = await Promise.all(apis.map((a) => counter(a, METRIC.eventsAccepted)));
    const attemptsBeforeKill = await Promise.all(workers.map((w) => counter(w, METRIC.attempts)));

    // Freeze worker-b (SIGSTOP) until it holds a request open at the receiver, read which sockets are
    // its own, then kill it: those sockets' requests are exactly the attempts it had in flight.
    const victim = workers[1]!;
    let stopAt = 0;
    let ports = new Set<number>();
    for (let i = 0; i < 500; i++) {
      process.kill(victim.proc.pid, 'SIGSTOP');
      stopAt = Date.now();
      ports = connectionPorts(victim.proc.pid, [Number(new URL(main.url).port)]);
      if (main.hits.some((h) => ports.has(h.remotePort!) && h.closedAt === undefined)) break;
      process.kill(victim.proc.pid, 'SIGCONT');
      await sleep(10);
    }
    await victim.proc.kill9();
    const apiKillAt = Date.now();
    await apis[1]!.proc.kill9();
    const undispatchedAtKill = await countUndispatched(hf.opts.databaseUrl);

    await Promise.all(senders);
    const acceptedAllAt = Date.now();
    await waitFor(() => ledger(expected, all).lost === 0, 'every accepted event delivered', 300_000, 250).catch((err: Error) => {
      throw new Error(`${err.message}: ${ledger(expected, all).lost} lost, e.g. ${JSON.stringify(ledger(expected, all).lostKeys.slice(0, 5))}`);
    });
    const deliveredAllAt = Date.now();
    const runsById = await waitForSucceeded(temporal, hf.taskQueue, deliveryIds);

    // The attempts worker-b had in flight: its requests still open at the freeze, and its successes
    // answered within REPORT_WINDOW_MS before it (their completion may not have reached Temporal).
    const burstHits = main.hits;
    const fromVictim = (h: Hit) => h.remotePort !== undefined && ports.has(h.remotePort) && h.arrivedAt <= stopAt + 1_000;
    const atRisk = burstHits.filter(
      (h) => fromVictim(h) && (h.closedAt === undefined || h.closedAt >= stopAt || (h.finishedAt !== undefined && h.finishedAt >= stopAt - REPORT_WINDOW_MS)),
    );
    const openAtKill = atRisk.filter((h) => h.closedAt === undefined || h.closedAt >= stopAt).length;
    const atRiskKeys = new Set(atRisk.map((h) => pairKey(h.receiver, h.webhookId)));
    const openKeys = new Set(atRisk.filter((h) => h.closedAt === undefined || h.closedAt >= stopAt).map((h) => pairKey(h.receiver, h.webhookId)));
    const l = ledger(expected, all);
    const firstAck = firstAcks(burstHits);
    const inFlightAtKill = (k: string) => atRiskKeys.has(k) && atRisk.includes(firstAck.get(k)!);
    // The other way an attempt's result is lost: its workflow task (a first attempt runs as a local
    // activity inside one) or its activity task timed out, which a box starved of CPU can cause with
    // no kill at all. Temporal's history of the delivery says whether that happened.
    const lostByTimeout = new Set<string>();
    for (const k of l.duplicatedKeys.filter((k) => !inFlightAtKill(k))) {
      const history = await temporal.client.workflow.getHandle(deliveryOf.get(k)!).fetchHistory();
      const types = (history.events ?? []).map((e) => proto.api.enums.v1.EventType[e.eventType!]);
      if (types.some((t) => /WORKFLOW_TASK_TIMED_OUT|WORKFLOW_TASK_FAILED|ACTIVITY_TASK_TIMED_OUT/.test(t))) lostByTimeout.add(k);
    }
    const unexplained = l.duplicatedKeys.filter((k) => !inFlightAtKill(k) && !lostByTimeout.has(k));
    // Time to recover: when the last attempt worker-b held was answered 2xx by a survivor.
    const resumed = [...atRiskKeys].map((k) => burstHits.filter((h) => pairKey(h.receiver, h.webhookId) === k && isAck(h) && h.arrivedAt > stopAt).map((h) => h.finishedAt!));
    const inFlightRecoveredMs = Math.max(0, ...resumed.flat().map((t) => t - stopAt));
    const attemptsAfter = await counter(workers[0]!, METRIC.attempts);
    const multipleRuns = [...runsById].filter(([, n]) => n !== 1);

    report('multi-replica', {
      events: EVENTS,
      deliveries: expected.size,
      acceptedByApiBeforeKill: acceptedByApi,
      attemptsByWorkerBeforeKill: attemptsBeforeKill,
      requestsRetriedOnTheOtherApi: retried.n,
      undispatchedAtKill,
      killedWorkerInFlight: openAtKill,
      killedWorkerAtRisk: atRiskKeys.size,
      lost: l.lost,
      duplicated: l.duplicated,
      duplicatedOpenAtKill: l.duplicatedKeys.filter((k) => openKeys.has(k)).length,
      duplicatedInFlightAtKill: l.duplicatedKeys.filter(inFlightAtKill).length,
      duplicatedAfterTaskTimeout: lostByTimeout.size,
      loadAverage: loadavg()[0],
      unverified: l.unverified,
      receiverRequests: burstHits.length,
      burstMs: acceptedAllAt - t0,
      killToAllDeliveredMs: deliveredAllAt - apiKillAt,
      inFlightRecoveredMs,
      survivorAttempts: attemptsAfter,
    });
    assert.equal(expected.size, EVENTS, 'every event accepted once, with one delivery');
    assert.ok(acceptedByApi.every((n) => n > 0) && attemptsBeforeKill.every((n) => n > 0), 'both replicas of each role worked before the kill');
    assert.ok(openAtKill > 0, 'the killed worker had attempts in flight');
    assert.equal(l.lost, 0);
    assert.equal(l.unverified, 0);
    // Each request of a pair: V (the killed worker's connection) or S (another), status, arrival..answer in ms from the freeze.
    const story = (k: string) =>
      burstHits
        .filter((h) => pairKey(h.receiver, h.webhookId) === k)
        .map((h) => `${fromVictim(h) ? 'V' : 'S'}${h.status ?? '-'}@${h.arrivedAt - stopAt}..${(h.finishedAt ?? NaN) - stopAt}`)
        .join(' ');
    assert.deepEqual(unexplained.map((k) => `${k}: ${story(k)}`), [], 'a duplicate whose first delivery was neither in flight on the killed worker nor lost with a timed-out task');
    const killDuplicates = l.duplicatedKeys.filter(inFlightAtKill).length;
    assert.ok(killDuplicates <= atRiskKeys.size, `duplicated ${killDuplicates} at the kill > attempts in flight on the killed worker ${atRiskKeys.size}`);
    assert.deepEqual(multipleRuns, [], 'one workflow run per delivery, however many APIs and sweeps started it');
    assert.ok(attemptsAfter > attemptsBeforeKill[0]!, 'the surviving worker carried on');
    assert.equal(apis[0]!.proc.running() && workers[0]!.proc.running(), true, 'the survivors are still up');
  });
});

const isAck = (h: Hit) => h.finishedAt !== undefined && h.status !== undefined && h.status >= 200 && h.status < 300;

function firstAcks(hits: Hit[]): Map<string, Hit> {
  const first = new Map<string, Hit>();
  for (const h of hits) {
    if (!isAck(h)) continue;
    const k = pairKey(h.receiver, h.webhookId);
    const prev = first.get(k);
    if (!prev || h.finishedAt! < prev.finishedAt!) first.set(k, h);
  }
  return first;
}

async function countUndispatched(databaseUrl: string): Promise<number> {
  const db = new PgClient({ connectionString: databaseUrl });
  await db.connect();
  try {
    return (await db.query('SELECT count(*)::int AS n FROM events WHERE dispatched_at IS NULL')).rows[0].n;
  } finally {
    await db.end();
  }
}

/** Waits until every delivery is listed as succeeded; returns how many runs each workflow ID has. */
async function waitForSucceeded(temporal: TemporalClientHandle, taskQueue: string, ids: Set<string>): Promise<Map<string, number>> {
  let runs = new Map<string, number>();
  await waitFor(
    async () => {
      runs = new Map();
      let succeeded = 0;
      let n = 0;
      for await (const wf of temporal.client.workflow.list({ query: `WorkflowType = 'deliveryWorkflow' AND TaskQueue = '${taskQueue}'`, pageSize: 1000 })) {
        runs.set(wf.workflowId, (runs.get(wf.workflowId) ?? 0) + 1);
        const s = wf.searchAttributes?.HookflowStatus;
        if (ids.has(wf.workflowId) && wf.status.name === 'COMPLETED' && String(Array.isArray(s) ? s[0] : s) === 'succeeded') succeeded += 1;
        if (++n > 3 * ids.size + 100) break;
      }
      return succeeded === ids.size;
    },
    'every delivery workflow listed as succeeded',
    120_000,
    2_000,
  );
  return runs;
}
