// From summed rollup rows to what the stats routes answer: one entry per bucket of the window
// (empty ones too, so a chart has no gaps to guess at) and the totals over all of them.
import { addHistogram, emptyHistogram, quantile, type LatencyHistogram } from './latency-bins';
import type { BucketSize, StatsWindow } from './window';

/** One bucket's sums, as the rollups give them. */
export interface BucketSums {
  startMs: number;
  attempts: number;
  succeeded: number;
  failed: number;
  latency: LatencyHistogram;
}

export interface StatsCounts {
  /** Delivery rounds that ended in the bucket: succeeded + failed. */
  deliveries: number;
  attempts: number;
  succeeded: number;
  failed: number;
  /** succeeded ÷ deliveries; null when no delivery ended. */
  successRate: number | null;
  latencyMs: { p50: number | null; p95: number | null; p99: number | null };
}

export interface StatsSummary {
  since: string;
  until: string;
  bucket: BucketSize;
  totals: StatsCounts;
  buckets: (StatsCounts & { start: string })[];
}

function counts(s: Omit<BucketSums, 'startMs'>): StatsCounts {
  const deliveries = s.succeeded + s.failed;
  const q = (p: number) => quantile(s.latency, p) ?? null;
  return {
    deliveries,
    attempts: s.attempts,
    succeeded: s.succeeded,
    failed: s.failed,
    successRate: deliveries === 0 ? null : Math.round((s.succeeded / deliveries) * 10_000) / 10_000,
    latencyMs: { p50: q(0.5), p95: q(0.95), p99: q(0.99) },
  };
}

export function summarize(w: StatsWindow, rows: BucketSums[]): StatsSummary {
  const byStart = new Map(rows.map((r) => [r.startMs, r]));
  const total = { attempts: 0, succeeded: 0, failed: 0, latency: emptyHistogram() };
  const buckets: StatsSummary['buckets'] = [];
  const step = w.bucketSeconds * 1000;
  for (let at = w.sinceMs; at < w.untilMs; at += step) {
    const r = byStart.get(at) ?? { startMs: at, attempts: 0, succeeded: 0, failed: 0, latency: emptyHistogram() };
    total.attempts += r.attempts;
    total.succeeded += r.succeeded;
    total.failed += r.failed;
    addHistogram(total.latency, r.latency);
    buckets.push({ start: new Date(at).toISOString(), ...counts(r) });
  }
  return { since: new Date(w.sinceMs).toISOString(), until: new Date(w.untilMs).toISOString(), bucket: w.bucket, totals: counts(total), buckets };
}
