// The stack under test, started the way `npm start` starts it (src/dev/dev-stack.ts), but on
// free ports and in a scratch directory. TEMPORAL_ADDRESS / DATABASE_URL point it at existing ones.
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, Runtime } from '@temporalio/worker';
import { Client as PgClient } from 'pg';
import pino, { type Logger } from 'pino';
import { loadConfig, type Config } from '../../src/config';
import { startEmbeddedPostgres } from '../../src/dev/embedded-postgres';
import { prepareBackends } from '../../src/server/prepare-backends';
import { createPool, type Db } from '../../src/db/pool';
import { startApi, type RunningApi } from '../../src/server/api-process';
import { DEV_SERVER_TUNING } from '../../src/dev/temporal-dev-server-tuning';
import { startWorker, type RunningWorker } from '../../src/server/worker-process';
import { resolveTemporalCli } from '../../src/dev/temporal-cli-binary';
import { connectClient } from '../../src/temporal/client';
import { connectShared, type SharedTemporalHandle } from '../../src/temporal/shared-connection';
import { freePort } from '../../src/net/free-port';
import { startDevServer } from '../../src/dev/temporal-dev-server';
import { createDataConverter } from '../../src/temporal/payload-codec';
import { searchAttributeFlags } from '../../workflows/search-attributes';
import { startTracing } from '../../src/telemetry/tracing';
import { startCollector } from '../../test/otlp-collector/collector';
import { say } from './progress';

export const BENCH_API_KEY = 'hf_bench_0123456789abcdef';

export interface BenchStack {
  config: Config;
  db: Db;
  temporal: { client: Client; connection: { close(): Promise<void> } };
  worker: RunningWorker;
  api: RunningApi;
  log: Logger;
  metricsUrl: string;
  temporalPid?: number;
  postgresPid?: number;
  /** BENCH_TRACING=1: the OpenTelemetry Collector the spans go to. */
  collectorPid?: number;
  /** Where each backend came from: embedded or given by the environment. */
  backends: { temporal: string; postgres: string };
  /** Another API replica on the same backends, for scenarios that need a different task queue. */
  extraApi(overrides: Partial<Config['temporal']>, config?: Partial<Config>): Promise<RunningApi>;
  /**
   * Closes an extra replica and drops the starts its fan-out has not made yet, with the event IDs it
   * left in PostgreSQL to refill from: they would compete with the next scenario. (In production the
   * sweeper would pick them up.)
   */
  retireExtraApi(extra: RunningApi): Promise<void>;
  stop(): Promise<void>;
}

