// The ceiling: the same signing, the same guarded undici Agent and request code as the worker's
// activity, the same receiver, and nothing durable in between (no Temporal, no PostgreSQL). The
// sender runs in its own process (bench/raw/raw-process.ts), so its heap does not count as hookflow's.
import path from 'node:path';
import { measure, type Ctx } from '../support/context';
import { startDriver } from '../support/driver-client';
import { progress } from '../support/progress';
import { nowMs, percentiles } from '../support/stats';

export async function rawBaseline(ctx: Ctx) {
  const { config } = ctx.stack;
  const sender = await startDriver(path.join(__dirname, '..', 'raw', 'raw-process.ts'));
  const withSender: Ctx = { ...ctx, watched: [...ctx.watched, { name: 'raw', pid: sender.pid, tree: false }] };
  try {
    await sender.call('setup', { url: `${ctx.receiverUrl}/hook`, secret: ctx.secret, requestTimeoutMs: config.requestTimeoutMs, bodyLimit: config.responseBodyLimitBytes });
    const latencyOf = async (prefix: string) => {
      const [arrivals, sent] = await Promise.all([
        ctx.driver.call<[string, number][]>('arrivalTimes', { prefix }),
        sender.call<[string, number][]>('sendTimes', { prefix }),
      ]);
      const sendAt = new Map(sent);
      return percentiles(arrivals.map(([id, at]) => at - sendAt.get(id)!));
    };

    // 1. Throughput at a fixed concurrency of 8 (the ceiling docs/performance.md quotes).
    const durationMs = ctx.quick ? 2_000 : 8_000;
    const bar = progress('raw: throughput');
    const t0 = nowMs();
    const ticker = setInterval(() => bar.update(Math.round(nowMs() - t0), durationMs, 'ms'), 250);
    const throughput = await measure(withSender, () =>
      sender.call<{ deliveries: number; seconds: number; perSecond: number; concurrency: number }>('throughput', { prefix: `${ctx.runId}raw-t-`, concurrency: 8, durationMs }),
    ).finally(() => clearInterval(ticker));
    bar.done(`${throughput.result.perSecond.toFixed(0)} deliveries/s`);
    const throughputLatency = await latencyOf(`${ctx.runId}raw-t-`);

    // 2. Latency at the same fixed rate as the hookflow latency scenario.
    const rate = 100;
    const bar2 = progress('raw: latency @100/s');
    await sender.call('atRate', { prefix: `${ctx.runId}raw-r-`, rate, count: rate * (ctx.quick ? 3 : 5) });
    const atRate = await latencyOf(`${ctx.runId}raw-r-`);
    bar2.done(`p50 ${atRate.p50.toFixed(2)} ms, p99 ${atRate.p99.toFixed(2)} ms`);

    // 3. A fan-out of 1,000 at the fan-out dispatcher's concurrency.
    const fanoutMs = await sender.call<number>('fanout', { prefix: `${ctx.runId}raw-f-`, count: 1000, concurrency: config.dispatchConcurrency });
    return { throughput, throughputLatencyMs: throughputLatency, latencyAt100: { rate, latencyMs: atRate }, fanout1000Ms: fanoutMs };
  } finally {
    await sender.call('close').catch(() => undefined);
    await sender.stop();
  }
}
