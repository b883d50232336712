// What delivery health costs: the rollup write on the attempt path (PostgreSQL CPU per attempt: an
// attempt-log row with and without the rollup in its statement; the whole attempt statement on one
// subscription and spread over eight), and the stats read over 7 days with 1,000,000 attempts in the
// attempt log (GET …/stats through the API).
import { performance } from 'node:perf_hooks';
import { preparedStatement } from '../../src/db/pool';
import { insertPlannedDelivery, recordAttempt } from '../../src/db/repos/delivery-records';
import { rollupCte } from '../../src/db/repos/subscription-stats';
import { measure, type Ctx } from '../support/context';
import { say } from '../support/progress';
import { percentiles, round } from '../support/stats';
import { seedWeek, type Seeded } from './stats-seed';

export const STATS_ATTEMPTS = 1_000_000;
const CONCURRENCY = 8;

// The marginal cost of the rollup: an attempt-log row written alone, and the same row with the rollup
// CTE in the same statement, as the attempt statement has it (they share one transaction and commit).
const ATTEMPT_ROW = `INSERT INTO delivery_attempts (delivery_id, subscription_id, event_id, round, attempt, started_at, duration_ms, status_code, outcome)
  VALUES ($7, $1, $7, 1, 1, $3, $4, 200, 'succeeded')`;
const ROW_ALONE = preparedStatement('bench_attempt_row', `WITH a AS (${ATTEMPT_ROW}) SELECT $2::text, $5::boolean, $6::timestamptz`);
const ROW_AND_ROLLUP = preparedStatement(
  'bench_attempt_row_rollup',
  `WITH a AS (${ATTEMPT_ROW}), rec AS (SELECT $2::text AS tenant_id),
   ${rollupCte({ record: 'rec', subscriptionId: '$1', startedAt: '$3', durationMs: '$4', succeeded: '$5', nextAttemptAt: '$6' })} SELECT 1`,
);

/** `n` calls, `CONCURRENCY` at a time; PostgreSQL CPU and wall time per call. */
async function perCall(ctx: Ctx, label: string, n: number, call: (worker: number, i: number) => Promise<unknown>) {
  let next = 0;
  const m = await measure(ctx, () =>
    Promise.all(
      Array.from({ length: CONCURRENCY }, async (_, worker) => {
        while (next < n) await call(worker, next++);
      }),
    ),
  );
  const r = { pgCpuUs: round(((m.cpuSeconds.postgres ?? NaN) * 1e6) / n, 1), nodeCpuUs: round(((m.cpuSeconds.hookflow ?? NaN) * 1e6) / n, 1), perSecond: round(n / m.wallSeconds, 0), foreignCpuShare: m.foreignCpuShare };
  say(`stats: ${label}: ${JSON.stringify(r)}`);
  return r;
}

