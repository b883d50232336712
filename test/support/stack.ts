// A real hookflow stack for one test file: its own database and task queue on the shared
// Temporal dev server and PostgreSQL that test/run.ts started.
import { randomBytes } from 'node:crypto';
import { Client as PgClient } from 'pg';
import pino from 'pino';
import { loadConfig, type Config } from '../../src/config';
import { prepareBackends } from '../../src/server/prepare-backends';
import { Metrics } from '../../src/metrics/registry';
import { createPool, type Db } from '../../src/db/pool';
import { startApi, type RunningApi } from '../../src/server/api-process';
import { startWorker, type RunningWorker } from '../../src/server/worker-process';
import { connectClient, type TemporalClientHandle } from '../../src/temporal/client';
import { createDataConverter } from '../../src/temporal/payload-codec';
import { startTracing, type Tracing } from '../../src/telemetry/tracing';
import { callApi, type ApiResponse } from './call-api';

export { waitFor } from './wait';

export const API_KEY = 'test-key-0123456789abcdef';
/** One storage key per test process: stacks sharing a database (see startStack) read each other's rows. */
export const SECRET_KEYS = `test1:${randomBytes(32).toString('base64')}`;

export interface Stack {
  config: Config;
  db: Db;
  temporal: TemporalClientHandle;
  api: RunningApi;
  worker?: RunningWorker;
  /** Set when the env turns tracing on (OTEL_EXPORTER_OTLP_ENDPOINT). */
  tracing?: Tracing;
  url: string;
  /** fetch against the API with the API key. */
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse>;
  startWorker(): Promise<RunningWorker>;
  stop(): Promise<void>;
}

function required(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run integration tests through "npm test" (test/run.ts)`);
  return v;
}

export async function createTestDatabase(): Promise<string> {
  const adminUrl = required('HOOKFLOW_TEST_DATABASE_URL');
  const name = `t_${randomBytes(6).toString('hex')}`;
  const admin = new PgClient({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** `env.DATABASE_URL` puts a second stack on another stack's database (e.g. other settings, same data). */
/** `log`: where the API and the worker log (silent unless HOOKFLOW_TEST_LOG names a level). */
export async function startStack(env: Record<string, string> = {}, opts: { worker?: boolean; log?: pino.Logger } = {}): Promise<Stack> {
  const databaseUrl = env.DATABASE_URL ?? (await createTestDatabase());
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    HOST: '127.0.0.1',
    PORT: '0',
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: required('HOOKFLOW_TEST_TEMPORAL_ADDRESS'),
    HOOKFLOW_TASK_QUEUE: `test-${randomBytes(4).toString('hex')}`,
    HOOKFLOW_API_KEYS: API_KEY,
    HOOKFLOW_SECRET_KEYS: SECRET_KEYS,
    HOOKFLOW_ALLOW_PRIVATE_URLS: 'true',
    HOOKFLOW_RETRY_INITIAL_INTERVAL_MS: '50',
    HOOKFLOW_RETRY_MAX_INTERVAL_MS: '200',
    HOOKFLOW_RETRY_BACKOFF_COEFFICIENT: '2',
    HOOKFLOW_RETRY_MAX_ATTEMPTS: '3',
    HOOKFLOW_REQUEST_TIMEOUT_MS: '2000',
    HOOKFLOW_SWEEP_INTERVAL_MS: '500',
    HOOKFLOW_SWEEP_GRACE_MS: '300',
    // Many files send hundreds of bad credentials on purpose, all from 127.0.0.1;
    // test/integration/auth-failure-limit.test.ts turns the limit on.
    HOOKFLOW_AUTH_FAILURE_LIMIT: 'off',
    ...env,
  });
  const log = opts.log ?? pino({ level: process.env.HOOKFLOW_TEST_LOG ?? 'silent' });
  const db = createPool(databaseUrl, 10);
  await prepareBackends({ config, db, say: () => undefined });
  const tracing = startTracing(config);
  const temporal = await connectClient(config, createDataConverter(config), tracing?.clientInterceptors);
  // Separate registries for the API and the worker, as in split processes, and per stack, so each
  // test's counters move only with its own traffic.
  const api = await startApi({ config, db, temporal: temporal.client, log, metrics: new Metrics({ tenantLabel: config.metricsTenantLabel }), tracing });
  const stack: Stack = {
    config,
    db,
    temporal,
    api,
    tracing,
    url: api.url,
    call: (method, path, body, headers) => callApi(api.url, API_KEY, method, path, body, headers),
    async startWorker() {
      stack.worker = await startWorker({
        config,
        db,
        temporal: temporal.client,
        log,
        // The shared bundle has no tracing interceptors: with tracing on, the worker bundles its own.
        workflowBundle: tracing ? undefined : { codePath: required('HOOKFLOW_TEST_WORKFLOW_BUNDLE') },
        metrics: new Metrics({ tenantLabel: config.metricsTenantLabel }),
        tracing,
      });
      return stack.worker;
    },
    async stop() {
      await api.stop();
      await stack.worker?.stop();
      await temporal.connection.close();
      await db.end();
    },
  };
  if (opts.worker !== false) await stack.startWorker();
  return stack;
}

