import { connectClient } from './temporal/client';
import { createDataConverter } from './temporal/payload-codec';
import { ConfigError, loadConfig, type Config } from './config';
import { migrate } from './db/migrate';
import { createPool } from './db/pool';
import { createLogger } from './logger';
import { startApi } from './runtime/api';
import { runDevStack } from './runtime/dev-stack';
import { onShutdown } from './runtime/shutdown';
import { StartError } from './runtime/start-error';
import { startWorker } from './runtime/worker';
import { registerSearchAttributes } from './temporal/register-search-attributes';
import { applyTemporalRetention, ensurePurgeSchedule } from './temporal/retention';

const USAGE = `usage: hookflow <command>

  dev       the whole stack on one machine: embedded Temporal dev server and PostgreSQL
            (unless TEMPORAL_ADDRESS / DATABASE_URL are set), migrations, worker and API
  api       the HTTP API (needs DATABASE_URL, TEMPORAL_ADDRESS, HOOKFLOW_API_KEYS)
  worker    the Temporal worker that delivers webhooks (needs DATABASE_URL, TEMPORAL_ADDRESS)
  migrate   apply database migrations, register Temporal search attributes, set the namespace's
            retention (HOOKFLOW_TEMPORAL_RETENTION) and the daily purge schedule, then exit`;

function requireVars(config: Config, names: ('DATABASE_URL' | 'TEMPORAL_ADDRESS' | 'HOOKFLOW_API_KEYS')[]): void {
  const missing = names.filter(
    (n) =>
      (n === 'DATABASE_URL' && !config.databaseUrl) ||
      (n === 'TEMPORAL_ADDRESS' && !config.temporal.address) ||
      (n === 'HOOKFLOW_API_KEYS' && config.apiKeys.length === 0),
  );
  if (missing.length > 0) throw new ConfigError(missing.map((n) => `${n}: is required for this command (not set)`));
}

async function main(command: string | undefined): Promise<void> {
  if (command === 'dev') return runDevStack(loadConfig());
  if (command !== 'api' && command !== 'worker' && command !== 'migrate') {
    console.error(USAGE);
    process.exit(command === undefined || command === '--help' ? 0 : 2);
  }
  const config = loadConfig();
  requireVars(config, command === 'api' ? ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'HOOKFLOW_API_KEYS'] : ['DATABASE_URL', 'TEMPORAL_ADDRESS']);
  const log = createLogger(config);
  const db = createPool(config.databaseUrl!, config.databasePoolSize);
  const temporal = await connectClient(config, createDataConverter(config));

  if (command === 'migrate') {
    const applied = await migrate(db);
    const registered = await registerSearchAttributes(temporal.connection, config.temporal.namespace);
    const retentionChanged = await applyTemporalRetention(temporal.client, config.temporal.namespace, config.temporalRetentionSeconds);
    const purge = await ensurePurgeSchedule(temporal.client, config);
    log.info(
      { applied, registered, temporalRetentionSeconds: config.temporalRetentionSeconds, retentionChanged, retentionDays: config.retentionDays, purgeSchedule: purge },
      'migrations applied, search attributes registered, retentions set',
    );
    await Promise.all([db.end(), temporal.connection.close()]);
    return;
  }

  if (command === 'api') {
    const api = await startApi({ config, db, temporal: temporal.client, log });
    log.info({ url: api.url }, 'hookflow API listening');
    await onShutdown(log, [
      ['api', () => api.stop()],
      ['temporal', () => temporal.connection.close()],
      ['postgres', () => db.end()],
    ]);
    return;
  }

  const worker = await startWorker({ config, db, temporal: temporal.client, log });
  log.info({ taskQueue: config.temporal.taskQueue }, 'hookflow worker running');
  await Promise.race([
    worker.done,
    onShutdown(log, [['worker', () => worker.stop()]]),
  ]);
  await Promise.all([temporal.connection.close(), db.end()]);
}

main(process.argv[2]).then(
  () => process.exit(0),
  (err: unknown) => {
    // Known failures are already told in words; only the unexpected get a stack.
    console.error(err instanceof ConfigError || err instanceof StartError ? err.message : err);
    process.exit(1);
  },
);
