// `npm run bench`: hookflow end to end against a raw signed-POST baseline measured in the same run.
// BENCH_QUICK=1 is a ~3 minute smoke run; BENCH_ONLY picks scenarios; BENCH_TRACING=1 turns tracing on
// (spans exported to a real OpenTelemetry Collector), to compare with a run without it. See docs/performance.md for what the figures mean.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateSecret } from '../src/signing/standard-webhooks';
import { billableActionsPerDelivery } from './scenarios/actions';
import { endpointControls } from './scenarios/controls';
import { fanout } from './scenarios/fanout';
import { fifoScenario } from './scenarios/fifo';
import { floorScenario } from './scenarios/floor';
import { flowControl } from './scenarios/flow';
import { ingest } from './scenarios/ingest';
import { latencyAtRate } from './scenarios/latency';
import { rawBaseline } from './scenarios/raw';
import { schemaIngest } from './scenarios/schema';
import { createSingleSubscriptions } from './scenarios/setup';
import { statsScenario } from './scenarios/stats';
import { sustainedDelivery } from './scenarios/sustained';
import { settle, type Ctx } from './support/context';
import { startDriver } from './support/driver-client';
import { MemorySampler, type Watched } from './support/proc-stats';
import { say } from './support/progress';
import { summarize, type ScenarioResults } from './support/report';
import { startBenchStack } from './support/stack';

const SCENARIOS = ['raw', 'ingest', 'schema', 'latency', 'sustained', 'floor', 'fanout', 'controls', 'fifo', 'actions', 'stats', 'flow'];

