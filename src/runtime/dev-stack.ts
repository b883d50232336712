import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config';
import { startEmbeddedPostgres } from '../db/embedded';
import { migrate } from '../db/migrate';
import { createPool } from '../db/pool';
import { createLogger } from '../logger';
import { resolveTemporalCli } from '../temporal/cli-binary';
import { connectShared } from '../temporal/shared-connection';
import { createDataConverter } from '../temporal/payload-codec';
import { startDevServer } from '../temporal/dev-server';
import { DEV_SERVER_TUNING } from '../temporal/dev-server-tuning';
import { searchAttributeFlags } from '../temporal/search-attributes';
import { applyTemporalRetention, ensurePurgeSchedule } from '../temporal/retention';
import { startApi } from './api';
import { onShutdown } from './shutdown';
import { startWorker } from './worker';

const DEV_TEMPORAL_PORT = 7233;
const DEV_UI_PORT = 8233;
const DEV_POSTGRES_PORT = 54329;

/**
 * `npm start`: everything on one machine. Embedded parts start only where no real one is
 * configured, and their data lives under .hookflow/ so it survives a restart.
 */
export async function runDevStack(config: Config): Promise<void> {
  // Human-readable on a terminal; JSON when piped or captured.
  const log = createLogger(config, { pretty: process.stdout.isTTY === true });
  const dataDir = path.resolve(config.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const say = (line: string) => process.stdout.write(`[hookflow] ${line}\n`);
  const stops: [string, () => Promise<unknown>][] = [];

  if (config.allowPrivateUrls === undefined) {
    config.allowPrivateUrls = true;
    say('WARNING: dev mode allows private and loopback webhook URLs (set HOOKFLOW_ALLOW_PRIVATE_URLS=false to refuse them)');
  }
  if (config.apiKeys.length === 0) config.apiKeys = [devApiKey(dataDir)];

  let uiUrl: string | undefined;
  if (!config.temporal.address) {
    const cli = await resolveTemporalCli({ onProgress: (l) => say(l) });
    say(`starting the Temporal dev server (${'path' in cli ? cli.path : 'SDK download'})`);
    const server = await startDevServer({
      cli,
      dbFilename: path.join(dataDir, 'temporal.db'),
      port: DEV_TEMPORAL_PORT,
      uiPort: DEV_UI_PORT,
      namespace: config.temporal.namespace,
      searchAttributes: searchAttributeFlags(),
      ...DEV_SERVER_TUNING,
      logLevel: 'warn',
      // The API starts later; the UI calls this from the browser, on the same machine in dev.
      codecEndpoint: config.payloadKey ? `http://localhost:${config.port}/codec` : undefined,
    });
    config.temporal.address = server.address;
    uiUrl = server.uiUrl;
    stops.unshift(['temporal dev server', () => server.stop()]);
  }
  if (!config.databaseUrl) {
    say('starting embedded PostgreSQL');
    const pg = await startEmbeddedPostgres({ dataDir: path.join(dataDir, 'postgres'), port: DEV_POSTGRES_PORT, persistent: true });
    config.databaseUrl = pg.url;
    stops.unshift(['embedded postgres', () => pg.stop()]);
  }

  const db = createPool(config.databaseUrl, config.databasePoolSize);
  const applied = await migrate(db);
  if (applied.length > 0) say(`applied migrations: ${applied.join(', ')}`);
  // API and worker share one native connection, so the API's workflow starts can be eager.
  const temporal = await connectShared(config, createDataConverter(config), log);
  await applyTemporalRetention(temporal.client, config.temporal.namespace, config.temporalRetentionSeconds);
  await ensurePurgeSchedule(temporal.client, config);
  const worker = await startWorker({ config, db, temporal: temporal.client, log, connection: temporal.connection });
  const api = await startApi({ config, db, temporal: temporal.client, log, eagerStart: true });

  say('ready');
  say(`  API          ${api.url.replace('127.0.0.1', 'localhost')}   (OpenAPI: ${api.url}/docs)`);
  say(`  API key      ${config.apiKeys[0]}`);
  say(`  Temporal     ${config.temporal.address} (namespace ${config.temporal.namespace})`);
  if (uiUrl) say(`  Web UI       ${uiUrl}`);
  say('press Ctrl-C to stop');

  // Order matters: stop taking requests, let the worker drain, then the backends.
  await onShutdown(log, [
    ['api', () => api.stop()],
    ['worker', () => worker.stop()],
    ['temporal client', () => temporal.connection.close()],
    ['postgres pool', () => db.end()],
    ...stops,
  ]);
  say('stopped');
}

/** A dev key kept under .hookflow/, so it stays the same across restarts of `npm start`. */
function devApiKey(dataDir: string): string {
  const file = path.join(dataDir, 'dev-api-key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const key = `hf_dev_${randomBytes(24).toString('base64url')}`;
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
}
