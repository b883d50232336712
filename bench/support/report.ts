// Turns scenario results into the headline figures (JSON) and the terminal table.
import type { Measured } from './context';
import { round } from './stats';

const TARGETS = { sustainedPerSecond: 200, p99At20Ms: 250, ingestPerSecond: 3000, fanoutSeconds: 10 };

type Any = any; // scenario results are plain JSON; the table only reads known fields

/** CPU seconds per 1,000 deliveries: the process hosting API+worker, Temporal and PostgreSQL. */
function cpuPer1000(m: Measured<Any>, deliveries: number) {
  const c = m.cpuSeconds;
  const per = (v: number | null | undefined) => (v === null || v === undefined ? null : round((v / deliveries) * 1000, 3));
  const total = ['hookflow', 'temporal', 'postgres'].reduce((s, k) => s + (c[k] ?? 0), 0);
  return { hookflow: per(c.hookflow), temporal: per(c.temporal), postgres: per(c.postgres), total: per(total), driver: per(c.driver) };
}

const ratio = (v: number, raw: number) => round(v / raw, v / raw < 1 ? 4 : 1);
const lat = (l: Any) => ({ p50: round(l.p50), p95: round(l.p95), p99: round(l.p99) });

export function summarize(r: { raw: Any; lat20: Any; lat100: Any; sustained: Any; ingest: Any; fanout: Any; peakRssMiB: Record<string, number | null> }) {
  const rawRate = r.raw.throughput.result.perSecond;
  const rawLat = r.raw.latencyAt100.latencyMs;
  const rawFanoutS = r.raw.fanout1000Ms / 1000;
  const sus = r.sustained.result;
  const fanMedian = r.fanout.medianSeconds;
  const fanRun = r.fanout.runs[Math.floor(r.fanout.runs.length / 2)];
  const latRatio = (l: Any) => ({ p50: ratio(l.p50, rawLat.p50), p95: ratio(l.p95, rawLat.p95), p99: ratio(l.p99, rawLat.p99) });

  const figures = {
    targets: TARGETS,
    rawBaseline: {
      deliveriesPerSecond: round(rawRate, 0),
      concurrency: r.raw.throughput.result.concurrency,
      latencyAt100Ms: lat(rawLat),
      fanout1000Seconds: round(rawFanoutS, 3),
      cpuPer1000: cpuPer1000(r.raw.throughput, r.raw.throughput.result.deliveries),
    },
    ingest: {
      singleEventsPerSecond: round(r.ingest.single.result.eventsPerSecond, 0),
      batchEventsPerSecond: round(r.ingest.batch.result.eventsPerSecond, 0),
      workflowStartsPerSecond: round(r.ingest.workflowStarts.perSecond, 0),
    },
    sustained: {
      deliveries: sus.deliveries,
      deliveriesPerSecond: round(sus.perSecond, 1),
      steadyStatePerSecond: round(sus.steadyPerSecond, 1),
      ratioToRaw: ratio(sus.perSecond, rawRate),
      cpuPer1000: cpuPer1000(r.sustained, sus.received),
      temporal: r.sustained.temporal,
    },
    latency20: { ms: lat(r.lat20.result.latencyMs), ratioToRaw: latRatio(r.lat20.result.latencyMs), cpuPer1000: cpuPer1000(r.lat20, r.lat20.result.received), temporal: r.lat20.temporal },
    latency100: { ms: lat(r.lat100.result.latencyMs), ratioToRaw: latRatio(r.lat100.result.latencyMs), cpuPer1000: cpuPer1000(r.lat100, r.lat100.result.received), temporal: r.lat100.temporal },
    fanout1000: {
      medianSeconds: round(fanMedian, 2),
      runsSeconds: r.fanout.runs.map((x: Any) => round(x.result.seconds, 2)),
      ratioToRaw: ratio(fanMedian, rawFanoutS),
      cpuPer1000: cpuPer1000(fanRun, fanRun.result.received),
      temporal: fanRun.temporal,
    },
    peakRssMiB: r.peakRssMiB,
    // Share of the machine's CPU taken by processes outside the bench: high values mean noisy figures.
    foreignCpuShare: {
      raw: r.raw.throughput.foreignCpuShare,
      latency20: r.lat20.foreignCpuShare,
      latency100: r.lat100.foreignCpuShare,
      sustained: r.sustained.foreignCpuShare,
      ingestSingle: r.ingest.single.foreignCpuShare,
      fanout: fanRun.foreignCpuShare,
    } as Record<string, number | null>,
  };

  const ok = (pass: boolean) => (pass ? 'met' : 'MISSED');
  const n = (v: number, d = 0) => (Number.isFinite(v) ? v.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }) : 'n/a');
  const trio = (l: Any) => `${n(l.p50, 1)} / ${n(l.p95, 1)} / ${n(l.p99, 1)}`;
  const x = (v: number) => `${v}×`;
  const s2s = (t: Any) => {
    const w = t.workflowTask;
    const a = t.activity;
    return `wf ${w ? `${n(w.p50Ms, 1)}/${n(w.p99Ms, 1)}` : 'n/a'}  act ${a ? `${n(a.p50Ms, 1)}/${n(a.p99Ms, 1)}` : 'n/a'}`;
  };
  const cpu = (c: Any) => `${n(c.total, 2)} (api+worker ${n(c.hookflow, 2)}, temporal ${n(c.temporal ?? NaN, 2)}, pg ${n(c.postgres ?? NaN, 2)})`;
  const rows: string[][] = [
    ['figure', 'hookflow', 'target', 'raw baseline', 'hookflow/raw'],
    ['ingest, POST /v1/events (events/s)', n(figures.ingest.singleEventsPerSecond), `≥ 3,000 ${ok(figures.ingest.singleEventsPerSecond >= 3000)}`, '', ''],
    ['ingest, /v1/events/batch ×100 (events/s)', n(figures.ingest.batchEventsPerSecond), `≥ 3,000 ${ok(figures.ingest.batchEventsPerSecond >= 3000)}`, '', ''],
    ['ingest → workflows started (/s)', n(figures.ingest.workflowStartsPerSecond), '', '', ''],
    [`sustained delivery, ${n(sus.deliveries)} (deliveries/s)`, n(sus.perSecond, 1), `≥ 200 ${ok(sus.perSecond >= 200)}`, n(rawRate), x(figures.sustained.ratioToRaw)],
    ['  steady state (middle 80%)', n(sus.steadyPerSecond, 1), '', '', ''],
    ['latency @20/s p50/p95/p99 (ms)', trio(figures.latency20.ms), `p99 ≤ 250 ${ok(figures.latency20.ms.p99 <= 250)}`, `${trio(rawLat)} @100/s`, `${x(figures.latency20.ratioToRaw.p50)} / ${x(figures.latency20.ratioToRaw.p99)} (p50/p99)`],
    ['latency @100/s p50/p95/p99 (ms)', trio(figures.latency100.ms), '', `${trio(rawLat)} @100/s`, `${x(figures.latency100.ratioToRaw.p50)} / ${x(figures.latency100.ratioToRaw.p99)} (p50/p99)`],
    [`fan-out 1→1,000 (s, median of ${r.fanout.runs.length})`, n(fanMedian, 2), `≤ 10 ${ok(fanMedian <= 10)}`, n(rawFanoutS, 3), x(figures.fanout1000.ratioToRaw)],
    ['CPU s / 1,000 deliveries (sustained)', cpu(figures.sustained.cpuPer1000), '', n(figures.rawBaseline.cpuPer1000.hookflow ?? NaN, 3), x(ratio(figures.sustained.cpuPer1000.total ?? NaN, figures.rawBaseline.cpuPer1000.hookflow ?? NaN))],
    ['CPU s / 1,000 deliveries (@100/s)', cpu(figures.latency100.cpuPer1000), '', '', ''],
    ['sched-to-start p50/p99 ms (sustained)', s2s(r.sustained.temporal), '', '', ''],
    ['sched-to-start p50/p99 ms (@20/s)', s2s(r.lat20.temporal), '', '', ''],
    ['sched-to-start p50/p99 ms (fan-out)', s2s(fanRun.temporal), '', '', ''],
    ['other processes\' CPU share (noise)', Object.entries(figures.foreignCpuShare).map(([k, v]) => `${k} ${v === null ? 'n/a' : `${Math.round(v * 100)}%`}`).join(', '), '', '', ''],
    ['peak RSS MiB', Object.entries(r.peakRssMiB).map(([k, v]) => `${k} ${v ?? 'n/a'}`).join(', '), '', '', ''],
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const fmt = (row: string[]) => row.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  const rule = widths.map((w) => '─'.repeat(w)).join('  ');
  const table = [fmt(rows[0]!), rule, ...rows.slice(1).map(fmt)].join('\n');
  return { table, figures };
}
