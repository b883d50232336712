// Micro-bench of the stats rollup upsert against embedded PostgreSQL: what its shape costs in
// PostgreSQL CPU per attempt: an attempt-log insert alone and with the shipped rollup CTE in the
// same statement, and the rollup alone in three shapes (a minute row and an hour row with 31 bins as
// shipped, the minute row only, no histogram). Evidence for docs/performance.md.
//   npx tsx bench/prototypes/stats-rollup-sql.ts
import { chmodSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres } from '../../src/dev/embedded-postgres';
import { migrate } from '../../src/db/migrate';
import { createPool } from '../../src/db/pool';
import { rollupCte } from '../../src/db/repos/subscription-stats';
import { freePort } from '../../src/net/free-port';
import { cpuSeconds } from '../support/proc-stats';

const COLS = { record: 'rec', subscriptionId: '$1', startedAt: '$3', durationMs: '$4', succeeded: '$5', nextAttemptAt: '$6' };
const shipped = rollupCte(COLS);
const ATTEMPT_ROW = `INSERT INTO delivery_attempts (delivery_id, subscription_id, event_id, round, attempt, started_at, duration_ms, status_code, outcome)
  VALUES ('dlv_x', $1, 'evt_x', 1, 1, $3, $4, 200, 'succeeded')`;
const VARIANTS: Record<string, string> = {
  // A rollup never runs alone: it shares the attempt statement's transaction and commit.
  'attempt row alone': `WITH a AS (${ATTEMPT_ROW}) SELECT $2::text, $5::boolean, $6::timestamptz`,
  'attempt row + rollup (shipped)': `WITH a AS (${ATTEMPT_ROW}), rec AS (SELECT $2::text AS tenant_id), ${shipped} SELECT 1`,
  'round trip only': 'SELECT $1::text, $2::text, $3::timestamptz, $4::int, $5::boolean, $6::timestamptz',
  'minute + hour rows, 31 bins (shipped)': `WITH rec AS (SELECT $2::text AS tenant_id), ${shipped} SELECT 1`,
  'minute row only, 31 bins': `WITH rec AS (SELECT $2::text AS tenant_id), ${shipped.replace('(VALUES (60), (3600))', '(VALUES (60))')} SELECT 1`,
  'minute + hour rows, counters only': `WITH rec AS (SELECT $2::text AS tenant_id), stats_rollup AS (
     INSERT INTO subscription_stats AS s (subscription_id, tenant_id, bucket_seconds, bucket_start, attempts, succeeded, failed, latency_max_ms)
     SELECT $1, r.tenant_id, g.secs, to_timestamp(floor(extract(epoch FROM $3::timestamptz) / g.secs) * g.secs), 1, $5::boolean::int, (NOT $5::boolean AND $6::timestamptz IS NULL)::int, $4::int
     FROM rec r, (VALUES (60), (3600)) AS g(secs)
     ON CONFLICT (subscription_id, bucket_seconds, bucket_start) DO UPDATE SET attempts = s.attempts + 1, succeeded = s.succeeded + EXCLUDED.succeeded,
       failed = s.failed + EXCLUDED.failed, latency_max_ms = GREATEST(s.latency_max_ms, EXCLUDED.latency_max_ms)) SELECT 1`,
};

async function main() {
  const dir = mkdtempSync(path.join(tmpdir(), 'stats-sql-'));
  chmodSync(dir, 0o755);
  const pgDir = path.join(dir, 'pg');
  const pg = await startEmbeddedPostgres({ dataDir: pgDir, port: await freePort(), persistent: false });
  const pid = Number(readFileSync(path.join(pgDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const db = createPool(pg.url, 8);
  await migrate(db);
  const n = Number(process.env.N ?? 4000);
  for (const round of [1, 2]) {
    for (const [name, text] of Object.entries(VARIANTS)) {
      const statement = { name: `v${Object.keys(VARIANTS).indexOf(name)}`, text };
      let next = 0;
      const c0 = cpuSeconds({ name: 'pg', pid, tree: true })!;
      const t0 = Date.now();
      await Promise.all(
        Array.from({ length: 8 }, async (_, w) => {
          while (next < n) {
            const i = next++;
            await db.query({ ...statement, values: [`sub_${w}`, 'default', new Date(), 5 + (i % 200), true, null] });
          }
        }),
      );
      const wall = (Date.now() - t0) / 1000;
      const pgCpu = cpuSeconds({ name: 'pg', pid, tree: true })! - c0;
      console.log(JSON.stringify({ round, variant: name, perSecond: Math.round(n / wall), pgUsPerCall: Math.round((pgCpu / n) * 1e6) }));
    }
  }
  await db.end();
  await pg.stop();
}
main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
