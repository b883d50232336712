// What a stats request asks for, checked and aligned: a window [since, until) cut into buckets of a
// fixed size, aligned to multiples of that size since the Unix epoch (UTC), so the same bucket
// always covers the same minutes whoever asks and however the window was typed.
import { badRequest } from '../errors/problem';

export const BUCKET_SIZES = ['1m', '5m', '15m', '30m', '1h', '3h', '6h', '12h', '1d'] as const;
export type BucketSize = (typeof BUCKET_SIZES)[number];

const SECONDS: Record<BucketSize, number> = { '1m': 60, '5m': 300, '15m': 900, '30m': 1_800, '1h': 3_600, '3h': 10_800, '6h': 21_600, '12h': 43_200, '1d': 86_400 };

export const MAX_BUCKETS = 1_000;
/** Without a bucket size, the smallest that cuts the window into at most this many. */
export const DEFAULT_MAX_BUCKETS = 200;
export const DEFAULT_WINDOW_MS = 24 * 3_600_000;

export interface StatsWindow {
  /** Aligned: since rounded down, until rounded up to whole buckets. */
  sinceMs: number;
  untilMs: number;
  bucket: BucketSize;
  bucketSeconds: number;
  /** The rollup rows to read: minute rows for buckets under an hour, hour rows otherwise. */
  rowSeconds: 60 | 3_600;
}

export interface StatsQuery {
  since?: string;
  until?: string;
  bucket?: BucketSize;
}

const countOf = (sinceMs: number, untilMs: number, seconds: number) => {
  const step = seconds * 1000;
  return (Math.ceil(untilMs / step) - Math.floor(sinceMs / step));
};

/** Checks a request against the rules a schema cannot state (they move with the clock): a 400 naming the field. */
export function resolveWindow(q: StatsQuery, now: number, retentionDays: number): StatsWindow {
  const until = q.until ? Date.parse(q.until) : now;
  const since = q.since ? Date.parse(q.since) : until - DEFAULT_WINDOW_MS;
  if (since >= until) throw badRequest([{ path: 'query.since', message: `must be before ${q.until ? 'query.until' : 'now'}` }]);
  const oldest = now - retentionDays * 86_400_000;
  if (since < oldest) {
    const field = q.since ? 'query.since' : 'query.until';
    throw badRequest([{ path: field, message: `the window must lie within the retention (${retentionDays} days): start on or after ${new Date(oldest).toISOString()}` }]);
  }
  const bucket = q.bucket ?? BUCKET_SIZES.find((b) => countOf(since, until, SECONDS[b]) <= DEFAULT_MAX_BUCKETS) ?? '1d';
  const bucketSeconds = SECONDS[bucket];
  const count = countOf(since, until, bucketSeconds);
  if (count > MAX_BUCKETS) {
    throw badRequest([{ path: 'query.bucket', message: `${bucket} buckets would cut this window into ${count}; at most ${MAX_BUCKETS}: choose a larger bucket or a shorter window` }]);
  }
  const step = bucketSeconds * 1000;
  return {
    sinceMs: Math.floor(since / step) * step,
    untilMs: Math.ceil(until / step) * step,
    bucket,
    bucketSeconds,
    rowSeconds: bucketSeconds < 3_600 ? 60 : 3_600,
  };
}
