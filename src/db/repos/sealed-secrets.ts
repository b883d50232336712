// The stored signing secrets and custom header values as rows to re-encrypt (src/security/reseal-secrets.ts decides how).
import type { Db } from '../pool';

// Deleted subscriptions are included: their secrets are still secrets. So are custom header values.
const NOT_UNDER = `(left(secret, length($1)) <> $1 OR (previous_secret IS NOT NULL AND left(previous_secret, length($1)) <> $1)
  OR EXISTS (SELECT 1 FROM jsonb_each_text(headers) h WHERE left(h.value, length($1)) <> $1))`;

/** Subscriptions with a secret not sealed under the key whose sealed values start with `prefix`. */
export async function countSecretsNotUnder(db: Pick<Db, 'query'>, prefix: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM subscriptions WHERE ${NOT_UNDER}`, [prefix]);
  return rows[0]!.n;
}

export interface SealedSecretsRow {
  id: string;
  secret: string;
  previous_secret: string | null;
  /** Custom header name → sealed value. */
  headers: Record<string, string>;
}

/**
 * One batch after `after` (keyset on id), rewritten with `reseal` in one short transaction. FOR
 * UPDATE: an API rotation of the same row waits for this batch instead of being overwritten.
 */
export async function resealSecretsBatch(
  db: Db,
  prefix: string,
  after: string,
  limit: number,
  reseal: (stored: string, id: string) => string,
  resealHeaders: (headers: Record<string, string>, id: string) => Record<string, string>,
): Promise<{ count: number; lastId: string }> {
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    const { rows } = await client.query<SealedSecretsRow>(
      `SELECT id, secret, previous_secret, headers FROM subscriptions WHERE id > $2 AND ${NOT_UNDER} ORDER BY id LIMIT $3 FOR UPDATE`,
      [prefix, after, limit],
    );
    // One statement per batch rather than one per row.
    await client.query(
      `UPDATE subscriptions s SET secret = v.secret, previous_secret = v.previous_secret, headers = v.headers::jsonb
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS v (id, secret, previous_secret, headers) WHERE s.id = v.id`,
      [
        rows.map((r) => r.id),
        rows.map((r) => reseal(r.secret, r.id)),
        rows.map((r) => (r.previous_secret === null ? null : reseal(r.previous_secret, r.id))),
        rows.map((r) => JSON.stringify(resealHeaders(r.headers, r.id))),
      ],
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