async function main(): Promise<void> {
  const quick = ['1', 'true', 'yes'].includes(process.env.BENCH_QUICK ?? '');
  // BENCH_ONLY=sustained,floor runs a subset (profiling, A/B of one figure); targets not run say so.
  const only = process.env.BENCH_ONLY?.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = only?.filter((s) => !SCENARIOS.includes(s)) ?? [];
  if (unknown.length > 0) throw new Error(`BENCH_ONLY: unknown scenario ${unknown.join(', ')} (known: ${SCENARIOS.join(', ')})`);
  const want = (name: string) => !only || only.includes(name);
  const startedAt = new Date();
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const resultsDir = path.join(__dirname, 'results');
  mkdirSync(resultsDir, { recursive: true });
  const logFile = path.join(os.tmpdir(), `hookflow-bench-${stamp}.log`);

  say(`${quick ? 'quick' : 'full'} run; starting the stack (log: ${logFile})`);
  const stack = await startBenchStack({ logFile });
  const driver = await startDriver();
  const watched: Watched[] = [{ name: 'driver', pid: driver.pid, tree: false }];
  if (stack.temporalPid) watched.push({ name: 'temporal', pid: stack.temporalPid, tree: false });
  if (stack.postgresPid) watched.push({ name: 'postgres', pid: stack.postgresPid, tree: true });
  if (stack.collectorPid) watched.push({ name: 'otelcol', pid: stack.collectorPid, tree: false });
  const memory = new MemorySampler([{ name: 'hookflow', pid: process.pid, tree: false }, ...watched]);
  await memory.start();
  // Its CPU is the bench's, not noise from other sessions.
  if (memory.pid) watched.push({ name: 'sampler', pid: memory.pid, tree: false });

  const secret = generateSecret();
  const { url: receiverUrl } = await driver.call<{ url: string }>('startReceiver', { secret });
  const ctx: Ctx = {
    quick,
    stack,
    driver,
    apiUrl: stack.api.url,
    receiverUrl,
    secret,
    runId: `b${randomBytes(3).toString('hex')}-`,
    watched,
  };
  say(`stack ready: API ${ctx.apiUrl}, Temporal ${stack.config.temporal.address}, receiver ${receiverUrl}`);

  try {
    await createSingleSubscriptions(ctx);
    // Warm-up: bundle caches, connection pools and JIT, so the first scenario is not penalised.
    await latencyWarmup(ctx);
    const r: ScenarioResults = {};
    if (want('raw')) memory.mark('raw');
    if (want('raw')) r.raw = await rawBaseline(ctx);
    // Ingest first, on an idle system: a delivery backlog left by a slow scenario would compete with it.
    if (want('ingest')) memory.mark('ingest');
    if (want('ingest')) {
      r.ingest = await ingest(ctx);
      await settle(ctx);
    }
    if (want('schema')) memory.mark('schema');
    if (want('schema')) {
      r.schema = await schemaIngest(ctx);
      await settle(ctx);
    }
    if (want('latency')) memory.mark('latency');
    if (want('latency')) {
      r.lat20 = await latencyAtRate(ctx, 20);
      r.lat100 = await latencyAtRate(ctx, 100);
    }
    // The floor runs right before and right after sustained, on the same server: its Temporal CPU
    // drifts with the dev server's state (measured 10.9 and 13.2 ms in two runs), so the ratio uses both.
    if (want('floor')) memory.mark('floor');
    if (want('floor')) r.floorBefore = await floorScenario(ctx);
    if (want('sustained')) memory.mark('sustained');
    if (want('sustained')) r.sustained = await sustainedDelivery(ctx);
    if (want('floor')) memory.mark('floor after sustained');
    if (want('floor')) r.floor = await floorScenario(ctx);
    if (want('fanout')) memory.mark('fanout');
    if (want('fanout')) r.fanout = await fanout(ctx);
    if (want('controls')) memory.mark('controls');
    if (want('controls')) r.controls = await endpointControls(ctx);
    if (want('fifo')) memory.mark('fifo');
    if (want('fifo')) r.fifo = await fifoScenario(ctx);
    if (want('actions')) r.actions = await billableActionsPerDelivery(ctx);
    // It leaves a million attempts behind in PostgreSQL; before flow, whose hanging deliveries would load its measurements.
    if (want('stats')) memory.mark('stats');
    if (want('stats')) r.stats = await statsScenario(ctx);
    // Last: its noisy-neighbour scene leaves tenant A's hanging deliveries retrying.
    if (want('flow')) memory.mark('flow');
    if (want('flow')) r.flow = await flowControl(ctx);
    const receiver = await driver.call('receiverStats');
    r.peakRssMiB = await memory.stop();
    const memoryDetail = { startupHighWaterMiB: memory.startupMiB, atSampledPeakMiB: memory.selfAtPeak(), byScenarioMiB: memory.byScenario };
    say(`memory of the API + worker process: ${memory.startupMiB} MiB after start-up; at its sampled peak ${JSON.stringify(memoryDetail.atSampledPeakMiB)}; by scenario ${JSON.stringify(memory.byScenario)}`);

    const { table, figures } = summarize(r);
    const file = path.join(resultsDir, `${stamp}.json`);
    writeFileSync(
      file,
      JSON.stringify(
        {
          startedAt: startedAt.toISOString(),
          quick,
          only: only ?? 'all',
          tracing: stack.config.tracing !== undefined,
          machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
          backends: stack.backends,
          config: { databasePoolSize: stack.config.databasePoolSize, dispatchConcurrency: stack.config.dispatchConcurrency, logLevel: stack.config.logLevel },
          figures,
          receiver,
          memory: memoryDetail,
          scenarios: { raw: r.raw, schema: r.schema, latency20: r.lat20, latency100: r.lat100, sustained: r.sustained, floorBefore: r.floorBefore, floor: r.floor, ingest: r.ingest, fanout: r.fanout, controls: r.controls, fifo: r.fifo, actions: r.actions, stats: r.stats, flow: r.flow },
        },
        null,
        2,
      ),
    );
    process.stdout.write(`\n${table}\n\nresults: ${path.relative(process.cwd(), file)}\n`);
  } finally {
    say('stopping the stack');
    await driver.call('exit').catch(() => undefined);
    await driver.stop();
    await stack.stop();
  }
}

async function latencyWarmup(ctx: Ctx): Promise<void> {
  const count = 100;
  const prefix = `${ctx.runId}warm-`;
  await ctx.driver.call('submitRate', { url: ctx.apiUrl, key: ctx.stack.config.apiKeys[0], rate: 50, count, type: 'bench.delivery', idPrefix: prefix });
  await settle(ctx);
  say(`warm-up: ${await ctx.driver.call<number>('arrivals', { prefix })}/${count} delivered`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
