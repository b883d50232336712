// What ordered delivery costs: the same events to one endpoint, and to 100 endpoints, unordered and
// FIFO, in the same run. One FIFO endpoint is bounded by its own latency (one request at a time);
// 100 FIFO endpoints run their lines in parallel, and their total throughput is compared with 100
// unordered endpoints fed the same events.
import { awaitArrivals, measure, settle, type Ctx } from '../support/context';
import { progress } from '../support/progress';
import { round } from '../support/stats';

export const FIFO_ENDPOINTS = 100;

async function subscribe(ctx: Ctx, body: Record<string, unknown>): Promise<string> {
  const res = await fetch(`${ctx.apiUrl}/v1/subscriptions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ctx.stack.config.apiKeys[0]}`, 'content-type': 'application/json' },
    body: JSON.stringify({ secret: ctx.secret, description: 'hookflow bench: ordered delivery', ...body }),
  });
  const created = (await res.json()) as { id?: string };
  if (res.status !== 201 || !created.id) throw new Error(`creating a subscription answered ${res.status}: ${JSON.stringify(created)}`);
  return created.id;
}

/** `endpoints` subscriptions to one event type of their own, each at its own receiver path. */
async function endpoints(ctx: Ctx, name: string, endpointCount: number, ordering: 'none' | 'fifo'): Promise<string> {
  const type = `bench.fifo.${name.replaceAll("-", "_")}`;
  const bar = progress(`ordered delivery: subscribing ${name}`);
  for (let i = 0; i < endpointCount; i++) {
    await subscribe(ctx, { url: `${ctx.receiverUrl}/hook/${name}-${i}`, eventTypes: [type], ordering });
    if (i % 10 === 0) bar.update(i, endpointCount);
  }
  bar.done(`${endpointCount} ${ordering} subscriptions for ${type}`);
  return type;
}

/** Sends `events` events of `type` (each fanning out to every endpoint) and waits for every delivery. */
async function run(ctx: Ctx, label: string, type: string, events: number, endpointCount: number) {
  const prefix = `${ctx.runId}fifo-${label}-`;
  const expected = events * endpointCount;
  const m = await measure(ctx, async () => {
    const submitted = ctx.driver.call<{ failed: number; firstFailure?: string }>('submitBatches', {
      url: ctx.apiUrl, key: ctx.stack.config.apiKeys[0], count: events, batchSize: 50, concurrency: 1, type, idPrefix: prefix,
    });
    const received = await awaitArrivals(ctx, `ordered delivery: ${label}`, prefix, expected, 900_000);
    const s = await submitted;
    if (s.failed > 0) throw new Error(`fifo: ${s.failed} batches failed, first: ${s.firstFailure}`);
    return received;
  });
  if (m.result < expected) throw new Error(`fifo ${label}: ${m.result}/${expected} deliveries arrived`);
  const stats = await ctx.driver.call<{ spanMs: number }>('latencies', { prefix });
  const seconds = stats.spanMs / 1000;
  await settle(ctx, 90_000);
  return {
    deliveries: expected,
    seconds: round(seconds, 2),
    perSecond: round(expected / seconds, 1),
    cpuMsPerDelivery: round(((m.cpuSeconds.hookflow ?? NaN) * 1000) / expected, 3),
    temporalCpuMsPerDelivery: round(((m.cpuSeconds.temporal ?? NaN) * 1000) / expected, 3),
    foreignCpuShare: m.foreignCpuShare,
  };
}

export async function fifoScenario(ctx: Ctx) {
  const single = ctx.quick ? 100 : 300;
  const perEndpoint = ctx.quick ? 5 : 20;
  const one = {
    unordered: await run(ctx, 'one-none', await endpoints(ctx, 'one-none', 1, 'none'), single, 1),
    fifo: await run(ctx, 'one-fifo', await endpoints(ctx, 'one-fifo', 1, 'fifo'), single, 1),
  };
  const noneType = await endpoints(ctx, 'many-none', FIFO_ENDPOINTS, 'none');
  const fifoType = await endpoints(ctx, 'many-fifo', FIFO_ENDPOINTS, 'fifo');
  const many = {
    unordered: await run(ctx, 'many-none', noneType, perEndpoint, FIFO_ENDPOINTS),
    fifo: await run(ctx, 'many-fifo', fifoType, perEndpoint, FIFO_ENDPOINTS),
  };
  return {
    oneEndpoint: { ...one, throughputRatio: round(one.fifo.perSecond / one.unordered.perSecond, 3) },
    hundredEndpoints: { ...many, throughputRatio: round(many.fifo.perSecond / many.unordered.perSecond, 3) },
  };
}
