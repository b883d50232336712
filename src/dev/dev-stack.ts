import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config';
import { createPool, type Db } from '../db/pool';
import { createLogger } from '../logger';
import { bundleWorkflowCode, type WorkflowBundle } from '@temporalio/worker';
import { connectShared } from '../temporal/shared-connection';
import { WORKFLOWS_PATH } from '../server/temporal-worker';
import { workflowPreloadModules } from '../temporal/bundle-workflows';
import { createDataConverter } from '../temporal/payload-codec';
import { resolveSecretKeys } from '../security/secret-keys-source';
import { prepareBackends } from '../server/prepare-backends';
import { startApi } from '../server/api-process';
import { bannerKeyLine } from './banner-key';
import { startDevBackends, type StopStep } from './dev-backends';
import { readStat } from './proc';
import { acquireDevLock, readRunState, self, writeRunState, type RunState } from './run-state';
import { onShutdown } from '../server/shutdown';
import { asStartError, describeError, type StartError } from './start-error';
import { Watchdog } from './watchdog';
import { startWorker } from '../server/worker-process';
import { startTracing, type Tracing } from '../telemetry/tracing';

// A parent that dies (an `npm`/`tsx` wrapper killed with -9) leaves us re-parented: we notice
// within this long and stop in order, rather than running on with nobody to press Ctrl-C.
const PARENT_POLL_MS = 1_000;

/**
 * `npm start`: everything on one machine. Embedded parts start only where no real one is
 * configured, and their data lives under .hookflow/ so it survives a restart. A crash of this
 * process leaves nothing running (watchdog.ts) and the next start cleans up after it
 * (leftovers.ts, postgres-stale.ts); every failure on the way up is a StartError in words.
 */
export async function runDevStack(config: Config): Promise<void> {
  // Human-readable on a terminal; JSON when piped or captured.
  const log = createLogger(config, { pretty: process.stdout.isTTY === true });
  const dataDir = path.resolve(config.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const say = (line: string) => process.stdout.write(`[hookflow] ${line}\n`);

  if (config.allowPrivateUrls === undefined) {
    config.allowPrivateUrls = true;
    say('WARNING: dev mode allows private and loopback webhook URLs (set HOOKFLOW_ALLOW_PRIVATE_URLS=false to refuse them)');
  }
  const generatedKey = config.apiKeys.length === 0;
  if (generatedKey) config.apiKeys = [devApiKey(dataDir)];
  if (resolveSecretKeys(config, { generate: true }) === 'generated') say(`generated HOOKFLOW_SECRET_KEYS into ${path.join(dataDir, 'secret-keys')} (it encrypts signing secrets at rest: keep it)`);

  const { release: releaseLock, crashedOwner } = acquireDevLock(dataDir);
  const previous = readRunState(dataDir);
  if (crashedOwner !== undefined) say(`the previous hookflow dev (pid ${crashedOwner}) ended without stopping (a crash or kill -9); checking what it left`);
  const watchdog = new Watchdog((l) => say(`WARNING: ${l}`));
  const state: RunState = {
    owner: { ...self(), startedAt: new Date().toISOString() },
    watchdog: watchdog.pid === undefined ? undefined : { pid: watchdog.pid, startTicks: readStat(watchdog.pid)?.startTicks },
    children: {},
  };
  writeRunState(dataDir, state);

  // Anything after "ready" that must end the run (a backend that cannot be restarted, the worker
  // stopping by itself, our parent gone) resolves `stopRequest`; the ordered shutdown follows.
  let fatal: StartError | undefined;
  let requestStop!: (why: string) => void;
  const stopRequest = new Promise<string>((resolve) => (requestStop = resolve));
  let shuttingDown = false;
  const onFatal = (err: StartError): void => {
    if (shuttingDown && !fatal) return;
    fatal ??= err;
    requestStop('fatal');
  };
  const stops: StopStep[] = [];
  const finish = async (steps: StopStep[]): Promise<void> => {
    for (const [name, stop] of steps) await stop().catch((err: unknown) => say(`stopping ${name} failed: ${describeError(err)}`));
    watchdog.close();
    state.children = {};
    writeRunState(dataDir, state);
    releaseLock();
  };

  // Bundling the workflows is the slowest step (~2 s of CPU); it needs no server, so it runs while
  // the backends start. Same input as the worker's own bundling (no custom converters here).
  // With tracing on, its workflow interceptors go into the bundle.
  const tracing = startTracing(config);
  const bundle = bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, workflowInterceptorModules: tracing?.workflowInterceptorModules, preloadModules: workflowPreloadModules(WORKFLOWS_PATH), logger: bundlerLogger(log) });
  bundle.catch(() => undefined);
  let running: Awaited<ReturnType<typeof startServices>>;
  let uiUrl: string | undefined;
  try {
    ({ uiUrl } = await startDevBackends({ config, dataDir, previous, state, watchdog, say, onFatal, stops }));
    log.debug({ atMs: Math.round(performance.now()) }, 'embedded backends ready');
    running = await startServices(config, log, stops, bundle, tracing);
  } catch (err) {
    shuttingDown = true;
    await finish(stops);
    throw asStartError(err, 'start-up failed', 'read the message above');
  }
  const { api } = running;
  void running.worker.done.then(
    () => !shuttingDown && onFatal(asStartError(new Error('it stopped by itself'), 'the Temporal worker stopped while hookflow dev was running', 'start hookflow dev again')),
    (err: unknown) => !shuttingDown && onFatal(asStartError(err, 'the Temporal worker failed while hookflow dev was running', 'read the reason above and start hookflow dev again')),
  );
  const parent = process.ppid;
  const parentWatch = setInterval(() => {
    if (process.ppid === parent) return;
    say(`the process that started hookflow dev (pid ${parent}) is gone; stopping`);
    requestStop('parent gone');
  }, PARENT_POLL_MS);
  parentWatch.unref();

  say(`ready (started in ${(performance.now() / 1000).toFixed(1)} s)`);
  say(`  API          ${api.url.replace('127.0.0.1', 'localhost')}   (OpenAPI: ${api.url}/docs)`);
  say(`  API key      ${bannerKeyLine(config.apiKeys, generatedKey)}`);
  say(`  Temporal     ${config.temporal.address} (namespace ${config.temporal.namespace})`);
  if (uiUrl) say(`  Web UI       ${uiUrl}`);
  say(`  Logs         ${path.join(dataDir, 'logs')}`);
  say('press Ctrl-C to stop');

  // Order matters (startServices and the backends queued their steps so): stop taking requests,
  // let the worker drain, close the client and the pool, then PostgreSQL and the Temporal server.
  await onShutdown(log, [['start of shutdown', async () => void (shuttingDown = true)], ...stops], stopRequest);
  clearInterval(parentWatch);
  await finish([]);
  if (fatal) throw fatal;
  say('stopped');
}

