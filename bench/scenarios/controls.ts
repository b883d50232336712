// What the endpoint controls cost per delivery: ten custom headers opened and sent on every attempt,
// and a payload filter evaluated at fan-out to 1,000 subscriptions. Each is measured twice: the
// part hookflow adds, alone and in process (exact, free of the machine's noise), and end to end
// against the same work without the control, in the same run.
import { performance } from 'node:perf_hooks';
import { openHeaders, sealHeaders, withCustomHeaders } from '../../src/endpoint-headers/sealed-headers';
import { evaluatePending, noVerdicts } from '../../src/payload-filter/fanout';
import { secretBox } from '../../src/security/secret-box';
import { awaitArrivals, measure, settle, type Ctx } from '../support/context';
import { samplePayload } from '../support/payload';
import { progress } from '../support/progress';
import { median, round } from '../support/stats';

export const FILTERED_FANOUT = 1_000;

const TEN_HEADERS: Record<string, string> = Object.fromEntries([
  ['Authorization', 'Bearer tok_0123456789abcdefghijklmnopqrstuv'],
  ['X-Api-Key', 'k_live_0123456789abcdefghijklmnop'],
  ['X-Client-Secret', 'cs_0123456789abcdefghijklmnopqr'],
  ...Array.from({ length: 7 }, (_, i) => [`X-Team-${i}`, `payments-platform-${i}`]),
]);

// Matches the bench's sample payload (amount 4200-4299, currency eur); the "miss" event has amount 1.
const FILTER = { type: { $startsWith: 'bench.' }, data: { amount: { $gte: 1000 }, currency: { $in: ['eur', 'usd'] }, customer: { country: 'DE' } } };

async function subscribe(ctx: Ctx, body: Record<string, unknown>): Promise<string> {
  const res = await fetch(`${ctx.apiUrl}/v1/subscriptions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ctx.stack.config.apiKeys[0]}`, 'content-type': 'application/json' },
    body: JSON.stringify({ secret: ctx.secret, description: 'hookflow bench: endpoint controls', ...body }),
  });
  const created = (await res.json()) as { id?: string };
  if (res.status !== 201 || !created.id) throw new Error(`creating a subscription answered ${res.status}: ${JSON.stringify(created)}`);
  return created.id;
}

/** µs per attempt to open ten sealed headers and merge them into the request, in process. */
function headersInProcess(ctx: Ctx): number {
  const box = secretBox(ctx.stack.config);
  const sealed = sealHeaders(box, 'sub_bench', TEN_HEADERS);
  const signed = { 'webhook-id': 'evt_bench', 'webhook-timestamp': '0', 'webhook-signature': 'v1,x', 'content-type': 'application/json' };
  const n = 20_000;
  for (let i = 0; i < 1_000; i++) withCustomHeaders(signed, openHeaders(box, 'sub_bench', sealed));
  const t0 = performance.now();
  for (let i = 0; i < n; i++) withCustomHeaders(signed, openHeaders(box, 'sub_bench', sealed));
  return ((performance.now() - t0) * 1000) / n;
}

/** Ten headers end to end: the same deliveries to a subscription without and with them, alternating. */
async function headersEndToEnd(ctx: Ctx) {
  const count = ctx.quick ? 500 : 2_000;
  const types = { plain: `bench.controls.h0`, ten: `bench.controls.h10` };
  await subscribe(ctx, { url: `${ctx.receiverUrl}/hook/h0`, eventTypes: [types.plain] });
  await subscribe(ctx, { url: `${ctx.receiverUrl}/hook/h10`, eventTypes: [types.ten], headers: TEN_HEADERS });
  const runs: Record<'plain' | 'ten', number[]> = { plain: [], ten: [] };
  const noise: (number | null)[] = [];
  const order: ('plain' | 'ten')[] = ctx.quick ? ['plain', 'ten'] : ['plain', 'ten', 'ten', 'plain'];
  for (const [i, which] of order.entries()) {
    const prefix = `${ctx.runId}ctl-${which}-${i}-`;
    const m = await measure(ctx, async () => {
      const submitted = ctx.driver.call<{ failed: number; firstFailure?: string }>('submitBatches', {
        url: ctx.apiUrl, key: ctx.stack.config.apiKeys[0], count, batchSize: 100, concurrency: 2, type: types[which], idPrefix: prefix,
      });
      const received = await awaitArrivals(ctx, `ten headers: ${which} ${i + 1}/${order.length}`, prefix, count, 300_000);
      const s = await submitted;
      if (s.failed > 0) throw new Error(`controls: ${s.failed} batches failed, first: ${s.firstFailure}`);
      return received;
    });
    if (m.result < count) throw new Error(`controls: ${m.result}/${count} deliveries arrived`);
    runs[which].push(((m.cpuSeconds.hookflow ?? NaN) * 1000) / count);
    noise.push(m.foreignCpuShare);
    await settle(ctx);
  }
  const plain = median(runs.plain);
  const ten = median(runs.ten);
  return { deliveriesPerRun: count, cpuMsPerDelivery: { plain: round(plain, 3), tenHeaders: round(ten, 3), added: round(ten - plain, 3) }, runs, foreignCpuShare: noise };
}