export async function startBenchStack(opts: { logFile: string }): Promise<BenchStack> {
  const work = mkdtempSync(path.join(tmpdir(), 'hookflow-bench-'));
  // embedded-postgres runs initdb as the `postgres` user when we are root: it must reach the dir.
  chmodSync(work, 0o755);
  const stops: (() => Promise<unknown>)[] = [async () => rmSync(work, { recursive: true, force: true })];
  const log = pino({ level: process.env.LOG_LEVEL ?? 'warn' }, pino.destination({ dest: opts.logFile, sync: false }));
  const backends = { temporal: 'given (TEMPORAL_ADDRESS)', postgres: 'given (DATABASE_URL)' };

  let temporalAddress = process.env.TEMPORAL_ADDRESS;
  let temporalPid: number | undefined;
  let databaseUrl = process.env.DATABASE_URL;
  let postgresPid: number | undefined;
  const pgDir = path.join(work, 'postgres');

  const startTemporal = async () => {
    const cli = await resolveTemporalCli({ onProgress: (l) => say(l) });
    const server = await startDevServer({
      cli,
      dbFilename: path.join(work, 'temporal.db'),
      headless: true,
      searchAttributes: searchAttributeFlags(),
      ...DEV_SERVER_TUNING,
      ...envJson('BENCH_DEV_SERVER'),
      logLevel: 'warn',
    });
    stops.unshift(() => server.stop());
    temporalAddress = server.address;
    temporalPid = server.pid;
    backends.temporal = `embedded dev server (${'path' in cli ? cli.path : 'SDK download'}), persistent SQLite`;
  };
  const startPostgres = async () => {
    const pg = await startEmbeddedPostgres({ dataDir: pgDir, port: await freePort(), persistent: false });
    stops.unshift(() => pg.stop());
    databaseUrl = pg.url;
    postgresPid = Number(readFileSync(path.join(pgDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    backends.postgres = 'embedded PostgreSQL';
  };
  await Promise.all([temporalAddress ? undefined : startTemporal(), databaseUrl ? undefined : startPostgres()]);
  // BENCH_TRACING=1: tracing on, every span exported to a real OpenTelemetry Collector on this machine.
  const collector = ['1', 'true', 'yes'].includes(process.env.BENCH_TRACING ?? '') ? await startCollector() : undefined;
  if (collector) {
    stops.unshift(() => collector.stop());
    say(`tracing on (BENCH_TRACING): spans go to the OpenTelemetry Collector at ${collector.endpoint}`);
  }
  if (process.env.DATABASE_URL) databaseUrl = await scratchDatabase(process.env.DATABASE_URL);

  const runId = Date.now().toString(36);
  const config = loadConfig({
    ...process.env,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    HOST: '127.0.0.1',
    PORT: '0',
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: temporalAddress,
    HOOKFLOW_TASK_QUEUE: `hookflow-bench-${runId}`,
    HOOKFLOW_API_KEYS: BENCH_API_KEY,
    HOOKFLOW_SECRET_KEYS: process.env.HOOKFLOW_SECRET_KEYS ?? `bench1:${randomBytes(32).toString('base64')}`,
    HOOKFLOW_ALLOW_PRIVATE_URLS: 'true',
    // The sweeper is crash recovery; with a long grace it never re-dispatches what the fan-out is
    // still working through, so it does not distort the figures.
    HOOKFLOW_SWEEP_GRACE_MS: '3600000',
    // One tenant holds every scenario's subscriptions (1,000 for the fan-out, 1,000 filtered ones for
    // the controls, 200 for FIFO and more), past the default limit of 1,000. The limit is not measured here.
    HOOKFLOW_MAX_SUBSCRIPTIONS_PER_TENANT: '100000',
    ...(collector ? { OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint, OTEL_SERVICE_NAME: 'hookflow-bench' } : {}),
  });
  const tracing = startTracing(config);
  if (tracing) stops.unshift(() => tracing.shutdown());

  // The worker would install a Runtime with logging only; we add a Prometheus endpoint for Temporal's view.
  const metricsPort = await freePort();
  Runtime.install({
    // As in src/server/temporal-worker.ts: the bench owns signal handling and stops the stack itself.
    shutdownSignals: [],
    logger: new DefaultLogger('WARN', (e) => log[e.level === 'ERROR' ? 'error' : 'warn']({ ...e.meta, sdk: true }, e.message)),
    telemetryOptions: {
      metrics: {
        prometheus: {
          bindAddress: `127.0.0.1:${metricsPort}`,
          // Default buckets are too coarse for millisecond latencies.
          histogramBucketOverrides: Object.fromEntries(
            ['workflow_task_schedule_to_start_latency', 'activity_schedule_to_start_latency', 'workflow_task_execution_latency', 'activity_execution_latency', 'workflow_endtoend_latency'].map(
              (m) => [m, [1, 2, 3, 5, 7.5, 10, 15, 20, 30, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 2000, 5000, 10000, 30000, 60000]],
            ),
          ),
        },
      },
    },
  });

  const db = createPool(config.databaseUrl!, config.databasePoolSize);
  await prepareBackends({ config, db, say });
  // As `hookflow dev`: API and worker share one native connection so workflow starts are eager.
  // BENCH_EAGER_START=0 measures the separate-connection path that split API and worker processes take.
  const eager = process.env.BENCH_EAGER_START !== '0';
  const temporal: BenchStack['temporal'] = eager
    ? await connectShared(config, createDataConverter(config), log, tracing?.clientInterceptors)
    : await connectClient(config, createDataConverter(config), tracing?.clientInterceptors);
  if (!eager) say('eager workflow start off (BENCH_EAGER_START=0)');
  // BENCH_WORKFLOWS=<dir> runs a prototype copy of workflows/ instead, to measure a change before proposing it.
  const prototype = process.env.BENCH_WORKFLOWS;
  const workflowBundle = prototype
    ? await bundleWorkflowCode({ workflowsPath: path.resolve(prototype), logger: new DefaultLogger('WARN') })
    : undefined;
  if (prototype) say(`PROTOTYPE workflows from ${prototype}`);
  const worker = await startWorker({
    config,
    db,
    temporal: temporal.client,
    log,
    workflowBundle,
    tracing,
    ...(eager ? { connection: (temporal as SharedTemporalHandle).connection } : {}),
  });
  const api = await startApi({ config, db, temporal: temporal.client, log, eagerStart: eager, tracing });
  const extras: RunningApi[] = [];

  return {
    config,
    db,
    temporal,
    worker,
    api,
    log,
    metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
    temporalPid,
    postgresPid,
    collectorPid: collector?.pid,
    backends,
    async extraApi(overrides, more) {
      const c: Config = { ...config, ...more, temporal: { ...config.temporal, ...overrides } };
      const extra = await startApi({ config: c, db, temporal: temporal.client, log });
      extras.push(extra);
      return extra;
    },
    async retireExtraApi(extra) {
      await extra.app.close();
      extra.fanout.dropQueued();
    },
    async stop() {
      // Extra replicas may still hold a fan-out backlog; closing their servers is enough.
      for (const e of extras) await e.app.close().catch(() => undefined);
      await api.app.close().catch(() => undefined);
      await Promise.race([worker.stop(), new Promise((r) => setTimeout(r, 25_000))]);
      await temporal.connection.close().catch(() => undefined);
      await db.end().catch(() => undefined);
      for (const stop of stops) await stop().catch(() => undefined);
    },
  };
}

/** Optional JSON overrides from the environment, for tuning experiments (e.g. BENCH_DEV_SERVER). */
export function envJson(name: string): Record<string, any> {
  const raw = process.env[name];
  if (!raw) return {};
  try {
    return JSON.parse(raw) as Record<string, any>;
  } catch {
    throw new Error(`${name} must be a JSON object`);
  }
}

/** A given DATABASE_URL gets a fresh database beside it when allowed, so bench data stays apart. */
async function scratchDatabase(url: string): Promise<string> {
  const name = `hookflow_bench_${Date.now().toString(36)}`;
  const admin = new PgClient({ connectionString: url });
  try {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    const u = new URL(url);
    u.pathname = `/${name}`;
    say(`using scratch database ${name} on the given server`);
    return u.toString();
  } catch (err) {
    say(`WARNING: could not create a scratch database (${(err as Error).message}); bench data goes into DATABASE_URL itself`);
    return url;
  } finally {
    await admin.end().catch(() => undefined);
  }
}
