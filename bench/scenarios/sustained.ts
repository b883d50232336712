// Sustained delivery: a large backlog submitted through the batch endpoint as fast as the API takes
// it, measured from the first submit to the last verified arrival.
import { BENCH_EVENT_TYPES } from './setup';
import { awaitArrivals, measure, settle, type Ctx } from '../support/context';

export async function sustainedDelivery(ctx: Ctx) {
  const count = ctx.quick ? 1_000 : 5_000;
  const prefix = `${ctx.runId}sus-`;
  const m = await measure(ctx, async () => {
    const submitted = ctx.driver.call<{ failed: number; firstFailure?: string; submitSeconds: number }>('submitBatches', {
      url: ctx.apiUrl,
      key: ctx.stack.config.apiKeys[0],
      count,
      batchSize: 100,
      concurrency: 2,
      type: BENCH_EVENT_TYPES.delivery,
      idPrefix: prefix,
    });
    const received = await awaitArrivals(ctx, 'sustained delivery', prefix, count, (ctx.quick ? 90 : 360) * 1000);
    const s = await submitted;
    if (s.failed > 0) throw new Error(`sustained: ${s.failed} batches failed, first: ${s.firstFailure}`);
    const stats = await ctx.driver.call<{ latencyMs: any; spanMs: number; steadyPerSecond: number }>('latencies', { prefix });
    return {
      deliveries: count,
      received,
      submitSeconds: s.submitSeconds,
      seconds: stats.spanMs / 1000,
      perSecond: received / (stats.spanMs / 1000),
      steadyPerSecond: stats.steadyPerSecond,
      latencyMs: stats.latencyMs,
    };
  });
  await settle(ctx);
  return m;
}
