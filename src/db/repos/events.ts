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

// For each distinct event type, the subscriptions that match it: exact names, '*', and prefix
// wildcards such as 'invoice.*' (which covers 'invoice.paid').
const MATCHING_SUBSCRIPTIONS_SQL = `
  SELECT t.type, s.id, s.retry_policy
  FROM unnest($1::text[]) AS t(type)
  JOIN subscriptions s ON s.active AND s.deleted_at IS NULL
   AND EXISTS (SELECT 1 FROM unnest(s.event_types) f
               WHERE f = '*' OR f = t.type OR (right(f, 2) = '.*' AND starts_with(t.type, left(f, -1))))
  ORDER BY s.id`;

/**
 * Stores the events and their fan-out plans in one transaction, with a fixed number of statements
 * however many events the batch holds: per-row statements, not commits, are what limit ingest.
 * Re-sending the same idempotency key (or event ID) with the same body returns the stored event and
 * plan; a different body conflicts.
 */
export async function acceptEvents(db: Db, events: NewEvent[]): Promise<AcceptedEvent[]> {
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    // DO NOTHING also covers a key repeated inside this batch: the later copy is left to findExisting.
    const inserted = await client.query<EventRow>(
      `INSERT INTO events (id, type, data, idempotency_key, request_hash)
       SELECT id, type, data::json, key, hash FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
         AS e(id, type, data, key, hash)
       ON CONFLICT DO NOTHING RETURNING *`,
      [events.map((e) => e.id), events.map((e) => e.type), events.map((e) => e.dataJson), events.map((e) => e.idempotencyKey), events.map((e) => e.requestHash)],
    );
    const created = new Map(inserted.rows.map((r) => [r.id, r]));

    const types = [...new Set(inserted.rows.map((r) => r.type))];
    const subsByType = new Map<string, { id: string; retry_policy: Partial<RetryPolicyConfig> | null }[]>();
    if (types.length > 0) {
      const subs = await client.query<{ type: string; id: string; retry_policy: Partial<RetryPolicyConfig> | null }>(MATCHING_SUBSCRIPTIONS_SQL, [types]);
      for (const row of subs.rows) subsByType.set(row.type, [...(subsByType.get(row.type) ?? []), row]);
    }

    const results: (AcceptedEvent | undefined)[] = [];
    const repeats: number[] = [];
    const claimed = new Set<string>();
    const planned: PlannedDelivery[] = [];
    const nothingToStart: string[] = [];
    for (const [i, e] of events.entries()) {
      const event = created.get(e.id);
      // A later copy of an ID inserted earlier in this batch is a repeat, not a second creation.
      if (!event || claimed.has(e.id)) {
        repeats.push(i);
        results.push(undefined);
        continue;
      }
      claimed.add(e.id);
      const deliveries = (subsByType.get(event.type) ?? []).map((s) => ({
        deliveryId: deliveryIdFor(event.id, s.id),
        eventId: event.id,
        subscriptionId: s.id,
        retryPolicy: s.retry_policy,
      }));
      planned.push(...deliveries);
      if (deliveries.length === 0) nothingToStart.push(event.id);
      results.push({ event, deliveries, created: true });
    }
    if (planned.length > 0) {
      await client.query(
        `INSERT INTO event_deliveries (delivery_id, event_id, subscription_id)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[])`,
        [planned.map((d) => d.deliveryId), planned.map((d) => d.eventId), planned.map((d) => d.subscriptionId)],
      );
    }
    // Nothing to start, so their fan-out is complete now.
    if (nothingToStart.length > 0) await client.query('UPDATE events SET dispatched_at = now() WHERE id = ANY($1)', [nothingToStart]);
    // Repeats are read back last, so one that names an event created above sees its plan too.
    for (const i of repeats) results[i] = { ...(await findExisting(client, events[i]!)), created: false };
    await client.query('COMMIT');
    return results as AcceptedEvent[];
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
