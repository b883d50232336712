import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { Problem } from '../../src/errors/problem';
import { emptyHistogram, LATENCY_BIN_COUNT, LATENCY_BOUNDS_MS, latencyBin, quantile, type LatencyHistogram } from '../../src/stats/latency-bins';
import { summarize } from '../../src/stats/summary';
import { resolveWindow } from '../../src/stats/window';

const NOW = Date.parse('2026-12-04T12:34:56.789Z');

function histogramOf(durations: number[]): LatencyHistogram {
  const h = emptyHistogram();
  for (const d of durations) {
    h.bins[latencyBin(d)]! += 1;
    h.maxMs = Math.max(h.maxMs, d);
  }
  return h;
}

void test('the histogram is the columns of migration 013, bin for bin', () => {
  const sql = readFileSync(path.join(__dirname, '../../src/db/migrations/013_subscription_stats.sql'), 'utf8');
  const columns = [...sql.matchAll(/^\s+l(\d+)\s+integer NOT NULL DEFAULT 0/gm)].map((m) => Number(m[1]));
  assert.deepEqual(columns, Array.from({ length: LATENCY_BIN_COUNT }, (_, i) => i));
});

void test("bins are numbered as PostgreSQL's width_bucket numbers them: lower bound in, upper bound out", () => {
  assert.equal(latencyBin(0), 0);
  assert.equal(latencyBin(1), 1);
  assert.equal(latencyBin(2), 2);
  assert.equal(latencyBin(99), LATENCY_BOUNDS_MS.indexOf(100));
  assert.equal(latencyBin(100), LATENCY_BOUNDS_MS.indexOf(100) + 1);
  assert.equal(latencyBin(10_000_000), LATENCY_BIN_COUNT - 1);
});

void test('a quantile lies in the bin of the exact nearest-rank value, never above the maximum, and grows with q', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 400_000 }), { minLength: 1, maxLength: 300 }), fc.double({ min: 0.01, max: 1, noNaN: true }), (durations, q) => {
      const sorted = [...durations].sort((a, b) => a - b);
      const exact = sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]!;
      const h = histogramOf(durations);
      const est = quantile(h, q)!;
      const bin = latencyBin(exact);
      const lo = bin === 0 ? 0 : LATENCY_BOUNDS_MS[bin - 1]!;
      const hi = LATENCY_BOUNDS_MS[bin] ?? Infinity;
      assert.ok(est >= lo && est <= Math.min(hi, sorted.at(-1)!), `q=${q}: ${est} outside [${lo}, ${hi}) of exact ${exact}`);
      assert.ok(quantile(h, Math.min(1, q + 0.05))! >= est);
    }),
  );
  assert.equal(quantile(emptyHistogram(), 0.5), undefined);
  assert.equal(quantile(histogramOf([7, 7, 7]), 0.99), 7, 'never above the longest');
});

void test('a window: defaults to the last 24 h, aligned to whole buckets in UTC, with a bucket size that keeps it legible', () => {
  const w = resolveWindow({}, NOW, 30);
  assert.equal(w.bucket, '15m');
  assert.equal(new Date(w.sinceMs).toISOString(), '2026-12-03T12:30:00.000Z');
  assert.equal(new Date(w.untilMs).toISOString(), '2026-12-04T12:45:00.000Z');
  assert.equal(w.rowSeconds, 60);
  const week = resolveWindow({ since: new Date(NOW - 7 * 86_400_000).toISOString(), bucket: '1d' }, NOW, 30);
  assert.deepEqual([new Date(week.sinceMs).toISOString(), new Date(week.untilMs).toISOString(), week.rowSeconds], ['2026-11-27T00:00:00.000Z', '2026-12-05T00:00:00.000Z', 3_600]);
  assert.equal(resolveWindow({ since: '2026-12-04T12:00:00Z' }, NOW, 30).bucket, '1m');
});

void test('bad windows are 400s naming the field', () => {
  const fieldOf = (q: Parameters<typeof resolveWindow>[0]) => {
    try {
      resolveWindow(q, NOW, 30);
    } catch (err) {
      assert.ok(err instanceof Problem && err.status === 400);
      return err.errors?.map((e) => e.path);
    }
    return undefined;
  };
  assert.deepEqual(fieldOf({ since: '2026-12-04T12:00:00Z', until: '2026-12-04T12:00:00Z' }), ['query.since']);
  assert.deepEqual(fieldOf({ since: '2026-12-04T13:00:00Z' }), ['query.since'], 'since after now, until defaulted to now');
  assert.deepEqual(fieldOf({ since: '2026-10-01T00:00:00Z' }), ['query.since'], 'older than 30 days of retention');
  assert.deepEqual(fieldOf({ until: '2026-10-01T00:00:00Z' }), ['query.until'], 'a defaulted since older than retention: the field given is named');
  assert.deepEqual(fieldOf({ since: '2026-12-03T00:00:00Z', bucket: '1m' }), ['query.bucket'], '2,195 one-minute buckets');
  assert.equal(fieldOf({ since: '2026-12-03T20:00:00Z', bucket: '1m' }), undefined, '995 one-minute buckets are fine');
});

void test('a summary has every bucket of the window, empty ones too, and totals that merge the histograms', () => {
  const w = resolveWindow({ since: '2026-12-04T10:00:00Z', until: '2026-12-04T13:00:00Z', bucket: '1h' }, NOW, 30);
  const s = summarize(w, [
    { startMs: Date.parse('2026-12-04T10:00:00Z'), attempts: 5, succeeded: 3, failed: 1, latency: histogramOf([10, 10, 10, 400, 400]) },
    { startMs: Date.parse('2026-12-04T12:00:00Z'), attempts: 1, succeeded: 0, failed: 0, latency: histogramOf([2_500]) },
  ]);
  assert.deepEqual(s.buckets.map((b) => [b.start, b.deliveries, b.attempts, b.successRate]), [
    ['2026-12-04T10:00:00.000Z', 4, 5, 0.75],
    ['2026-12-04T11:00:00.000Z', 0, 0, null],
    ['2026-12-04T12:00:00.000Z', 0, 1, null],
  ]);
  assert.deepEqual(s.buckets[1]!.latencyMs, { p50: null, p95: null, p99: null });
  assert.deepEqual({ ...s.totals, latencyMs: undefined }, { deliveries: 4, attempts: 6, succeeded: 3, failed: 1, successRate: 0.75, latencyMs: undefined });
  assert.equal(s.totals.latencyMs.p99, 2_500, 'the slowest attempt, from the second bucket');
  assert.ok(s.totals.latencyMs.p50! >= 10 && s.totals.latencyMs.p50! <= 15, 'in the bin of 10 ms');
});
