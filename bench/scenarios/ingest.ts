// Ingest: events accepted (202) per second by POST /v1/events and /v1/events/batch, one matching
// subscription. The events go to an API replica whose fan-out starts workflows on a task queue no
// worker polls, so the API, PostgreSQL and Temporal do all of their accept-and-start work while no
// delivery backlog is left behind to distort later scenarios.
import { measure, type Ctx } from '../support/context';
import { progress, say } from '../support/progress';
import { sleep } from '../support/stats';
import { BENCH_EVENT_TYPES } from './setup';

export interface IngestResult {
  events: number;
  requests: number;
  seconds: number;
  eventsPerSecond: number;
  statuses: Record<string, number>;
  requestLatencyMs: { p50: number; p99: number };
  lastError: string;
}

export async function ingest(ctx: Ctx) {
  // BENCH_INGEST_NO_STARTS=1: the replica starts no workflows at all, to see what accepting alone costs.
  const noStarts = process.env.BENCH_INGEST_NO_STARTS === '1';
  const sink = await ctx.stack.extraApi({ taskQueue: `${ctx.stack.config.temporal.taskQueue}-ingest-sink` }, noStarts ? { dispatchConcurrency: 0 } : {});
  if (noStarts) say('ingest: the replica starts no workflows (BENCH_INGEST_NO_STARTS=1)');
  const durationMs = ctx.quick ? 2_000 : 8_000;
  const run = async (label: string, batchSize: number, concurrency: number) => {
    const bar = progress(label);
    const t0 = Date.now();
    const ticker = setInterval(() => bar.update(Date.now() - t0, durationMs, 'ms'), 250);
    const m = await measure(ctx, () =>
      ctx.driver.call<IngestResult>('ingest', { url: sink.url, key: ctx.stack.config.apiKeys[0], batchSize, concurrency, durationMs, type: BENCH_EVENT_TYPES.ingest }),
    ).finally(() => clearInterval(ticker));
    bar.done(`${m.result.eventsPerSecond.toFixed(0)} events/s accepted`);
    const bad = Object.entries(m.result.statuses).filter(([s]) => s !== '202');
    if (bad.length > 0) say(`ingest ${label}: non-202 answers ${JSON.stringify(bad)}; last: ${m.result.lastError}`);
    return m;
  };
  const t0 = Date.now();
  const single = await run('ingest: single', 1, 16);
  const batch = await run('ingest: batch of 100', 100, 4);
  const atRate = await offered(ctx, sink.url, INGEST_OFFERED_RATE, durationMs);
  const accepted = single.result.events + batch.result.events + atRate.result.accepted;

  // How fast the in-process fan-out turns accepted events into started workflows (bounded wait).
  const bar = progress('ingest: workflow starts');
  const deadline = Date.now() + (ctx.quick ? 10_000 : 20_000);
  let started = 0;
  while (Date.now() < deadline) {
    const { rows } = await ctx.stack.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM events WHERE type = $1 AND dispatched_at IS NOT NULL`, [BENCH_EVENT_TYPES.ingest]);
    started = rows[0]!.n;
    bar.update(started, accepted);
    if (started >= accepted) break;
    await sleep(500);
  }
  const startSeconds = (Date.now() - t0) / 1000;
  bar.done(`${started}/${accepted} events' workflows started`);
  await ctx.stack.retireExtraApi(sink);
  return { single, batch, atRate, workflowStarts: { accepted, started, seconds: startSeconds, perSecond: started / startSeconds } };
}

/** The rate at which the ingest latency target is measured. */
export const INGEST_OFFERED_RATE = 1_000;

interface OfferedResult {
  offeredPerSecond: number;
  requests: number;
  accepted: number;
  seconds: number;
  statuses: Record<string, number>;
  requestLatencyMs: { p50: number; p95: number; p99: number };
  maxScheduleLagMs: number;
  lastError: string;
}

/** Single-event POSTs offered at a fixed rate (open loop): POST → 202 latency. */
async function offered(ctx: Ctx, url: string, rate: number, durationMs: number) {
  const bar = progress(`ingest: @${rate}/s`);
  const t0 = Date.now();
  const ticker = setInterval(() => bar.update(Date.now() - t0, durationMs, 'ms'), 250);
  const m = await measure(ctx, () =>
    ctx.driver.call<OfferedResult>('ingestRate', { url, key: ctx.stack.config.apiKeys[0], rate, durationMs, type: BENCH_EVENT_TYPES.ingest }),
  ).finally(() => clearInterval(ticker));
  const l = m.result.requestLatencyMs;
  bar.done(`${m.result.accepted}/${m.result.requests} accepted, p50 ${l.p50.toFixed(1)} ms, p99 ${l.p99.toFixed(1)} ms`);
  const bad = Object.entries(m.result.statuses).filter(([s]) => s !== '202');
  if (bad.length > 0) say(`ingest @${rate}/s: non-202 answers ${JSON.stringify(bad)}; last: ${m.result.lastError}`);
  return m;
}
