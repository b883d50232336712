import type { Db } from '../pool';
import type { RetryPolicyConfig } from '../../config';
import { deliveryIdFor } from '../../ids';

export interface EventRow {
  id: string;
  type: string;
  data: unknown;
  idempotency_key: string | null;
  request_hash: string;
  created_at: Date;
  dispatched_at: Date | null;
}

export interface PlannedDelivery {
  deliveryId: string;
  eventId: string;
  subscriptionId: string;
}

export interface AcceptedEvent {
  event: EventRow;
  /** retryPolicy is filled in for newly created events, which the caller goes on to dispatch. */
  deliveries: (PlannedDelivery & { retryPolicy?: Partial<RetryPolicyConfig> | null })[];
  /** false when an earlier request with the same idempotency key or ID already stored it. */
  created: boolean;
}

export interface NewEvent {
  id: string;
  type: string;
  /** The caller's JSON text of `data`, stored verbatim. */
  dataJson: string;
  idempotencyKey: string | null;
  requestHash: string;
}

export class IdempotencyConflictError extends Error {
  constructor(readonly field: 'Idempotency-Key' | 'id') {
    super(`${field} was already used with a different request body`);
  }
}

// Matches exact names, '*', and prefix wildcards such as 'invoice.*' (which covers 'invoice.paid').
const MATCHING_SUBSCRIPTIONS_SQL = `
  SELECT id, retry_policy FROM subscriptions s
  WHERE s.active AND s.deleted_at IS NULL
    AND EXISTS (SELECT 1 FROM unnest(s.event_types) f
                WHERE f = '*' OR f = $1 OR (right(f, 2) = '.*' AND starts_with($1, left(f, -1))))
  ORDER BY s.id`;

/**
 * Stores the event and its fan-out plan in one transaction. Re-sending the same idempotency key
 * (or event ID) with the same body returns the stored event and plan; a different body conflicts.
 */
export async function acceptEvents(db: Db, events: NewEvent[]): Promise<AcceptedEvent[]> {
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    const results: AcceptedEvent[] = [];
    for (const e of events) {
      const inserted = await client.query<EventRow>(
        `INSERT INTO events (id, type, data, idempotency_key, request_hash) VALUES ($1, $2, $3::json, $4, $5)
         ON CONFLICT DO NOTHING RETURNING *`,
        [e.id, e.type, e.dataJson, e.idempotencyKey, e.requestHash],
      );
      if (inserted.rows[0]) {
        const event = inserted.rows[0];
        const subs = await client.query<{ id: string; retry_policy: Partial<RetryPolicyConfig> | null }>(
          MATCHING_SUBSCRIPTIONS_SQL,
          [e.type],
        );
        const deliveries = subs.rows.map((s) => ({
          deliveryId: deliveryIdFor(event.id, s.id),
          eventId: event.id,
          subscriptionId: s.id,
          retryPolicy: s.retry_policy,
        }));
        if (deliveries.length > 0) {
          await client.query(
            `INSERT INTO event_deliveries (delivery_id, event_id, subscription_id)
             SELECT * FROM unnest($1::text[], $2::text[], $3::text[])`,
            [deliveries.map((d) => d.deliveryId), deliveries.map((d) => d.eventId), deliveries.map((d) => d.subscriptionId)],
          );
        } else {
          // Nothing to start, so the fan-out is complete now.
          await client.query('UPDATE events SET dispatched_at = now() WHERE id = $1', [event.id]);
        }
        results.push({ event, deliveries, created: true });
        continue;
      }
      results.push({ ...(await findExisting(client, e)), created: false });
    }
    await client.query('COMMIT');
    return results;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

type Queryable = Pick<Db, 'query'>;

async function findExisting(db: Queryable, e: NewEvent): Promise<Omit<AcceptedEvent, 'created'>> {
  const { rows } = await db.query<EventRow>(
    'SELECT * FROM events WHERE idempotency_key = $1 OR id = $2 ORDER BY (idempotency_key = $1) DESC LIMIT 1',
    [e.idempotencyKey, e.id],
  );
  const existing = rows[0];
  if (!existing) throw new Error(`event ${e.id} conflicted but could not be found`);
  if (existing.request_hash !== e.requestHash) {
    throw new IdempotencyConflictError(e.idempotencyKey && existing.idempotency_key === e.idempotencyKey ? 'Idempotency-Key' : 'id');
  }
  return { event: existing, deliveries: await plannedDeliveries(db, existing.id) };
}

export async function getEvent(db: Queryable, id: string): Promise<EventRow | undefined> {
  const { rows } = await db.query<EventRow>('SELECT * FROM events WHERE id = $1', [id]);
  return rows[0];
}

export async function plannedDeliveries(db: Queryable, eventId: string): Promise<PlannedDelivery[]> {
  const { rows } = await db.query<{ delivery_id: string; event_id: string; subscription_id: string }>(
    'SELECT delivery_id, event_id, subscription_id FROM event_deliveries WHERE event_id = $1 ORDER BY subscription_id',
    [eventId],
  );
  return rows.map((r) => ({ deliveryId: r.delivery_id, eventId: r.event_id, subscriptionId: r.subscription_id }));
}

export async function findPlannedDelivery(db: Queryable, deliveryId: string): Promise<PlannedDelivery | undefined> {
  const { rows } = await db.query<{ delivery_id: string; event_id: string; subscription_id: string }>(
    'SELECT delivery_id, event_id, subscription_id FROM event_deliveries WHERE delivery_id = $1',
    [deliveryId],
  );
  const r = rows[0];
  return r && { deliveryId: r.delivery_id, eventId: r.event_id, subscriptionId: r.subscription_id };
}

export async function markDispatched(db: Queryable, eventIds: string[]): Promise<void> {
  if (eventIds.length === 0) return;
  await db.query('UPDATE events SET dispatched_at = now() WHERE id = ANY($1) AND dispatched_at IS NULL', [eventIds]);
}

/** Events accepted at least `graceMs` ago whose fan-out never finished (e.g. the API died). */
export async function findUndispatched(db: Queryable, graceMs: number, limit: number): Promise<EventRow[]> {
  const { rows } = await db.query<EventRow>(
    `SELECT * FROM events WHERE dispatched_at IS NULL AND created_at < now() - make_interval(secs => $1::float8 / 1000)
     ORDER BY created_at LIMIT $2`,
    [graceMs, limit],
  );
  return rows;
}
