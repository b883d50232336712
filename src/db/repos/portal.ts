import type { Db } from '../pool';

type Queryable = Pick<Db, 'query'>;

export interface PortalLinkRow {
  id: string;
  tenant_id: string;
  expires_at: Date;
  created_at: Date;
}

export interface PortalSessionRow {
  id: string;
  tenant_id: string;
  tenant_name: string;
  link_id: string;
  expires_at: Date;
}

/** Undefined when the tenant does not exist (or was deleted): no link is made for it. */
export async function insertPortalLink(
  db: Queryable,
  l: { id: string; tenantId: string; tokenHash: Buffer; expiresInSeconds: number },
): Promise<PortalLinkRow | undefined> {
  const { rows } = await db.query<PortalLinkRow>(
    `INSERT INTO portal_links (id, tenant_id, token_hash, expires_at)
     SELECT $1, $2, $3, now() + make_interval(secs => $4)
     WHERE EXISTS (SELECT 1 FROM tenants WHERE id = $2 AND deleted_at IS NULL)
     RETURNING id, tenant_id, expires_at, created_at`,
    [l.id, l.tenantId, l.tokenHash, l.expiresInSeconds],
  );
  return rows[0];
}

export type LinkRefusal = 'unknown' | 'expired' | 'used';

/**
 * Marks the link used and opens a session for its tenant in one statement. The row lock taken by
 * the UPDATE makes a concurrent second exchange wait and then find `used_at` set: exactly one wins.
 */
export async function exchangePortalLink(
  db: Queryable,
  s: { linkHash: Buffer; sessionId: string; sessionHash: Buffer; sessionSeconds: number },
): Promise<{ session: PortalSessionRow } | { refused: LinkRefusal; at?: Date }> {
  const { rows } = await db.query<PortalSessionRow>(
    `WITH used AS (
       UPDATE portal_links l SET used_at = now()
       FROM tenants t
       WHERE l.token_hash = $1 AND l.used_at IS NULL AND l.expires_at > now() AND t.id = l.tenant_id AND t.deleted_at IS NULL
       RETURNING l.id, l.tenant_id, t.name
     ), s AS (
       INSERT INTO portal_sessions (id, tenant_id, link_id, token_hash, expires_at)
       SELECT $2, tenant_id, id, $3, now() + make_interval(secs => $4) FROM used
       RETURNING id, tenant_id, link_id, expires_at
     )
     SELECT s.id, s.tenant_id, used.name AS tenant_name, s.link_id, s.expires_at FROM s JOIN used ON used.id = s.link_id`,
    [s.linkHash, s.sessionId, s.sessionHash, s.sessionSeconds],
  );
  if (rows[0]) return { session: rows[0] };
  // Only to say why in words; the decision above was already made atomically.
  const why = await db.query<{ used_at: Date | null; expires_at: Date; tenant_live: boolean }>(
    `SELECT l.used_at, l.expires_at, t.deleted_at IS NULL AS tenant_live
     FROM portal_links l JOIN tenants t ON t.id = l.tenant_id WHERE l.token_hash = $1`,
    [s.linkHash],
  );
  const link = why.rows[0];
  if (!link || !link.tenant_live) return { refused: 'unknown' };
  if (link.used_at) return { refused: 'used', at: link.used_at };
  return { refused: 'expired', at: link.expires_at };
}

/** The live session a presented token names: not expired, not revoked, its tenant not deleted. */
export async function portalSessionByHash(db: Queryable, tokenHash: Buffer): Promise<PortalSessionRow | undefined> {
  const { rows } = await db.query<PortalSessionRow>(
    `SELECT s.id, s.tenant_id, t.name AS tenant_name, s.link_id, s.expires_at
     FROM portal_sessions s JOIN tenants t ON t.id = s.tenant_id AND t.deleted_at IS NULL
     WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > now()`,
    [tokenHash],
  );
  return rows[0];
}

export async function revokePortalSession(db: Queryable, id: string): Promise<void> {
  await db.query('UPDATE portal_sessions SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL', [id]);
}
