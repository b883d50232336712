// Attempt durations as a fixed histogram: counts per bin add up across rows, buckets and
// subscriptions, so p50/p95/p99 of any window come from sums, never from the attempt log. The bins
// are the columns l0..l30 of subscription_stats (migration 013): changing them needs a migration.

/** Upper bounds (exclusive) of bins 0..29, in ms; bin 30 holds everything from 300 s up. */
export const LATENCY_BOUNDS_MS = [
  1, 2, 3, 5, 7, 10, 15, 20, 30, 50, 70, 100, 150, 200, 300, 500, 700, 1_000, 1_500, 2_000, 3_000, 5_000, 7_000, 10_000, 15_000,
  20_000, 30_000, 60_000, 120_000, 300_000,
] as const;

export const LATENCY_BIN_COUNT = LATENCY_BOUNDS_MS.length + 1;

/** The bin of a duration, as PostgreSQL's width_bucket(ms, bounds) numbers it: 0 below 1 ms. */
export function latencyBin(ms: number): number {
  let i = 0;
  while (i < LATENCY_BOUNDS_MS.length && ms >= LATENCY_BOUNDS_MS[i]!) i++;
  return i;
}

export interface LatencyHistogram {
  /** LATENCY_BIN_COUNT counts. */
  bins: number[];
  /** The longest duration counted, in ms. */
  maxMs: number;
}

export const emptyHistogram = (): LatencyHistogram => ({ bins: new Array<number>(LATENCY_BIN_COUNT).fill(0), maxMs: 0 });

export function addHistogram(into: LatencyHistogram, h: LatencyHistogram): void {
  for (let i = 0; i < LATENCY_BIN_COUNT; i++) into.bins[i]! += h.bins[i] ?? 0;
  into.maxMs = Math.max(into.maxMs, h.maxMs);
}

/**
 * The q-quantile (0 < q ≤ 1) by nearest rank, placed linearly inside its bin and never above the
 * longest duration seen; undefined for an empty histogram. Exact to within its bin's width.
 */
export function quantile(h: LatencyHistogram, q: number): number | undefined {
  const total = h.bins.reduce((s, n) => s + n, 0);
  if (total === 0) return undefined;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let i = 0; i < h.bins.length; i++) {
    const n = h.bins[i]!;
    if (seen + n < rank) {
      seen += n;
      continue;
    }
    const lo = i === 0 ? 0 : LATENCY_BOUNDS_MS[i - 1]!;
    const hi = Math.min(LATENCY_BOUNDS_MS[i] ?? h.maxMs, Math.max(h.maxMs, lo));
    return Math.round(Math.min(lo + ((hi - lo) * (rank - seen)) / n, Math.max(h.maxMs, lo)));
  }
  return h.maxMs;
}
