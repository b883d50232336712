// Puts every stored signing secret under the first key of HOOKFLOW_SECRET_KEYS: plaintext rows from
// before encryption at rest (run by `hookflow migrate` and `hookflow dev`), and rows sealed under an
// older key (`hookflow rotate-secret-keys`). Batches of rows, each in its own short transaction, so
// it is resumable (an interrupted run leaves finished batches finished) and idempotent (rows already
// under the current key are never touched).
import type { Db } from '../db/pool';
import type { SecretBox } from './secret-box';

export interface ResealProgress {
  done: number;
  /** Rows that needed work when the run began (concurrent writes already use the current key). */
  total: number;
}

const DEFAULT_BATCH = 500;

// Deleted subscriptions are included: their secrets are still secrets.
const NEEDS_WORK = `(left(secret, length($1)) <> $1 OR (previous_secret IS NOT NULL AND left(previous_secret, length($1)) <> $1))`;

export async function resealSecrets(
  db: Db,
  box: SecretBox,
  opts: { batchSize?: number; onProgress?: (p: ResealProgress) => void } = {},
): Promise<ResealProgress> {
  const prefix = box.currentPrefix;
  const batchSize = opts.batchSize ?? DEFAULT_BATCH;
  const { rows: counted } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM subscriptions WHERE ${NEEDS_WORK}`, [prefix]);
  const progress: ResealProgress = { done: 0, total: counted[0]!.n };
  if (progress.total === 0) return progress;
  // Keyset on id: every pass moves forward, so a row that cannot be opened stops the run with its
  // name instead of being retried forever. Bounded by the rows that existed when the run began.
  let after = '';
  for (let batches = 0; batches <= Math.ceil(progress.total / batchSize); batches++) {
    const moved = await resealBatch(db, box, prefix, after, batchSize);
    if (moved.count === 0) break;
    progress.done = Math.min(progress.total, progress.done + moved.count);
    after = moved.lastId;
    opts.onProgress?.({ ...progress });
  }
  return progress;
}

async function resealBatch(db: Db, box: SecretBox, prefix: string, after: string, limit: number): Promise<{ count: number; lastId: string }> {
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    // FOR UPDATE: an API rotation of the same row waits for this batch instead of being overwritten.
    const { rows } = await client.query<{ id: string; secret: string; previous_secret: string | null }>(
      `SELECT id, secret, previous_secret FROM subscriptions WHERE id > $2 AND ${NEEDS_WORK} ORDER BY id LIMIT $3 FOR UPDATE`,
      [prefix, after, limit],
    );
    const reseal = (stored: string, id: string) => (box.isCurrent(stored) ? stored : box.seal(box.open(stored, id), id));
    // One statement per batch rather than one per row.
    await client.query(
      `UPDATE subscriptions s SET secret = v.secret, previous_secret = v.previous_secret
       FROM unnest($1::text[], $2::text[], $3::text[]) AS v (id, secret, previous_secret) WHERE s.id = v.id`,
      [rows.map((r) => r.id), rows.map((r) => reseal(r.secret, r.id)), rows.map((r) => (r.previous_secret === null ? null : reseal(r.previous_secret, r.id)))],
    );
    await client.query('COMMIT');
    return { count: rows.length, lastId: rows.at(-1)?.id ?? after };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/**
 * The Node half of migration 005, run right after the SQL migrations: seals what is still
 * plaintext (or under a retired key). Prints progress only when there is work.
 */
export async function sealStoredSecrets(db: Db, box: SecretBox, say: (line: string) => void): Promise<ResealProgress> {
  return resealSecrets(db, box, { onProgress: (p) => say(`encrypting signing secrets under key ${box.currentKeyId}: ${p.done}/${p.total}`) });
}
