// The event catalog's cost at ingest: single-event POSTs of a type with a realistic 20-field JSON
// Schema (formats, enums, patterns, nested objects, an array of objects, additionalProperties false)
// next to a type without one, to the same sink replica as the ingest scenario, interleaved so drift
// hits both alike. Beside them, the two parts of the cost measured alone: the per-request catalog
// read and the Ajv validation of one payload.
import { performance } from 'node:perf_hooks';
import { eventTypeVersions } from '../../src/db/repos/event-types';
import { compileSchema } from '../../src/event-types/json-schema';
import { measure, type Ctx } from '../support/context';
import { samplePayload } from '../support/payload';
import { progress, say } from '../support/progress';
import type { IngestResult as IngestFigures } from './ingest';
import { BENCH_EVENT_TYPES } from './setup';

export const SCHEMA_EVENT_TYPE = 'bench.ingest_schema';

const money = { type: 'integer', minimum: 0, maximum: 100_000_000 };
/** 20 fields, as a producer would describe samplePayload: 15 present in it, 5 optional ones absent. */
export const BENCH_SCHEMA = {
  type: 'object',
  required: ['invoice', 'customer', 'amount', 'currency', 'status', 'lines'],
  additionalProperties: false,
  properties: {
    invoice: { type: 'string', pattern: '^in_[0-9a-z]{10}$', description: 'The invoice ID' },
    customer: {
      type: 'object',
      required: ['id', 'email'],
      additionalProperties: false,
      properties: {
        id: { type: 'string', pattern: '^cus_' },
        email: { type: 'string', format: 'email' },
        country: { type: 'string', pattern: '^[A-Z]{2}$' },
        name: { type: 'string', maxLength: 200 },
      },
    },
    amount: money,
    currency: { enum: ['eur', 'usd', 'gbp', 'chf'] },
    status: { enum: ['draft', 'open', 'paid', 'void'] },
    lines: {
      type: 'array',
      minItems: 1,
      maxItems: 100,
      items: {
        type: 'object',
        required: ['sku', 'quantity', 'amount'],
        additionalProperties: false,
        properties: { sku: { type: 'string', minLength: 1 }, quantity: { type: 'integer', minimum: 1 }, amount: money },
      },
    },
    metadata: { type: 'object', properties: { source: { type: 'string' }, attempt: { type: 'integer' } } },
    dueAt: { type: 'string', format: 'date-time' },
    paidAt: { type: 'string', format: 'date-time' },
    tax: money,
    discount: money,
  },
};

// The ingest scenario's figures, without its request count (one event per request here).
type IngestResult = Omit<IngestFigures, 'requests'>;

