// The floor: Temporal's own cost for the same shape of work, measured on the same dev server in the
// same run. A trivial workflow whose one local activity does the same signed POST, started eagerly
// with as many starts in flight as hookflow's fan-out keeps, in a process of its own
// (bench/floor/floor-process.ts). Temporal CPU per delivery in `sustained` ÷ this = hookflow's overhead
// on the server side.
import path from 'node:path';
import { awaitArrivals, measure, type Ctx } from '../support/context';
import { startDriver } from '../support/driver-client';
import { say } from '../support/progress';

let runs = 0;

export async function floorScenario(ctx: Ctx) {
  const tag = `floor${runs++}`;
  const count = ctx.quick ? 1_000 : 3_000;
  const { config } = ctx.stack;
  const concurrency = config.dispatchConcurrency;
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
    await child.call('start', { idPrefix: warm, count: 200, concurrency });
    await awaitArrivals(ctx, 'floor: warm-up', warm, 200, 60_000);

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
    if (m.result.received < count) say(`floor: only ${m.result.received}/${count} arrived`);
    return m;
  } finally {
    await child.call('stop').catch(() => undefined);
    await child.stop();
  }
}
