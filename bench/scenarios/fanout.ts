// One event to 1,000 subscriptions: time from submit until every one of them has been received.
import { awaitArrivals, measure, settle, type Ctx } from '../support/context';
import { median } from '../support/stats';
import { BENCH_EVENT_TYPES, createFanoutSubscriptions } from './setup';

export const FANOUT_SIZE = 1_000;

export async function fanout(ctx: Ctx) {
  await createFanoutSubscriptions(ctx, FANOUT_SIZE);
  const repeats = ctx.quick ? 1 : 3;
  const runs = [];
  for (let r = 0; r < repeats; r++) {
    const id = `${ctx.runId}fan-${r}`;
    const m = await measure(ctx, async () => {
      const { deliveries } = await ctx.driver.call<{ deliveries: number }>('submitOne', {
        url: ctx.apiUrl,
        key: ctx.stack.config.apiKeys[0],
        id,
        type: BENCH_EVENT_TYPES.fanout,
      });
      if (deliveries !== FANOUT_SIZE) throw new Error(`fan-out event planned ${deliveries} deliveries, expected ${FANOUT_SIZE}`);
      const received = await awaitArrivals(ctx, `fan-out ${r + 1}/${repeats}`, `${id}|`, FANOUT_SIZE, 120_000);
      const stats = await ctx.driver.call<{ latencyMs: any; spanMs: number }>('latencies', { prefix: `${id}|` });
      return { deliveries: FANOUT_SIZE, received, seconds: stats.spanMs / 1000, latencyMs: stats.latencyMs };
    });
    runs.push(m);
    await settle(ctx);
  }
  return { runs, medianSeconds: median(runs.map((r) => r.result.seconds)) };
}
