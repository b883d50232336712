import type { Db } from '../pool';
import type { StartableDelivery } from '../../dispatch/fanout';

/** Loads the fan-out plan of the given events, with what a workflow start needs. */
export async function loadStartable(db: Db, eventIds: string[]): Promise<Map<string, StartableDelivery[]>> {
  const { rows } = await db.query<{
    delivery_id: string;
    tenant_id: string;
    event_id: string;
    subscription_id: string;
    type: string;
    retry_policy: StartableDelivery['retryPolicy'];
  }>(
    `SELECT d.delivery_id, d.tenant_id, d.event_id, d.subscription_id, e.type, s.retry_policy
     FROM event_deliveries d JOIN events e ON e.id = d.event_id JOIN subscriptions s ON s.id = d.subscription_id
     WHERE d.event_id = ANY($1)`,
    [eventIds],
  );
  const byEvent = new Map<string, StartableDelivery[]>(eventIds.map((id) => [id, []]));
  for (const r of rows) {
    byEvent.get(r.event_id)!.push({
      deliveryId: r.delivery_id,
      tenantId: r.tenant_id,
      eventId: r.event_id,
      subscriptionId: r.subscription_id,
      eventType: r.type,
      retryPolicy: r.retry_policy,
    });
  }
  return byEvent;
}
