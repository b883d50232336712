// Puts every stored signing secret under the first key of HOOKFLOW_SECRET_KEYS: plaintext rows from
// before encryption at rest (run by `hookflow migrate` and `hookflow dev`), and rows sealed under an
// older key (`hookflow rotate-secret-keys`). Batches of rows, each in its own short transaction, so
// it is resumable (an interrupted run leaves finished batches finished) and idempotent (rows already
// under the current key are never touched).
import type { Db } from '../db/pool';
import { countSecretsNotUnder, resealSecretsBatch } from '../db/repos/sealed-secrets';
import type { SecretBox } from './secret-box';

export interface ResealProgress {
  done: number;
  /** Rows that needed work when the run began (concurrent writes already use the current key). */
  total: number;
}

const DEFAULT_BATCH = 500;

export async function resealSecrets(
  db: Db,
  box: SecretBox,
  opts: { batchSize?: number; onProgress?: (p: ResealProgress) => void } = {},
): Promise<ResealProgress> {
  const prefix = box.currentPrefix;
  const batchSize = opts.batchSize ?? DEFAULT_BATCH;
  const progress: ResealProgress = { done: 0, total: await countSecretsNotUnder(db, prefix) };
  const reseal = (stored: string, id: string) => (box.isCurrent(stored) ? stored : box.seal(box.open(stored, id), id));
  // Custom header values are sealed for their header too (src/endpoint-headers/sealed-headers.ts).
  const resealHeaders = (headers: Record<string, string>, id: string) =>
    Object.fromEntries(
      Object.entries(headers).map(([name, stored]) => {
        const field = { header: name.toLowerCase() };
        return [name, box.isCurrent(stored) ? stored : box.seal(box.open(stored, id, field), id, field)];
      }),
    );
  if (progress.total === 0) return progress;
  // Keyset on id: every pass moves forward, so a row that cannot be opened stops the run with its
  // name instead of being retried forever. Bounded by the rows that existed when the run began.
  let after = '';
  for (let batches = 0; batches <= Math.ceil(progress.total / batchSize); batches++) {
    const moved = await resealSecretsBatch(db, prefix, after, batchSize, reseal, resealHeaders);
    if (moved.count === 0) break;
    progress.done = Math.min(progress.total, progress.done + moved.count);
    after = moved.lastId;
    opts.onProgress?.({ ...progress });
  }
  return progress;
}

/**
 * The Node half of migration 005, run right after the SQL migrations: seals what is still
 * plaintext (or under a retired key). Prints progress only when there is work.
 */
export async function sealStoredSecrets(db: Db, box: SecretBox, say: (line: string) => void): Promise<ResealProgress> {
  return resealSecrets(db, box, { onProgress: (p) => say(`encrypting signing secrets under key ${box.currentKeyId}: ${p.done}/${p.total}`) });
}