async function call(ctx: Ctx, method: string, path: string, body: unknown): Promise<void> {
  const res = await fetch(`${ctx.apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${ctx.stack.config.apiKeys[0]}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status >= 300 && res.status !== 409) throw new Error(`${method} ${path} answered ${res.status}: ${await res.text()}`);
}

export async function schemaIngest(ctx: Ctx) {
  await call(ctx, 'POST', '/v1/event-types', { name: SCHEMA_EVENT_TYPE, schema: BENCH_SCHEMA, examples: [samplePayload(1)] });
  // The same fan-out as the ingest type: one matching subscription.
  await call(ctx, 'POST', '/v1/subscriptions', { url: `${ctx.receiverUrl}/hook/ingest`, eventTypes: [SCHEMA_EVENT_TYPE], secret: ctx.secret });
  const sink = await ctx.stack.extraApi({ taskQueue: `${ctx.stack.config.temporal.taskQueue}-schema-sink` });
  const durationMs = ctx.quick ? 2_000 : 4_000;
  const roundCount = ctx.quick ? 2 : 4;
  const run = async (label: string, type: string) => {
    const bar = progress(`schema: ${label}`);
    const t0 = Date.now();
    const ticker = setInterval(() => bar.update(Date.now() - t0, durationMs, 'ms'), 250);
    const m = await measure(ctx, () =>
      ctx.driver.call<IngestResult>('ingest', { url: sink.url, key: ctx.stack.config.apiKeys[0], batchSize: 1, concurrency: 16, durationMs, type }),
    ).finally(() => clearInterval(ticker));
    const bad = Object.entries(m.result.statuses).filter(([s]) => s !== '202');
    if (bad.length > 0) throw new Error(`schema ${label}: non-202 answers ${JSON.stringify(bad)}; last: ${m.result.lastError}`);
    bar.done(`${m.result.eventsPerSecond.toFixed(0)} events/s, p50 ${m.result.requestLatencyMs.p50.toFixed(2)} ms, p99 ${m.result.requestLatencyMs.p99.toFixed(2)} ms`);
    return {
      eventsPerSecond: m.result.eventsPerSecond,
      latencyMs: m.result.requestLatencyMs,
      apiCpuMsPerEvent: ((m.cpuSeconds.hookflow ?? 0) * 1000) / m.result.events,
      postgresCpuMsPerEvent: ((m.cpuSeconds.postgres ?? 0) * 1000) / m.result.events,
      foreignCpuShare: m.foreignCpuShare,
    };
  };
  const rounds: { without: Awaited<ReturnType<typeof run>>; with: Awaited<ReturnType<typeof run>> }[] = [];
  for (let i = 0; i < roundCount; i++) {
    const n = `${i + 1}/${roundCount}`;
    rounds.push({ without: await run(`without a schema (${n})`, BENCH_EVENT_TYPES.ingest), with: await run(`20-field schema (${n})`, SCHEMA_EVENT_TYPE) });
  }
  await ctx.stack.retireExtraApi(sink);

  // Medians over the rounds: on a shared machine one round in a few meets a burst of foreign load.
  const median = (f: (r: (typeof rounds)[number]) => number) => {
    const v = rounds.map(f).sort((a, b) => a - b);
    return v.length % 2 ? v[(v.length - 1) / 2]! : (v[v.length / 2 - 1]! + v[v.length / 2]!) / 2;
  };
  const side = (pick: (r: (typeof rounds)[number]) => Awaited<ReturnType<typeof run>>) => ({
    eventsPerSecond: median((r) => pick(r).eventsPerSecond),
    p50Ms: median((r) => pick(r).latencyMs.p50),
    p99Ms: median((r) => pick(r).latencyMs.p99),
    apiCpuMsPerEvent: median((r) => pick(r).apiCpuMsPerEvent),
    postgresCpuMsPerEvent: median((r) => pick(r).postgresCpuMsPerEvent),
    foreignCpuShare: median((r) => pick(r).foreignCpuShare ?? 0),
  });
  const summary = {
    withoutSchema: side((r) => r.without),
    withSchema: side((r) => r.with),
    parts: await parts(ctx),
    rounds,
  };
  say(
    `schema: ${summary.withoutSchema.eventsPerSecond.toFixed(0)} → ${summary.withSchema.eventsPerSecond.toFixed(0)} events/s, ` +
      `p50 ${summary.withoutSchema.p50Ms.toFixed(2)} → ${summary.withSchema.p50Ms.toFixed(2)} ms, API CPU ${summary.withoutSchema.apiCpuMsPerEvent.toFixed(3)} → ${summary.withSchema.apiCpuMsPerEvent.toFixed(3)} ms/event (medians of ${rounds.length} rounds); catalog read ${summary.parts.catalogReadUs.toFixed(0)} µs (a bare round trip ${summary.parts.bareRoundTripUs.toFixed(0)} µs), ` +
      `Ajv validation ${summary.parts.validationUs.toFixed(1)} µs per event`,
  );
  return summary;
}

/** The two parts alone: one catalog read (sequential round trips) and one validation (in process). */
async function parts(ctx: Ctx) {
  const reads = 500;
  // Next to a bare round trip on the same pool, so the read's own cost shows apart from the machine's.
  let t0 = performance.now();
  for (let i = 0; i < reads; i++) await ctx.stack.db.query('SELECT 1');
  const bareRoundTripUs = ((performance.now() - t0) * 1000) / reads;
  t0 = performance.now();
  for (let i = 0; i < reads; i++) await eventTypeVersions(ctx.stack.db, [SCHEMA_EVENT_TYPE]);
  const catalogReadUs = ((performance.now() - t0) * 1000) / reads;
  const compiled = compileSchema(BENCH_SCHEMA, 'check');
  if (!compiled.ok) throw new Error(`the bench schema does not compile: ${JSON.stringify(compiled.problems)}`);
  const payloads = Array.from({ length: 1_000 }, (_, i) => samplePayload(i));
  for (const p of payloads) if (!compiled.validate(p)) throw new Error(`a bench payload fails the schema: ${JSON.stringify(compiled.validate.errors)}`);
  const validations = 50_000;
  t0 = performance.now();
  for (let i = 0; i < validations; i++) compiled.validate(payloads[i % payloads.length]);
  const validationUs = ((performance.now() - t0) * 1000) / validations;
  return { catalogReadUs, bareRoundTripUs, validationUs, schemaFields: 20 };
}
