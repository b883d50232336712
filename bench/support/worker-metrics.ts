// Temporal's own view, from the worker's Prometheus endpoint (Core SDK metrics). Histograms are
// cumulative, so each scenario is the difference of a scrape before and after it.

export const SCHEDULE_TO_START = {
  workflowTask: 'temporal_workflow_task_schedule_to_start_latency',
  activity: 'temporal_activity_schedule_to_start_latency',
} as const;

export const ALSO_KEPT = {
  workflowTaskExecution: 'temporal_workflow_task_execution_latency',
  activityExecution: 'temporal_activity_execution_latency',
  workflowEndToEnd: 'temporal_workflow_endtoend_latency',
} as const;

/** le (upper bound, ms) → cumulative count; plus sum and count. Summed over every label set. */
export interface Histogram {
  buckets: Map<number, number>;
  sum: number;
  count: number;
}

export type Scrape = Map<string, Histogram>;

export async function scrape(url: string): Promise<Scrape> {
  const text = await (await fetch(url)).text();
  const out: Scrape = new Map();
  const get = (name: string) => {
    let h = out.get(name);
    if (!h) out.set(name, (h = { buckets: new Map(), sum: 0, count: 0 }));
    return h;
  };
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*?)(_bucket|_sum|_count)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const [, name, part, labels = '', value] = m;
    const h = get(name!);
    const v = Number(value);
    if (part === '_sum') h.sum += v;
    else if (part === '_count') h.count += v;
    else {
      const le = /le="([^"]+)"/.exec(labels)?.[1];
      if (le === undefined) continue;
      const bound = le === '+Inf' ? Infinity : Number(le);
      h.buckets.set(bound, (h.buckets.get(bound) ?? 0) + v);
    }
  }
  return out;
}

export function diff(before: Histogram | undefined, after: Histogram | undefined): Histogram | undefined {
  if (!after) return undefined;
  const buckets = new Map<number, number>();
  for (const [le, c] of after.buckets) buckets.set(le, c - (before?.buckets.get(le) ?? 0));
  return { buckets, sum: after.sum - (before?.sum ?? 0), count: after.count - (before?.count ?? 0) };
}

/** Like PromQL histogram_quantile: linear interpolation inside the bucket that holds the rank. */
export function quantile(h: Histogram, q: number): number {
  const bounds = [...h.buckets.keys()].sort((a, b) => a - b);
  const total = h.buckets.get(Infinity) ?? h.count;
  if (!total) return NaN;
  const rank = q * total;
  let prevBound = 0;
  let prevCount = 0;
  for (const b of bounds) {
    const c = h.buckets.get(b)!;
    if (c >= rank) {
      if (b === Infinity) return prevBound;
      return prevBound + ((b - prevBound) * (rank - prevCount)) / Math.max(1, c - prevCount);
    }
    prevBound = b;
    prevCount = c;
  }
  return prevBound;
}

export interface LatencySummary {
  count: number;
  meanMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
}

export function summarize(h: Histogram | undefined): LatencySummary | null {
  if (!h || h.count === 0) return null;
  const r = (v: number) => Math.round(v * 100) / 100;
  return { count: h.count, meanMs: r(h.sum / h.count), p50Ms: r(quantile(h, 0.5)), p95Ms: r(quantile(h, 0.95)), p99Ms: r(quantile(h, 0.99)) };
}

/** Every histogram we keep, for the scenario between two scrapes. */
export function temporalView(before: Scrape, after: Scrape): Record<string, LatencySummary | null> {
  const names = { ...SCHEDULE_TO_START, ...ALSO_KEPT };
  return Object.fromEntries(Object.entries(names).map(([key, metric]) => [key, summarize(diff(before.get(metric), after.get(metric)))]));
}
