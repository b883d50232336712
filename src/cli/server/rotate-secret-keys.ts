// `hookflow rotate-secret-keys`: after a new key was put first in HOOKFLOW_SECRET_KEYS (old keys
// kept after it), re-encrypts every stored signing secret under the new key. Safe to interrupt and
// run again; when it reports 0 left, the old keys can be dropped from HOOKFLOW_SECRET_KEYS.
import { loadConfig, type Config } from '../../config';
import { createPool } from '../../db/pool';
import { countSecretsNotUnder } from '../../db/repos/sealed-secrets';
import { resealSecrets } from '../../security/reseal-secrets';
import { secretBox } from '../../security/secret-box';
import { ConfigError } from '../../errors/config-error';
import { resolveSecretKeys } from '../../security/secret-keys-source';

export async function runRotateSecretKeys(batchSize: number): Promise<void> {
  const config = loadConfig();
  if (!config.databaseUrl) throw new ConfigError(['DATABASE_URL: is required for this command (not set)']);
  resolveSecretKeys(config, { generate: false });
  const left = await rotateSecretKeys(config, (line) => process.stdout.write(`${line}\n`), batchSize);
  if (left > 0) process.exitCode = 1;
}

async function rotateSecretKeys(config: Config, say: (line: string) => void, batchSize?: number): Promise<number> {
  const box = secretBox(config);
  const db = createPool(config.databaseUrl!, 2);
  try {
    const began = Date.now();
    say(`re-encrypting signing secrets under key ${box.currentKeyId} (custom header values too)`);
    const result = await resealSecrets(db, box, {
      batchSize,
      onProgress: (p) => say(`  ${p.done}/${p.total} subscriptions (${Math.round((100 * p.done) / p.total)}%)`),
    });
    const left = await countSecretsNotUnder(db, box.currentPrefix);
    say(`done in ${((Date.now() - began) / 1000).toFixed(1)} s: ${result.done} re-encrypted, ${left} left under other keys`);
    return left;
  } finally {
    await db.end();
  }
}
