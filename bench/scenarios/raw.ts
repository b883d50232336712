// The ceiling: the same signing, the same guarded undici Agent and request code as the worker's
// activity, the same receiver, and nothing durable in between (no Temporal, no PostgreSQL).
import { sendWebhook } from '../../activities/send-webhook';
import { createDeliveryDispatcher } from '../../src/security/guarded-dispatcher';
import { urlPolicy } from '../../src/security/policy-from-config';
import { buildWebhookHeaders } from '../../src/signing/standard-webhooks';
import { measure, type Ctx } from '../support/context';
import { samplePayload } from '../support/payload';
import { progress } from '../support/progress';
import { nowMs, percentiles, sleep } from '../support/stats';

export async function rawBaseline(ctx: Ctx) {
  const { config } = ctx.stack;
  // As src/runtime/worker.ts builds it.
  const dispatcher = createDeliveryDispatcher({
    policy: urlPolicy(config),
    connectTimeoutMs: Math.min(10_000, config.requestTimeoutMs),
    keepAliveTimeoutMs: 30_000,
  });
  const sends = new Map<string, number>();
  const url = `${ctx.receiverUrl}/hook`;
  const deliver = async (id: string, n: number) => {
    const body = `{"type":"bench.raw","timestamp":${JSON.stringify(new Date().toISOString())},"data":${JSON.stringify(samplePayload(n))}}`;
    const headers = buildWebhookHeaders({ id, timestampSeconds: Math.floor(Date.now() / 1000), body, secrets: [ctx.secret] });
    sends.set(id, nowMs());
    const res = await sendWebhook({ url, headers, body, dispatcher, timeoutMs: config.requestTimeoutMs, bodyLimit: config.responseBodyLimitBytes });
    if (res.statusCode !== 200) throw new Error(`receiver answered ${res.statusCode}: ${res.bodyExcerpt}`);
  };
  const latencyOf = async (prefix: string) => {
    const arrivals = await ctx.driver.call<[string, number][]>('arrivalTimes', { prefix });
    return percentiles(arrivals.map(([id, at]) => at - sends.get(id)!));
  };

  // 1. Throughput at a fixed concurrency of 8 (the figure in DESIGN.md).
  const concurrency = 8;
  const durationMs = ctx.quick ? 2_000 : 8_000;
  const bar = progress('raw: throughput');
  const throughput = await measure(ctx, async () => {
    let n = 0;
    const started = nowMs();
    const deadline = started + durationMs;
    const ticker = setInterval(() => bar.update(Math.round(nowMs() - started), durationMs, `${n} sent`), 250);
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (nowMs() < deadline) await deliver(`${ctx.runId}raw-t-${n}`, n++);
      }),
    );
    clearInterval(ticker);
    const seconds = (nowMs() - started) / 1000;
    return { deliveries: n, seconds, perSecond: n / seconds, concurrency };
  });
  bar.done(`${throughput.result.perSecond.toFixed(0)} deliveries/s`);
  const throughputLatency = await latencyOf(`${ctx.runId}raw-t-`);

  // 2. Latency at the same fixed rate as the hookflow latency scenario.
  const rate = 100;
  const count = rate * (ctx.quick ? 3 : 5);
  const bar2 = progress('raw: latency @100/s');
  const started = nowMs();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const wait = started + (i * 1000) / rate - nowMs();
    if (wait > 1) await sleep(wait);
    inflight.push(deliver(`${ctx.runId}raw-r-${i}`, i));
    if (i % 50 === 0) bar2.update(i, count);
  }
  await Promise.all(inflight);
  const atRate = await latencyOf(`${ctx.runId}raw-r-`);
  bar2.done(`p50 ${atRate.p50.toFixed(2)} ms, p99 ${atRate.p99.toFixed(2)} ms`);

  // 3. A fan-out of 1,000 at the fan-out dispatcher's concurrency.
  const fanStart = nowMs();
  let next = 0;
  await Promise.all(
    Array.from({ length: config.dispatchConcurrency }, async () => {
      while (next < 1000) {
        const i = next++;
        await deliver(`${ctx.runId}raw-f-${i}`, i);
      }
    }),
  );
  const fanoutMs = nowMs() - fanStart;
  await dispatcher.close();
  return { throughput, throughputLatencyMs: throughputLatency, latencyAt100: { rate, latencyMs: atRate }, fanout1000Ms: fanoutMs };
}
