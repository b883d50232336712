// `hookflow rotate-secret-keys`: after a new key was put first in HOOKFLOW_SECRET_KEYS (old keys
// kept after it), re-encrypts every stored signing secret under the new key. Safe to interrupt and
// run again; when it reports 0 left, the old keys can be dropped from HOOKFLOW_SECRET_KEYS.
import type { Config } from '../config';
import { createPool } from '../db/pool';
import { resealSecrets } from './reseal-secrets';
import { secretBox } from './secret-box';

export async function rotateSecretKeys(config: Config, say: (line: string) => void, batchSize?: number): Promise<number> {
  const box = secretBox(config);
  const db = createPool(config.databaseUrl!, 2);
  try {
    const began = Date.now();
    say(`re-encrypting signing secrets under key ${box.currentKeyId}`);
    const result = await resealSecrets(db, box, {
      batchSize,
      onProgress: (p) => say(`  ${p.done}/${p.total} subscriptions (${Math.round((100 * p.done) / p.total)}%)`),
    });
    const { rows } = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM subscriptions WHERE left(secret, length($1)) <> $1 OR left(previous_secret, length($1)) <> $1`,
      [box.currentPrefix],
    );
    say(`done in ${((Date.now() - began) / 1000).toFixed(1)} s: ${result.done} re-encrypted, ${rows[0]!.n} left under other keys`);
    return rows[0]!.n;
  } finally {
    await db.end();
  }
}