/** µs to judge one event against 1,000 filters (cold: compiled on the way; warm: compiled already). */
function filterInProcess(): { coldUs: number; warmUs: number } {
  const events = [{ tenantId: 'default', type: 'bench.controls.filtered', dataJson: JSON.stringify(samplePayload(1)) }];
  // Distinct filters (distinct versions), as 1,000 customers would write them.
  const pending = Array.from({ length: FILTERED_FANOUT }, (_, i) => ({ ord: 1, subscriptionId: `sub_${i}`, version: `bench-${process.pid}-${i}` }));
  const filters = Object.fromEntries(pending.map((p, i) => [p.subscriptionId, { ...FILTER, data: { ...FILTER.data, amount: { $gte: 1000 + i } } }]));
  let t0 = performance.now();
  evaluatePending(events, pending, filters, noVerdicts());
  const coldUs = (performance.now() - t0) * 1000;
  const warm: number[] = [];
  for (let r = 0; r < 20; r++) {
    t0 = performance.now();
    evaluatePending(events, pending, filters, noVerdicts());
    warm.push((performance.now() - t0) * 1000);
  }
  return { coldUs: round(coldUs, 0), warmUs: round(median(warm), 0) };
}

async function postEvent(ctx: Ctx, body: Record<string, unknown>): Promise<{ ms: number; deliveries: number }> {
  const t0 = performance.now();
  const res = await fetch(`${ctx.apiUrl}/v1/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ctx.stack.config.apiKeys[0]}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const answer = (await res.json()) as { deliveries?: unknown[] };
  if (res.status !== 202) throw new Error(`POST /v1/events answered ${res.status}: ${JSON.stringify(answer)}`);
  return { ms: performance.now() - t0, deliveries: answer.deliveries?.length ?? 0 };
}

/** A filter at fan-out to 1,000 subscriptions: the accept's cost, and one event all 1,000 filters match, end to end. */
async function filterAtFanout(ctx: Ctx) {
  const type = 'bench.controls.filtered';
  const bar = progress('filtered fan-out: subscribing');
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < FILTERED_FANOUT) {
        const i = next++;
        await subscribe(ctx, { url: `${ctx.receiverUrl}/hook/ff${i}`, eventTypes: [type], filter: FILTER });
        if (i % 50 === 0) bar.update(i, FILTERED_FANOUT);
      }
    }),
  );
  bar.done(`${FILTERED_FANOUT} subscriptions with a filter`);
  // Accepting an event: with no subscription at all, and judged by 1,000 filters that none match.
  const reps = ctx.quick ? 5 : 15;
  const none: number[] = [];
  const judged: number[] = [];
  for (let r = 0; r < reps; r++) {
    none.push((await postEvent(ctx, { type: 'bench.controls.nobody', data: samplePayload(r) })).ms);
    const miss = await postEvent(ctx, { type, data: { ...samplePayload(r), amount: 1 } });
    if (miss.deliveries !== 0) throw new Error(`a filtered-out event planned ${miss.deliveries} deliveries`);
    judged.push(miss.ms);
  }
  // One event that every filter matches: submit → last verified arrival, as the plain fan-out scenario measures.
  const id = `${ctx.runId}ffan`;
  const m = await measure(ctx, async () => {
    const { deliveries } = await ctx.driver.call<{ deliveries: number }>('submitOne', { url: ctx.apiUrl, key: ctx.stack.config.apiKeys[0], id, type });
    if (deliveries !== FILTERED_FANOUT) throw new Error(`filtered fan-out planned ${deliveries} deliveries, expected ${FILTERED_FANOUT}`);
    const received = await awaitArrivals(ctx, 'filtered fan-out', `${id}|`, FILTERED_FANOUT, 120_000);
    const stats = await ctx.driver.call<{ spanMs: number }>('latencies', { prefix: `${id}|` });
    return { received, seconds: stats.spanMs / 1000 };
  });
  await settle(ctx);
  return {
    acceptMs: { noSubscription: round(median(none), 2), judgedBy1000Filters: round(median(judged), 2), added: round(median(judged) - median(none), 2) },
    allMatchSeconds: round(m.result.seconds, 2),
    cpuMsPerDelivery: round(((m.cpuSeconds.hookflow ?? NaN) * 1000) / FILTERED_FANOUT, 3),
    foreignCpuShare: m.foreignCpuShare,
    inProcess: filterInProcess(),
  };
}

export async function endpointControls(ctx: Ctx) {
  const headersUs = headersInProcess(ctx);
  const headers = await headersEndToEnd(ctx);
  const filter = await filterAtFanout(ctx);
  return { tenHeaders: { inProcessUsPerAttempt: round(headersUs, 1), ...headers }, filter };
}
