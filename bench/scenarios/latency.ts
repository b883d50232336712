// Submit → first attempt received, at a fixed offered rate of single-event POSTs.
import { BENCH_EVENT_TYPES } from './setup';
import { awaitArrivals, measure, settle, type Ctx } from '../support/context';
import { progress } from '../support/progress';
import { floorLatencyAtRate } from './floor';

export async function latencyAtRate(ctx: Ctx, rate: number) {
  // 20/s runs longer so its p99 rests on enough samples (600 in a full run).
  const seconds = ctx.quick ? (rate <= 20 ? 8 : 5) : rate <= 20 ? 30 : 20;
  const count = rate * seconds;
  const prefix = `${ctx.runId}lat${rate}-`;
  const m = await measure(ctx, async () => {
    const bar = progress(`latency @${rate}/s: submit`);
    const ticker = setInterval(() => void ctx.driver.call<number>('arrivals', { prefix }).then((n) => bar.update(n, count, 'received')), 500);
    const submitted = await ctx.driver
      .call<{ submitted: number; failed: number; firstFailure?: string; maxScheduleLagMs: number }>('submitRate', {
        url: ctx.apiUrl,
        key: ctx.stack.config.apiKeys[0],
        rate,
        count,
        type: BENCH_EVENT_TYPES.delivery,
        idPrefix: prefix,
      })
      .finally(() => clearInterval(ticker));
    bar.done(`${submitted.submitted} submitted, ${submitted.failed} failed`);
    if (submitted.failed > 0) throw new Error(`latency @${rate}/s: ${submitted.failed} submits failed, first: ${submitted.firstFailure}`);
    const received = await awaitArrivals(ctx, `latency @${rate}/s: drain`, prefix, count, 120_000);
    const stats = await ctx.driver.call<{ latencyMs: any; spanMs: number }>('latencies', { prefix });
    return { rate, seconds, submitted: count, received, maxScheduleLagMs: submitted.maxScheduleLagMs, latencyMs: stats.latencyMs, stagesMs: await stages(ctx, prefix) };
  });
  await settle(ctx);
  // The floor at the same rate, same length, right after: the latency targets compare hookflow with it.
  if (rate <= 20) return { ...m, floor: await floorLatencyAtRate(ctx, rate, seconds) };
  return m;
}

/**
 * Where the time goes, from hookflow's own clocks: accepted (the event row's commit-time now()) →
 * the first attempt starting (workflow start, workflow task, local activity, target read), and the
 * attempt's own HTTP duration. Percentiles over the scenario's events.
 */
async function stages(ctx: Ctx, prefix: string) {
  const { rows } = await ctx.stack.db.query<Record<string, number>>(
    `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY w) AS accepted_to_attempt_p50,
            percentile_cont(0.99) WITHIN GROUP (ORDER BY w) AS accepted_to_attempt_p99,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY d) AS http_p50,
            percentile_cont(0.99) WITHIN GROUP (ORDER BY d) AS http_p99
     FROM (SELECT extract(epoch FROM a.started_at - e.created_at) * 1000 AS w, a.duration_ms AS d
           FROM events e JOIN delivery_attempts a ON a.event_id = e.id AND a.attempt = 1 AND a.round = 1
           WHERE e.id LIKE $1) t`,
    [`${prefix}%`],
  );
  return rows[0];
}
