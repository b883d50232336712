import { prepareBackends } from '../../server/prepare-backends';
import { openBackends } from './backends';

export async function runMigrate(): Promise<void> {
  const { config, log, db, temporal } = await openBackends(['DATABASE_URL', 'TEMPORAL_ADDRESS']);
  const { applied, secretsEncrypted, temporal: t } = await prepareBackends({ config, db, temporal, say: (line) => log.info(line) });
  log.info(
    { applied, secretsEncrypted, ...t, temporalRetentionSeconds: config.temporalRetentionSeconds, retentionDays: config.retentionDays },
    'migrations applied, search attributes registered, retentions set',
  );
  await Promise.all([db.end(), temporal.connection.close()]);
}
