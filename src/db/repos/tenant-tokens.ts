import type { Db } from '../pool';
import { keysetAfter, type KeysetCursor } from './keyset';

export interface TenantTokenRow {
  id: string;
  tenant_id: string;
  name: string | null;
  expires_at: Date | null;
  revoked_at: Date | null;
  /** NULL: every scope a tenant may hold. */
  scopes: string[] | null;
  created_at: Date;
}

type Queryable = Pick<Db, 'query'>;

// Never selects token_hash: nothing above this module needs it.
const COLUMNS = 'id, tenant_id, name, expires_at, revoked_at, scopes, created_at';

/** Undefined when the tenant does not exist (or was deleted): no token is made for it. */
export async function insertTenantToken(
  db: Queryable,
  t: { id: string; tenantId: string; name: string | null; tokenHash: Buffer; expiresAt: Date | null; scopes?: string[] | null },
): Promise<TenantTokenRow | undefined> {
  const { rows } = await db.query<TenantTokenRow>(
    `INSERT INTO tenant_tokens (id, tenant_id, name, token_hash, expires_at, scopes)
     SELECT $1, $2, $3, $4, $5, $6 WHERE EXISTS (SELECT 1 FROM tenants WHERE id = $2 AND deleted_at IS NULL)
     RETURNING ${COLUMNS}`,
    [t.id, t.tenantId, t.name, t.tokenHash, t.expiresAt, t.scopes ?? null],
  );
  return rows[0];
}

export async function listTenantTokens(
  db: Queryable,
  tenantId: string,
  opts: { limit: number; after?: KeysetCursor },
): Promise<TenantTokenRow[]> {
  const params: unknown[] = [opts.limit, tenantId];
  const where = ['tenant_id = $2'];
  if (opts.after) where.push(keysetAfter('tenant_tokens', params, opts.after, 'asc'));
  const { rows } = await db.query<TenantTokenRow>(
    `SELECT ${COLUMNS} FROM tenant_tokens WHERE ${where.join(' AND ')} ORDER BY created_at, id LIMIT $1`,
    params,
  );
  return rows;
}

/** True when a live token of that tenant was revoked now. */
export async function revokeTenantToken(db: Queryable, tenantId: string, id: string): Promise<boolean> {
  const { rowCount } = await db.query(
    'UPDATE tenant_tokens SET revoked_at = now() WHERE id = $1 AND tenant_id = $2 AND revoked_at IS NULL',
    [id, tenantId],
  );
  return rowCount === 1;
}

/** The tenant a presented token acts for, if the token is live and its tenant is not deleted. */
export async function tenantForToken(db: Queryable, tokenHash: Buffer): Promise<{ tenantId: string; tokenId: string; scopes: string[] | null } | undefined> {
  const { rows } = await db.query<{ tenant_id: string; id: string; scopes: string[] | null }>(
    `SELECT k.tenant_id, k.id, k.scopes FROM tenant_tokens k JOIN tenants t ON t.id = k.tenant_id AND t.deleted_at IS NULL
     WHERE k.token_hash = $1 AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now())`,
    [tokenHash],
  );
  const r = rows[0];
  return r && { tenantId: r.tenant_id, tokenId: r.id, scopes: r.scopes };
}
