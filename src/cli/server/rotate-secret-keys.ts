import { loadConfig } from '../../config';
import { ConfigError } from '../../errors/config-error';
import { rotateSecretKeys } from '../../security/rotate-secret-keys';
import { resolveSecretKeys } from '../../security/secret-keys-source';

export async function runRotateSecretKeys(batchSize: number): Promise<void> {
  const config = loadConfig();
  if (!config.databaseUrl) throw new ConfigError(['DATABASE_URL: is required for this command (not set)']);
  resolveSecretKeys(config, { generate: false });
  const left = await rotateSecretKeys(config, (line) => process.stdout.write(`${line}\n`), batchSize);
  if (left > 0) process.exitCode = 1;
}
