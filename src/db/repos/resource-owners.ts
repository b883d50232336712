import type { Db } from '../pool';

/**
 * The kinds of resource a route's `:id` can name, and whether tenant $2 holds the one named $1.
 * (Event IDs are unique only within a tenant, so the question is "is it yours", never "whose is it".)
 */
const OWNED_SQL = {
  subscription: 'SELECT 1 FROM subscriptions WHERE id = $1 AND tenant_id = $2 AND deleted_at IS NULL',
  event: 'SELECT 1 FROM events WHERE id = $1 AND tenant_id = $2',
  delivery: 'SELECT 1 FROM event_deliveries WHERE delivery_id = $1 AND tenant_id = $2',
  // A tenant holds itself only: its own tenant-level reads (stats), never another's.
  tenant: 'SELECT 1 FROM tenants WHERE id = $1 AND id = $2 AND deleted_at IS NULL',
} as const;
export type ResourceKind = keyof typeof OWNED_SQL;

/** Whether the tenant holds the resource; false when it does not exist, or is another tenant's. */
export async function tenantHolds(db: Pick<Db, 'query'>, kind: ResourceKind, id: string, tenantId: string): Promise<boolean> {
  const { rows } = await db.query(OWNED_SQL[kind], [id, tenantId]);
  return rows.length > 0;
}
