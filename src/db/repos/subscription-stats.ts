// The delivery-health rollups (subscription_stats, migration 013): written by the attempt statement,
// read by the stats routes, emptied by the retention purge.
import { LATENCY_BIN_COUNT, LATENCY_BOUNDS_MS } from '../../stats/latency-bins';
import type { BucketSums } from '../../stats/summary';
import type { StatsWindow } from '../../stats/window';
import type { Db } from '../pool';

type Queryable = Pick<Db, 'query'>;

const BINS = Array.from({ length: LATENCY_BIN_COUNT }, (_, i) => `l${i}`);
/** The resolutions kept: a minute row and an hour row per subscription and attempt. */
const ROW_SECONDS = [60, 3_600] as const;

/** Where the attempt statement holds what the rollup needs: SQL expressions, mostly its parameters. */
export interface AttemptColumns {
  /** A CTE returning the delivery's `tenant_id` (one row, or none when there is no record). */
  record: string;
  subscriptionId: string;
  startedAt: string;
  durationMs: string;
  succeeded: string;
  /** NULL when no retry follows: a failed attempt then ends its round. */
  nextAttemptAt: string;
}

/**
 * A CTE (named `stats_rollup`) that adds one attempt to its subscription's minute and hour rows:
 * one upsert of two rows, in the same statement as the attempt log, so the figures never disagree
 * with it. The duration's bin is PostgreSQL's width_bucket over the same bounds the reads use.
 */
export function rollupCte(c: AttemptColumns): string {
  const bin = `width_bucket(${c.durationMs}::int, '{${LATENCY_BOUNDS_MS.join(',')}}'::int[])`;
  const failed = `(NOT ${c.succeeded}::boolean AND ${c.nextAttemptAt}::timestamptz IS NULL)::int`;
  return `stats_rollup AS (
       INSERT INTO subscription_stats AS s (subscription_id, tenant_id, bucket_seconds, bucket_start, attempts, succeeded, failed, latency_max_ms, ${BINS.join(', ')})
       SELECT ${c.subscriptionId}, r.tenant_id, g.secs, to_timestamp(floor(extract(epoch FROM ${c.startedAt}::timestamptz) / g.secs) * g.secs),
              1, ${c.succeeded}::boolean::int, ${failed}, ${c.durationMs}::int, ${BINS.map((_, i) => `(b.bin = ${i})::int`).join(', ')}
       FROM ${c.record} r, (VALUES ${ROW_SECONDS.map((s) => `(${s})`).join(', ')}) AS g(secs), (SELECT ${bin} AS bin) AS b
       ON CONFLICT (subscription_id, bucket_seconds, bucket_start) DO UPDATE SET
         attempts = s.attempts + 1, succeeded = s.succeeded + EXCLUDED.succeeded, failed = s.failed + EXCLUDED.failed,
         latency_max_ms = GREATEST(s.latency_max_ms, EXCLUDED.latency_max_ms),
         ${BINS.map((l) => `${l} = s.${l} + EXCLUDED.${l}`).join(', ')}
     )`;
}

type SumsRow = { at: number; attempts: number; succeeded: number; failed: number; max_ms: number } & Record<string, number>;

/** Sums per bucket of the window; `owner` is the column that selects the rows. */
function readSql(owner: 'subscription_id' | 'tenant_id'): string {
  // date_part is float8 arithmetic, cheaper per row than extract's numeric on the 100,000 minute rows a
  // tenant's week by 15 minutes sums.
  return `SELECT (floor(date_part('epoch', bucket_start) / $2::float8) * $2::float8)::bigint AS at,
            sum(attempts)::bigint AS attempts, sum(succeeded)::bigint AS succeeded, sum(failed)::bigint AS failed,
            max(latency_max_ms) AS max_ms, ${BINS.map((l) => `sum(${l})::bigint AS ${l}`).join(', ')}
     FROM subscription_stats
     WHERE ${owner} = $1 AND bucket_seconds = $3 AND bucket_start >= to_timestamp($4) AND bucket_start < to_timestamp($5)
     GROUP BY 1 ORDER BY 1`;
}
const READ_BY = { subscription: readSql('subscription_id'), tenant: readSql('tenant_id') };

export async function readStats(db: Queryable, by: 'subscription' | 'tenant', id: string, w: StatsWindow): Promise<BucketSums[]> {
  const { rows } = await db.query<SumsRow>(READ_BY[by], [id, w.bucketSeconds, w.rowSeconds, w.sinceMs / 1000, w.untilMs / 1000]);
  return rows.map((r) => ({
    startMs: Number(r.at) * 1000,
    attempts: r.attempts,
    succeeded: r.succeeded,
    failed: r.failed,
    latency: { bins: BINS.map((l) => r[l] ?? 0), maxMs: r.max_ms },
  }));
}

/** Deletes up to `limit` rollup rows whose bucket ended before `cutoff`; returns how many went. */
export async function purgeStats(db: Queryable, cutoff: string, limit: number): Promise<number> {
  const { rowCount } = await db.query(
    `DELETE FROM subscription_stats WHERE ctid IN (
       SELECT ctid FROM subscription_stats
       WHERE bucket_start < $1::timestamptz - interval '1 minute' AND bucket_start + make_interval(secs => bucket_seconds) <= $1::timestamptz
       LIMIT $2)`,
    [cutoff, limit],
  );
  return rowCount ?? 0;
}
