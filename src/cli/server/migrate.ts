import { migrate } from '../../db/migrate';
import { registerSearchAttributes } from '../../temporal/register-search-attributes';
import { applyTemporalRetention, ensurePurgeSchedule } from '../../temporal/retention';
import { sealStoredSecrets } from '../../security/reseal-secrets';
import { secretBox } from '../../security/secret-box';
import { openBackends } from './backends';

export async function runMigrate(): Promise<void> {
  const { config, log, db, temporal } = await openBackends(['DATABASE_URL', 'TEMPORAL_ADDRESS']);
  const applied = await migrate(db);
  // The Node half of migration 005: SQL cannot encrypt with a key only the processes hold.
  const sealed = await sealStoredSecrets(db, secretBox(config), (line) => log.info(line));
  const registered = await registerSearchAttributes(temporal.connection, config.temporal.namespace);
  const retentionChanged = await applyTemporalRetention(temporal.client, config.temporal.namespace, config.temporalRetentionSeconds);
  const purge = await ensurePurgeSchedule(temporal.client, config);
  log.info(
    { applied, secretsEncrypted: sealed.done, registered, temporalRetentionSeconds: config.temporalRetentionSeconds, retentionChanged, retentionDays: config.retentionDays, purgeSchedule: purge },
    'migrations applied, search attributes registered, retentions set',
  );
  await Promise.all([db.end(), temporal.connection.close()]);
}
