// The floor: Temporal's own cost for the same shape of work, measured on the same dev server in the
// same run. A trivial workflow whose one local activity does the same signed POST, started eagerly
// with as many starts in flight as hookflow's fan-out keeps, in a process of its own
// (bench/floor/floor-process.ts). Temporal CPU per delivery in `sustained` ÷ this = hookflow's overhead
// on the server side.
import path from 'node:path';
import { awaitArrivals, measure, type Ctx } from '../support/context';
import { startDriver, type Driver } from '../support/driver-client';
import { say } from '../support/progress';
import { percentiles } from '../support/stats';

let runs = 0;

/** A floor process set up on its own task queue and warmed up like hookflow's worker; stopped after `fn`. */
async function withFloorProcess<T>(ctx: Ctx, fn: (child: Driver, tag: string) => Promise<T>): Promise<T & { floorPeakRssMiB: number }> {
  const tag = `floor${runs++}`;
  const { config } = ctx.stack;
  const child = await startDriver(path.join(__dirname, '..', 'floor', 'floor-process.ts'));
  try {
    await child.call('setup', {
      address: config.temporal.address,
      namespace: config.temporal.namespace,
      taskQueue: `${config.temporal.taskQueue}-${tag}`,
      url: `${ctx.receiverUrl}/hook/${tag}`,
      secret: ctx.secret,
      requestTimeoutMs: config.requestTimeoutMs,
      bodyLimit: config.responseBodyLimitBytes,
    });
    // Warm-up: the floor's worker gets the same JIT and connection warm-up hookflow's had.
    const warm = `${ctx.runId}${tag}warm-`;
    await child.call('start', { idPrefix: warm, count: 200, concurrency: config.dispatchConcurrency });
    await awaitArrivals(ctx, 'floor: warm-up', warm, 200, 60_000);
    const result = await fn(child, tag);
    return { ...result, floorPeakRssMiB: await child.call<number>('peakRssMiB') };
  } finally {
    await child.call('stop').catch(() => undefined);
    await child.stop();
  }
}

export async function floorScenario(ctx: Ctx) {
  const count = ctx.quick ? 1_000 : 3_000;
  const concurrency = ctx.stack.config.dispatchConcurrency;
  const { m, floorPeakRssMiB } = await withFloorProcess(ctx, async (child, tag) => {
    const prefix = `${ctx.runId}${tag}-`;
    const withFloor: Ctx = { ...ctx, watched: [...ctx.watched, { name: 'floor', pid: child.pid, tree: false }] };
    const m = await measure(withFloor, async () => {
      const started = child.call<{ cpuSeconds: number; startSeconds: number }>('start', { idPrefix: prefix, count, concurrency });
      const t0 = Date.now();
      const received = await awaitArrivals(ctx, 'floor: one local activity', prefix, count, (ctx.quick ? 90 : 240) * 1000);
      const seconds = (Date.now() - t0) / 1000;
      const s = await started;
      return { deliveries: count, received, seconds, perSecond: received / seconds, startSeconds: s.startSeconds, concurrency };
    });
    return { m };
  });
  if (m.result.received < count) say(`floor: only ${m.result.received}/${count} arrived`);
  return { ...m, result: { ...m.result, peakRssMiB: floorPeakRssMiB } };
}

/**
 * The floor's own latency at a fixed offered rate, right after hookflow's at the same rate: start
 * (eager) → first verified arrival, on the same dev server and receiver.
 */
export async function floorLatencyAtRate(ctx: Ctx, rate: number, seconds: number) {
  const count = rate * seconds;
  return withFloorProcess(ctx, async (child, tag) => {
    const prefix = `${ctx.runId}${tag}lat${rate}-`;
    const s = await child.call<{ submits: [string, number][]; failed: number; firstFailure?: string }>('startRate', { idPrefix: prefix, count, rate });
    if (s.failed > 0) throw new Error(`floor latency @${rate}/s: ${s.failed} starts failed, first: ${s.firstFailure}`);
    const received = await awaitArrivals(ctx, `floor latency @${rate}/s`, prefix, count, 120_000);
    const arrivals = new Map(await ctx.driver.call<[string, number][]>('arrivalTimes', { prefix }));
    const samples = s.submits.flatMap(([id, at]) => (arrivals.has(id) ? [arrivals.get(id)! - at] : []));
    return { rate, submitted: count, received, latencyMs: percentiles(samples) };
  });
}
