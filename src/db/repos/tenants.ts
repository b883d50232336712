import type { Db } from '../pool';
import { keysetAfter, type KeysetCursor } from './keyset';

export const DEFAULT_TENANT = 'default';

export interface TenantRow {
  id: string;
  name: string;
  metadata: Record<string, unknown>;
  deleted_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

type Queryable = Pick<Db, 'query'>;

/** Undefined when the ID is taken, also by a deleted tenant: IDs are never reused. */
export async function insertTenant(
  db: Queryable,
  t: { id: string; name: string; metadata: Record<string, unknown> },
): Promise<TenantRow | undefined> {
  const { rows } = await db.query<TenantRow>(
    'INSERT INTO tenants (id, name, metadata) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING RETURNING *',
    [t.id, t.name, t.metadata],
  );
  return rows[0];
}

export async function getTenant(db: Queryable, id: string): Promise<TenantRow | undefined> {
  const { rows } = await db.query<TenantRow>('SELECT * FROM tenants WHERE id = $1 AND deleted_at IS NULL', [id]);
  return rows[0];
}

export async function listTenants(db: Queryable, opts: { limit: number; after?: KeysetCursor }): Promise<TenantRow[]> {
  const params: unknown[] = [opts.limit];
  const where = ['deleted_at IS NULL'];
  if (opts.after) where.push(keysetAfter('tenants', params, opts.after, 'asc'));
  const { rows } = await db.query<TenantRow>(
    `SELECT * FROM tenants WHERE ${where.join(' AND ')} ORDER BY created_at, id LIMIT $1`,
    params,
  );
  return rows;
}

export async function updateTenant(
  db: Queryable,
  id: string,
  patch: { name?: string; metadata?: Record<string, unknown> },
): Promise<TenantRow | undefined> {
  const { rows } = await db.query<TenantRow>(
    `UPDATE tenants SET name = COALESCE($2, name), metadata = COALESCE($3, metadata), updated_at = now()
     WHERE id = $1 AND deleted_at IS NULL RETURNING *`,
    [id, patch.name ?? null, patch.metadata ?? null],
  );
  return rows[0];
}

/**
 * Deletes the tenant, its subscriptions and its tokens in one transaction, so a failure leaves all
 * of it in place. Open deliveries are the caller's to discard (they live in Temporal). Returns the
 * number of subscriptions deleted, or undefined when the tenant does not exist.
 */
export async function deleteTenant(db: Db, id: string): Promise<{ subscriptions: number; tokens: number } | undefined> {
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    const gone = await client.query(
      'UPDATE tenants SET deleted_at = now(), updated_at = now() WHERE id = $1 AND deleted_at IS NULL',
      [id],
    );
    if (gone.rowCount !== 1) {
      await client.query('ROLLBACK');
      return undefined;
    }
    const subs = await client.query(
      `UPDATE subscriptions SET deleted_at = now(), active = false, updated_at = now()
       WHERE tenant_id = $1 AND deleted_at IS NULL`,
      [id],
    );
    const tokens = await client.query(
      'UPDATE tenant_tokens SET revoked_at = now() WHERE tenant_id = $1 AND revoked_at IS NULL',
      [id],
    );
    await client.query('COMMIT');
    return { subscriptions: subs.rowCount ?? 0, tokens: tokens.rowCount ?? 0 };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
