// What the server commands (api, worker, migrate) share: the variables each needs, and the
// connections they open from them.
import { loadConfig, type Config } from '../../config';
import { ConfigError } from '../../errors/config-error';
import { createPool } from '../../db/pool';
import { createLogger } from '../../logger';
import { resolveSecretKeys } from '../../security/secret-keys-source';
import { connectClient } from '../../temporal/client';
import { createDataConverter } from '../../temporal/payload-codec';
import { startTracing } from '../../telemetry/tracing';

type Required = 'DATABASE_URL' | 'TEMPORAL_ADDRESS' | 'HOOKFLOW_API_KEYS';

function requireVars(config: Config, names: Required[]): void {
  const missing = names.filter(
    (n) =>
      (n === 'DATABASE_URL' && !config.databaseUrl) ||
      (n === 'TEMPORAL_ADDRESS' && !config.temporal.address) ||
      (n === 'HOOKFLOW_API_KEYS' && config.apiKeys.length === 0),
  );
  if (missing.length > 0) throw new ConfigError(missing.map((n) => `${n}: is required for this command (not set)`));
}

export async function openBackends(needs: Required[]) {
  const config = loadConfig();
  requireVars(config, needs);
  // Before anything connects: in production a missing key stops start-up, not the first delivery.
  resolveSecretKeys(config, { generate: false });
  const log = createLogger(config);
  const db = createPool(config.databaseUrl!, config.databasePoolSize);
  // Before the client: its workflow starts carry the trace (tracing is off unless OTEL_EXPORTER_OTLP_ENDPOINT is set).
  const tracing = startTracing(config);
  const temporal = await connectClient(config, createDataConverter(config), tracing?.clientInterceptors);
  return { config, log, db, temporal, tracing };
}
