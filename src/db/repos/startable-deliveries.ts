import type { Db } from '../pool';
import type { StartableDelivery } from '../../dispatch/fanout';
import { eventKey, type EventRef } from './events';
import { endpointPaceSql, throttleSql, type EndpointPace, type StoredThrottle } from './throttle';

/** Loads the fan-out plan of the given events, with what a workflow start needs. */
export async function loadStartable(db: Db, events: EventRef[]): Promise<[EventRef, StartableDelivery[]][]> {
  const { rows } = await db.query<{
    delivery_id: string;
    tenant_id: string;
    event_id: string;
    subscription_id: string;
    type: string;
    retry_policy: StartableDelivery['retryPolicy'];
    throttle: StoredThrottle;
    pace: EndpointPace;
    sequence: number | null;
  }>(
    `SELECT d.delivery_id, d.tenant_id, d.event_id, d.subscription_id, e.type, s.retry_policy, ${throttleSql('s')} AS throttle, ${endpointPaceSql('s')} AS pace,
            d.sequence::float8 AS sequence
     FROM unnest($1::text[], $2::text[]) AS k(tenant_id, id)
     JOIN event_deliveries d ON d.tenant_id = k.tenant_id AND d.event_id = k.id
     JOIN events e ON e.tenant_id = d.tenant_id AND e.id = d.event_id JOIN subscriptions s ON s.id = d.subscription_id`,
    [events.map((e) => e.tenantId), events.map((e) => e.eventId)],
  );
  const byEvent = new Map<string, [EventRef, StartableDelivery[]]>(events.map((e) => [eventKey(e.tenantId, e.eventId), [e, []]]));
  for (const r of rows) {
    byEvent.get(eventKey(r.tenant_id, r.event_id))![1].push({
      deliveryId: r.delivery_id,
      tenantId: r.tenant_id,
      eventId: r.event_id,
      subscriptionId: r.subscription_id,
      eventType: r.type,
      retryPolicy: r.retry_policy,
      throttle: r.throttle,
      pace: r.pace,
      sequence: r.sequence,
    });
  }
  return [...byEvent.values()];
}
