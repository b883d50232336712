// Flow control, end to end: what a throttled delivery costs when nothing waits (the same deliveries
// unthrottled, alternating, in the same run), and tenant B's latency while tenant A's endpoints hang.
import { createServer, type Socket } from 'node:net';
import { awaitArrivals, measure, settle, type Ctx } from '../support/context';
import { say } from '../support/progress';
import { median, round } from '../support/stats';

// Tenant A's never-answering endpoints in the noisy-neighbour scene (as in its fault test).
const HANGING_ENDPOINTS = 250;
// Tenant B's events, sent one every 100 ms, alone and then during A's backlog.
const B_EVENTS = 50;
// High enough that nothing waits at the rate sent: what is measured is the limiter's round trip.
const NO_BACKLOG_THROTTLE = { perSecond: 500, maxInFlight: 100 };

async function post(ctx: Ctx, path: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${ctx.apiUrl}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ctx.stack.config.apiKeys[0]}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const answer = (await res.json()) as Record<string, unknown>;
  if (res.status >= 300) throw new Error(`POST ${path} answered ${res.status}: ${JSON.stringify(answer)}`);
  return answer;
}

const subscribe = (ctx: Ctx, body: Record<string, unknown>) => post(ctx, '/v1/subscriptions', { secret: ctx.secret, description: 'hookflow bench: flow control', ...body });

async function sendAtRate(ctx: Ctx, label: string, type: string, prefix: string, count: number, rate: number): Promise<void> {
  const s = await ctx.driver.call<{ failed: number; firstFailure?: string }>('submitRate', { url: ctx.apiUrl, key: ctx.stack.config.apiKeys[0], rate, count, type, idPrefix: prefix });
  if (s.failed > 0) throw new Error(`${label}: ${s.failed} submits failed, first: ${s.firstFailure}`);
  const received = await awaitArrivals(ctx, label, prefix, count, 180_000);
  if (received < count) throw new Error(`${label}: ${received}/${count} deliveries arrived`);
}

/** CPU ms per delivery (hookflow's process and the Temporal server) with and without a throttle that never makes anyone wait. */
async function throttledWithoutBacklog(ctx: Ctx) {
  const count = ctx.quick ? 300 : 1_000;
  const types = { plain: 'bench.flow.plain', throttled: 'bench.flow.throttled' } as const;
  await subscribe(ctx, { url: `${ctx.receiverUrl}/hook/flow-plain`, eventTypes: [types.plain] });
  await subscribe(ctx, { url: `${ctx.receiverUrl}/hook/flow-throttled`, eventTypes: [types.throttled], throttle: NO_BACKLOG_THROTTLE });
  // A new endpoint's first deliveries take its tenant's lane until it has answered fast: warm both.
  for (const which of ['plain', 'throttled'] as const) await sendAtRate(ctx, `flow: warm ${which}`, types[which], `${ctx.runId}flw-${which}-`, 20, 20);
  await settle(ctx);
  const runs = { plain: { hookflow: [] as number[], temporal: [] as number[] }, throttled: { hookflow: [] as number[], temporal: [] as number[] } };
  const noise: (number | null)[] = [];
  const order: ('plain' | 'throttled')[] = ctx.quick ? ['plain', 'throttled'] : ['plain', 'throttled', 'throttled', 'plain'];
  for (const [i, which] of order.entries()) {
    const m = await measure(ctx, () => sendAtRate(ctx, `flow: ${which} ${i + 1}/${order.length}`, types[which], `${ctx.runId}flow-${which}-${i}-`, count, 50));
    runs[which].hookflow.push(((m.cpuSeconds.hookflow ?? NaN) * 1000) / count);
    runs[which].temporal.push(((m.cpuSeconds.temporal ?? NaN) * 1000) / count);
    noise.push(m.foreignCpuShare);
    await settle(ctx);
  }
  const figure = (which: 'plain' | 'throttled') => ({ hookflow: round(median(runs[which].hookflow), 3), temporal: round(median(runs[which].temporal), 3) });
  return { deliveriesPerRun: count, offeredPerSecond: 50, throttle: NO_BACKLOG_THROTTLE, cpuMsPerDelivery: { unthrottled: figure('plain'), throttled: figure('throttled') }, runs, foreignCpuShare: noise };
}

/** Tenant B's submit → arrival latency over B_EVENTS events, alone and while A's 250 endpoints hang. */
async function noisyNeighbour(ctx: Ctx) {
  const held = new Set<Socket>();
  const hang = createServer((socket) => {
    held.add(socket);
    socket.on('close', () => held.delete(socket));
    socket.resume();
  });
  await new Promise<void>((resolve) => hang.listen(0, '127.0.0.1', resolve));
  const hangUrl = `http://127.0.0.1:${(hang.address() as { port: number }).port}`;
  try {
    const tenantA = `bench-noisy-${ctx.runId.replace(/\W/g, '')}`;
    await post(ctx, '/v1/tenants', { id: tenantA, name: 'bench: noisy neighbour' });
    for (let i = 0; i < HANGING_ENDPOINTS; i++) await subscribe(ctx, { tenantId: tenantA, url: `${hangUrl}/a/${i}`, eventTypes: ['bench.flow.noisy'] });
    await subscribe(ctx, { url: `${ctx.receiverUrl}/hook/flow-b`, eventTypes: ['bench.flow.b'] });
    await sendAtRate(ctx, 'flow: warm tenant B', 'bench.flow.b', `${ctx.runId}flw-b-`, 5, 10);

    const latencyOfB = async (label: string, prefix: string) => {
      await sendAtRate(ctx, label, 'bench.flow.b', prefix, B_EVENTS, 10);
      return (await ctx.driver.call<{ latencyMs: { p50: number; p99: number; max: number } }>('latencies', { prefix })).latencyMs;
    };
    const alone = await latencyOfB('flow: tenant B alone', `${ctx.runId}nb-alone-`);
    await post(ctx, '/v1/events', { tenantId: tenantA, type: 'bench.flow.noisy', data: {} });
    // B's events go out once A's backlog stands: as many of A's requests hang as its lane lets out.
    const backlog = Math.min(HANGING_ENDPOINTS, ctx.stack.config.slowLaneInFlight || HANGING_ENDPOINTS);
    const deadline = Date.now() + 30_000;
    while (held.size < backlog && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 500));
    const hangingAtStart = held.size;
    const during = await latencyOfB("flow: tenant B during A's backlog", `${ctx.runId}nb-during-`);
    say(`noisy neighbour: ${hangingAtStart} of A's requests hanging when B started, ${held.size} at the end`);
    return { hangingEndpoints: HANGING_ENDPOINTS, aRequestsHanging: hangingAtStart, bEvents: B_EVENTS, bAloneMs: alone, bDuringMs: during, p99Ratio: round(during.p99 / alone.p99, 2) };
  } finally {
    for (const s of held) s.destroy();
    await new Promise((resolve) => hang.close(resolve));
  }
}

export async function flowControl(ctx: Ctx) {
  const throttled = await throttledWithoutBacklog(ctx);
  // Last: A's hanging deliveries go on retrying after the scene, so nothing is measured after it.
  const noisy = await noisyNeighbour(ctx);
  return { throttled, noisy };
}
