import type { Db } from '../pool';

/** The kinds of resource a route's `:id` can name, and where their owning tenant is recorded. */
const OWNER_SQL = {
  subscription: 'SELECT tenant_id FROM subscriptions WHERE id = $1 AND deleted_at IS NULL',
  event: 'SELECT tenant_id FROM events WHERE id = $1',
  delivery: 'SELECT tenant_id FROM event_deliveries WHERE delivery_id = $1',
} as const;
export type ResourceKind = keyof typeof OWNER_SQL;

/** The tenant that owns the resource, or undefined when it does not exist. */
export async function ownerTenantOf(db: Pick<Db, 'query'>, kind: ResourceKind, id: string): Promise<string | undefined> {
  const { rows } = await db.query<{ tenant_id: string }>(OWNER_SQL[kind], [id]);
  return rows[0]?.tenant_id;
}