async function writeCost(ctx: Ctx, seeded: Seeded) {
  const n = ctx.quick ? 2_000 : 5_000;
  const db = ctx.stack.db;
  const [hot, ...rest] = seeded.subscriptionIds;
  // The other subscriptions, one per worker.
  const spread = rest.slice(0, CONCURRENCY);
  if (spread.length < CONCURRENCY) throw new Error(`the stats scenario needs ${CONCURRENCY + 1} subscriptions`);
  const prefix = `${ctx.runId}sw`;
  await db.query(
    `INSERT INTO events (tenant_id, id, type, data, request_hash, dispatched_at)
     SELECT $1, $2 || g, 'bench.stats', '{}', 'bench', now() FROM generate_series(0, $3::int - 1) AS g`,
    [seeded.tenantId, prefix, CONCURRENCY],
  );
  // Each worker its own delivery (no contention on delivery rows): on one subscription, or one each.
  const deliveries = { one: [] as string[], spread: [] as string[] };
  for (let w = 0; w < CONCURRENCY; w++) {
    for (const [kind, sub] of [['one', hot!], ['spread', spread[w]!]] as const) {
      const deliveryId = `${prefix}d-${kind}-${w}`;
      await insertPlannedDelivery(db, { deliveryId, tenantId: seeded.tenantId, eventId: `${prefix}${w}`, subscriptionId: sub, eventType: 'bench.stats' });
      deliveries[kind].push(deliveryId);
    }
  }
  const attempt = (kind: 'one' | 'spread') => (w: number, i: number) =>
    recordAttempt(
      db,
      {
        deliveryId: deliveries[kind][w]!, subscriptionId: kind === 'one' ? hot! : spread[w]!, eventId: `${prefix}${w}`, round: 1, attempt: i + 1,
        startedAt: new Date(), durationMs: 5 + (i % 200), statusCode: 200, responseBody: 'ok', errorClass: null, errorMessage: null, outcome: 'succeeded',
      },
      { succeeded: true, state: 'succeeded', completedAt: new Date().toISOString() },
    );
  const row = (statement: typeof ROW_ALONE) => (w: number, i: number) =>
    db.query({ ...statement, values: [spread[w]!, seeded.tenantId, new Date(), 5 + (i % 200), true, null, `${prefix}row`] });
  const rowAlone = await perCall(ctx, 'attempt row alone', n, row(ROW_ALONE));
  const rowAndRollup = await perCall(ctx, 'attempt row + rollup', n, row(ROW_AND_ROLLUP));
  const recordOne = await perCall(ctx, 'whole attempt statement, one subscription', n, attempt('one'));
  const recordSpread = await perCall(ctx, `whole attempt statement, ${CONCURRENCY} subscriptions`, n, attempt('spread'));
  return {
    callsPerCase: n,
    concurrency: CONCURRENCY,
    attemptRow: { alone: rowAlone, withRollup: rowAndRollup },
    attemptStatement: { oneSubscription: recordOne, spread: recordSpread },
    /** PostgreSQL CPU the rollup adds to each attempt, sharing the attempt's statement. */
    rollupPgCpuUsPerAttempt: round(rowAndRollup.pgCpuUs - rowAlone.pgCpuUs, 1),
  };
}

async function readTimes(ctx: Ctx, path: string, reps: number) {
  const url = `${ctx.apiUrl}${path}`;
  const headers = { authorization: `Bearer ${ctx.stack.config.apiKeys[0]}` };
  const get = async () => {
    const res = await fetch(url, { headers });
    const body = (await res.json()) as { buckets?: unknown[]; totals?: { attempts: number } };
    if (res.status !== 200) throw new Error(`GET ${path} answered ${res.status}: ${JSON.stringify(body)}`);
    return body;
  };
  for (let i = 0; i < 3; i++) await get();
  const ms: number[] = [];
  let last: Awaited<ReturnType<typeof get>> = {};
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    last = await get();
    ms.push(performance.now() - t0);
  }
  const p = percentiles(ms);
  const r = { p50: round(p.p50, 1), p95: round(p.p95, 1), max: round(p.max, 1), buckets: last.buckets?.length, attempts: last.totals?.attempts };
  say(`stats: GET ${path.replace(/\?.*/, '')} ${path.includes('bucket=') ? path.replace(/.*bucket=/, '') : ''}: ${JSON.stringify(r)}`);
  return r;
}

export async function statsScenario(ctx: Ctx) {
  const seeded = await seedWeek(ctx, STATS_ATTEMPTS);
  say(`stats: seeded in ${seeded.seedSeconds.toFixed(1)} s: ${JSON.stringify(seeded.rollupRows)} rollup rows`);
  const { rows } = await ctx.stack.db.query<{ n: number }>('SELECT count(*)::int AS n FROM delivery_attempts');
  const since = encodeURIComponent(new Date(Date.now() - 7 * 86_400_000).toISOString());
  const reps = 30;
  const sub = `/v1/subscriptions/${seeded.subscriptionIds[0]}/stats?since=${since}`;
  const tenant = `/v1/tenants/${seeded.tenantId}/stats?since=${since}`;
  const read = {
    attemptsInLog: rows[0]!.n,
    subscription7dHourly: await readTimes(ctx, `${sub}&bucket=1h`, reps),
    subscription7d15m: await readTimes(ctx, `${sub}&bucket=15m`, reps),
    tenant7dHourly: await readTimes(ctx, `${tenant}&bucket=1h`, reps),
    tenant7d15m: await readTimes(ctx, `${tenant}&bucket=15m`, reps),
  };
  return { seeded: { subscriptions: seeded.subscriptionIds.length, attempts: seeded.attempts, rollupRows: seeded.rollupRows, seedSeconds: round(seeded.seedSeconds, 1) }, read, write: await writeCost(ctx, seeded) };
}