/** Migrations, the shared Temporal connection, worker and API; each failure names its step. */
async function startServices(config: Config, log: ReturnType<typeof createLogger>, stops: StopStep[], bundle: Promise<WorkflowBundle>, tracing: Tracing | undefined) {
  const step = async <T>(what: string, todo: string, fn: () => Promise<T>): Promise<T> => {
    const began = performance.now();
    try {
      const result = await fn();
      // LOG_LEVEL=debug shows where start-up time goes.
      log.debug({ ms: Math.round(performance.now() - began) }, `start step done: ${what.replace(/^could not /, '')}`);
      return result;
    } catch (err) {
      throw asStartError(err, what, todo);
    }
  };
  if (tracing) stops.unshift(['tracing', () => tracing.shutdown()]);
  const db: Db = createPool(config.databaseUrl!, config.databasePoolSize);
  stops.unshift(['postgres pool', () => db.end()]);
  // API and worker share one native connection, so the API's workflow starts can be eager.
  const temporal = await step(`could not connect to Temporal at ${config.temporal.address}`, 'check TEMPORAL_ADDRESS, or unset it to use the embedded dev server', () =>
    connectShared(config, createDataConverter(config), log, tracing?.clientInterceptors),
  );
  stops.unshift(['temporal client', () => temporal.connection.close()]);
  await prepareBackends({ config, db, temporal, step, say: (line) => process.stdout.write(`[hookflow] ${line}\n`) });
  const workflowBundle = await step('could not bundle the workflows', 'fix the workflow code the reason names (workflows/)', () => bundle);
  const worker = await step('could not start the Temporal worker', 'read the reason above', () =>
    startWorker({ config, db, temporal: temporal.client, log, connection: temporal.connection, workflowBundle, tracing }),
  );
  stops.unshift(['worker', () => worker.stop()]);
  const api = await step(`could not start the API on ${config.host}:${config.port}`, 'free the port or set PORT to another one', () =>
    startApi({ config, db, temporal: temporal.client, log, eagerStart: true, tracing }),
  );
  stops.unshift(['api', () => api.stop()]);
  return { db, temporal, worker, api };
}

/** The bundler's chatter at debug level, its warnings and errors as such. */
function bundlerLogger(log: ReturnType<typeof createLogger>) {
  const at = (level: 'debug' | 'warn' | 'error') => (message: string, meta?: Record<string, unknown>) => log[level]({ ...meta, bundler: true }, message);
  return { trace: at('debug'), debug: at('debug'), info: at('debug'), warn: at('warn'), error: at('error'), log: (_level: string, message: string, meta?: Record<string, unknown>) => at('debug')(message, meta) };
}

/** A dev key kept under .hookflow/, so it stays the same across restarts of `npm start`. */
function devApiKey(dataDir: string): string {
  const file = path.join(dataDir, 'dev-api-key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const key = `hf_dev_${randomBytes(24).toString('base64url')}`;
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
}
