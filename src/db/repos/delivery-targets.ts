import { preparedStatement, type Db } from '../pool';
import type { SubscriptionRow } from './subscriptions';

export type DeliveryTarget = Pick<SubscriptionRow, 'url' | 'secret' | 'previous_secret' | 'previous_secret_expires_at' | 'headers' | 'traceparent'> & {
  tenant_id: string;
  type: string;
  data_text: string;
  created_at: Date;
  active: boolean;
};

// The body and the secrets are read here, at each attempt, so they never enter Temporal history and
// a rotated secret, a changed URL or header, or a disabled subscription applies to the very next attempt.
const LOAD_TARGET_SQL = preparedStatement(
  'load_target',
  `
  SELECT e.tenant_id, e.type, e.data::text AS data_text, e.created_at,
         s.url, s.secret, s.previous_secret, s.previous_secret_expires_at, s.headers, s.traceparent, (s.active AND s.deleted_at IS NULL) AS active
  FROM subscriptions s JOIN events e ON e.tenant_id = s.tenant_id AND e.id = $1 WHERE s.id = $2`,
);

export async function loadDeliveryTarget(db: Pick<Db, 'query'>, eventId: string, subscriptionId: string): Promise<DeliveryTarget | undefined> {
  const { rows } = await db.query<DeliveryTarget>({ ...LOAD_TARGET_SQL, values: [eventId, subscriptionId] });
  return rows[0];
}
