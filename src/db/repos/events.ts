import type { Db } from '../pool';
import type { RetryPolicyConfig } from '../../config';
import { deliveryIdFor } from '../../ids';
import { keysetAfter, type KeysetCursor } from './keyset';

export interface EventRow {
  id: string;
  tenant_id: string;
  type: string;
  data: unknown;
  idempotency_key: string | null;
  request_hash: string;
  created_at: Date;
  dispatched_at: Date | null;
}

export interface PlannedDelivery {
  deliveryId: string;
  tenantId: string;
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
  tenantId: string;
  type: string;
  /** The caller's JSON text of `data`, stored verbatim. */
  dataJson: string;
  idempotencyKey: string | null;
  requestHash: string;
  /** Internal callers only (a test ping): the plan is these subscriptions of its tenant, whatever their filters. */
  planFor?: { id: string; retry_policy: Partial<RetryPolicyConfig> | null }[];
}

/** An event names a tenant that does not exist or was deleted; `index` is its place in the request. */
export class UnknownTenantError extends Error {
  constructor(readonly index: number, readonly tenantId: string) {
    super(`tenant ${tenantId} does not exist`);
  }
}

export class IdempotencyConflictError extends Error {
  constructor(readonly field: 'Idempotency-Key' | 'id') {
    super(`${field} was already used with a different request body`);
  }
}

// For each distinct (tenant, event type) of the request: whether the tenant is live, and the
// subscriptions of that tenant that match the type: exact names, '*', and prefix wildcards such as
// 'invoice.*' (which covers 'invoice.paid'). A bare '*' leaves out the reserved operational types
// (hookflow.…): an operator opts into those by naming them, so a catch-all endpoint gets no surprise. One statement answers both, so tenants cost ingest no
// extra round trip. A pair with a live tenant and no match comes back once with a NULL id.
const MATCHING_SUBSCRIPTIONS_SQL = `
  SELECT p.tenant_id, p.type, (t.id IS NOT NULL) AS tenant_live, s.id, s.retry_policy
  FROM (SELECT DISTINCT * FROM unnest($1::text[], $2::text[]) AS u(tenant_id, type)) p
  LEFT JOIN tenants t ON t.id = p.tenant_id AND t.deleted_at IS NULL
  LEFT JOIN subscriptions s ON t.id IS NOT NULL AND s.tenant_id = p.tenant_id AND s.active AND s.deleted_at IS NULL
   AND EXISTS (SELECT 1 FROM unnest(s.event_types) f
               WHERE (f = '*' AND NOT starts_with(p.type, 'hookflow.')) OR f = p.type OR (right(f, 2) = '.*' AND starts_with(p.type, left(f, -1))))
  ORDER BY s.id`;

