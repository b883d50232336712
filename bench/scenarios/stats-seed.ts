// A week of history for the stats scenario, written straight into PostgreSQL: a tenant with ten
// subscriptions, 1,000,000 attempts spread evenly over the last 7 days, and the rollup rows those
// attempts would have left (one minute row and one hour row per subscription and period). Going
// through Temporal would take hours on this box; what a stats read costs depends only on the rows.
import { LATENCY_BIN_COUNT, LATENCY_BOUNDS_MS } from '../../src/stats/latency-bins';
import type { Ctx } from '../support/context';
import { say } from '../support/progress';

export const SEED_SUBSCRIPTIONS = 10;
const WEEK_SECONDS = 7 * 86_400;

async function call(ctx: Ctx, path: string, body: unknown): Promise<{ id: string }> {
  const res = await fetch(`${ctx.apiUrl}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ctx.stack.config.apiKeys[0]}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const answer = (await res.json()) as { id?: string };
  if (res.status !== 201 || !answer.id) throw new Error(`POST ${path} answered ${res.status}: ${JSON.stringify(answer)}`);
  return { id: answer.id };
}

export interface Seeded {
  tenantId: string;
  subscriptionIds: string[];
  attempts: number;
  rollupRows: { minute: number; hour: number };
  seedSeconds: number;
}

export async function seedWeek(ctx: Ctx, attempts: number): Promise<Seeded> {
  const t0 = Date.now();
  const tenantId = `${ctx.runId}stats`;
  await call(ctx, '/v1/tenants', { id: tenantId, name: 'bench: stats' });
  const subscriptionIds: string[] = [];
  for (let i = 0; i < SEED_SUBSCRIPTIONS; i++) {
    subscriptionIds.push((await call(ctx, '/v1/subscriptions', { tenantId, url: `${ctx.receiverUrl}/hook/stats${i}`, eventTypes: ['bench.stats'] })).id);
  }
  const db = ctx.stack.db;
  // Three attempts a delivery; 9 in 10 succeed; durations 5-204 ms with one in a hundred at 1.5 s.
  // In chunks: each statement stays well inside the pool's query timeout.
  const chunk = 100_000;
  for (let from = 0; from < attempts; from += chunk) {
    await db.query(
      `INSERT INTO delivery_attempts (delivery_id, subscription_id, event_id, round, attempt, started_at, duration_ms, status_code, outcome)
       SELECT $1 || (g / 3), ($2::text[])[1 + g % $3::int], $1 || 'e' || (g / 3), 1, 1 + g % 3,
              now() - make_interval(secs => (g::float8 / $4::int) * ${WEEK_SECONDS}),
              CASE WHEN g % 100 = 0 THEN 1500 ELSE 5 + (g::bigint * 7919) % 200 END,
              CASE WHEN g % 10 = 9 THEN 503 ELSE 200 END, CASE WHEN g % 10 = 9 THEN 'failed' ELSE 'succeeded' END
       FROM generate_series($5::int, $6::int) AS g`,
      [`${ctx.runId}sd`, subscriptionIds, SEED_SUBSCRIPTIONS, attempts, from, Math.min(attempts, from + chunk) - 1],
    );
  }
  say(`stats: ${attempts.toLocaleString('en-US')} attempts written in ${((Date.now() - t0) / 1000).toFixed(1)} s; folding them into rollups`);
  const bins = Array.from({ length: LATENCY_BIN_COUNT }, (_, i) => i);
  for (const subscriptionId of subscriptionIds) {
    await db.query(
      `INSERT INTO subscription_stats (subscription_id, tenant_id, bucket_seconds, bucket_start, attempts, succeeded, failed, latency_max_ms, ${bins.map((i) => `l${i}`).join(', ')})
       SELECT $3, $2, s.secs, to_timestamp(floor(extract(epoch FROM a.started_at) / s.secs) * s.secs),
              count(*), count(*) FILTER (WHERE outcome = 'succeeded'), count(*) FILTER (WHERE outcome = 'failed' AND attempt = 3), max(duration_ms),
              ${bins.map((i) => `count(*) FILTER (WHERE bin = ${i})`).join(', ')}
       FROM (SELECT started_at, outcome, attempt, duration_ms, width_bucket(duration_ms, '{${LATENCY_BOUNDS_MS.join(',')}}'::int[]) AS bin
             FROM delivery_attempts WHERE subscription_id = $3 AND delivery_id LIKE $1 || '%') AS a,
            (VALUES (60), (3600)) AS s(secs)
       GROUP BY 3, 4`,
      [`${ctx.runId}sd`, tenantId, subscriptionId],
    );
  }
  await db.query('ANALYZE subscription_stats');
  await db.query('ANALYZE delivery_attempts');
  const { rows } = await db.query<{ secs: number; n: number }>(
    'SELECT bucket_seconds AS secs, count(*)::int AS n FROM subscription_stats WHERE tenant_id = $1 GROUP BY 1',
    [tenantId],
  );
  const count = (secs: number) => rows.find((r) => r.secs === secs)?.n ?? 0;
  return { tenantId, subscriptionIds, attempts, rollupRows: { minute: count(60), hour: count(3600) }, seedSeconds: (Date.now() - t0) / 1000 };
}