type MatchRow = { tenant_id: string; type: string; tenant_live: boolean; id: string | null; retry_policy: Partial<RetryPolicyConfig> | null };
const pairKey = (tenantId: string, type: string) => `${tenantId}\u0000${type}`;

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
    // Matched before the insert, so an unknown tenant stops the request before anything is written.
    const matches = await client.query<MatchRow>(MATCHING_SUBSCRIPTIONS_SQL, [events.map((e) => e.tenantId), events.map((e) => e.type)]);
    const dead = new Set(matches.rows.filter((r) => !r.tenant_live).map((r) => r.tenant_id));
    const unknown = events.findIndex((e) => dead.has(e.tenantId));
    if (unknown >= 0) throw new UnknownTenantError(unknown, events[unknown]!.tenantId);
    const subsByPair = new Map<string, { id: string; retry_policy: Partial<RetryPolicyConfig> | null }[]>();
    for (const row of matches.rows) {
      if (row.id === null) continue;
      const key = pairKey(row.tenant_id, row.type);
      subsByPair.set(key, [...(subsByPair.get(key) ?? []), { id: row.id, retry_policy: row.retry_policy }]);
    }

    // DO NOTHING also covers a key repeated inside this batch: the later copy is left to findExisting.
    const inserted = await client.query<EventRow>(
      `INSERT INTO events (id, tenant_id, type, data, idempotency_key, request_hash)
       SELECT id, tenant_id, type, data::json, key, hash
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) AS e(id, tenant_id, type, data, key, hash)
       ON CONFLICT DO NOTHING RETURNING *`,
      [
        events.map((e) => e.id),
        events.map((e) => e.tenantId),
        events.map((e) => e.type),
        events.map((e) => e.dataJson),
        events.map((e) => e.idempotencyKey),
        events.map((e) => e.requestHash),
      ],
    );
    const created = new Map(inserted.rows.map((r) => [r.id, r]));

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
      const deliveries = (e.planFor ?? subsByPair.get(pairKey(event.tenant_id, event.type)) ?? []).map((s) => ({
        deliveryId: deliveryIdFor(event.id, s.id),
        tenantId: event.tenant_id,
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
        `INSERT INTO event_deliveries (delivery_id, tenant_id, event_id, subscription_id, event_type)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])`,
        [
          planned.map((d) => d.deliveryId),
          planned.map((d) => d.tenantId),
          planned.map((d) => d.eventId),
          planned.map((d) => d.subscriptionId),
          planned.map((d) => created.get(d.eventId)!.type),
        ],
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
    `SELECT * FROM events WHERE (tenant_id = $3 AND idempotency_key = $1) OR id = $2
     ORDER BY (tenant_id = $3 AND idempotency_key = $1) DESC LIMIT 1`,
    [e.idempotencyKey, e.id, e.tenantId],
  );
  const existing = rows[0];
  if (!existing) throw new Error(`event ${e.id} conflicted but could not be found`);
  // The hash covers the tenant, so another tenant's event with the same ID is a conflict, never a replay.
  if (existing.request_hash !== e.requestHash) {
    const sameKey = e.idempotencyKey && existing.tenant_id === e.tenantId && existing.idempotency_key === e.idempotencyKey;
    throw new IdempotencyConflictError(sameKey ? 'Idempotency-Key' : 'id');
  }
  return { event: existing, deliveries: await plannedDeliveries(db, existing.id) };
}

export async function getEvent(db: Queryable, id: string): Promise<EventRow | undefined> {
  const { rows } = await db.query<EventRow>('SELECT * FROM events WHERE id = $1', [id]);
  return rows[0];
}

type PlanRow = { delivery_id: string; tenant_id: string; event_id: string; subscription_id: string };
const fromPlanRow = (r: PlanRow): PlannedDelivery => ({
  deliveryId: r.delivery_id,
  tenantId: r.tenant_id,
  eventId: r.event_id,
  subscriptionId: r.subscription_id,
});

/** Newest first, keyset-paginated; optionally one tenant's or one type's. */
export async function listEvents(
  db: Queryable,
  opts: { limit: number; tenantId?: string; type?: string; after?: KeysetCursor },
): Promise<EventRow[]> {
  const params: unknown[] = [opts.limit];
  const where: string[] = [];
  for (const [column, value] of [['tenant_id', opts.tenantId], ['type', opts.type]] as const) {
    if (value === undefined) continue;
    params.push(value);
    where.push(`${column} = $${params.length}`);
  }
  if (opts.after) where.push(keysetAfter('events', params, opts.after, 'desc'));
  const { rows } = await db.query<EventRow>(
    `SELECT * FROM events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id DESC LIMIT $1`,
    params,
  );
  return rows;
}

export async function plannedDeliveries(db: Queryable, eventId: string): Promise<(PlannedDelivery & { state: string })[]> {
  const { rows } = await db.query<PlanRow & { state: string }>(
    'SELECT delivery_id, tenant_id, event_id, subscription_id, state FROM event_deliveries WHERE event_id = $1 ORDER BY subscription_id',
    [eventId],
  );
  return rows.map((r) => ({ ...fromPlanRow(r), state: r.state }));
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
