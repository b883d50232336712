import { preparedStatement, type Db } from '../pool';
import type { RetryPolicyConfig } from '../../config';
import { keysetAfter, type KeysetCursor } from './keyset';
import { evaluatePending, KnownFilters, type PendingPair } from '../../payload-filter/fanout';
import { endpointPaceSql, throttleSql, type EndpointPace, type StoredThrottle } from './throttle';
import { FIFO_NUMBERS_JOIN_SQL, FIFO_NUMBERS_SQL, fifoSequenceSql } from './fifo-sequences';

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

/** An event's key: its ID is the caller's own, unique only within its tenant. */
export interface EventRef {
  tenantId: string;
  eventId: string;
}

/** One string per event key, for maps and sets (tenant IDs cannot hold a NUL). */
export const eventKey = (tenantId: string, eventId: string): string => `${tenantId}\u0000${eventId}`;

export interface PlannedDelivery {
  deliveryId: string;
  tenantId: string;
  eventId: string;
  subscriptionId: string;
}

export interface AcceptedEvent {
  event: EventRow;
  /** retryPolicy is filled in for newly created events, which the caller goes on to dispatch. */
  deliveries: (PlannedDelivery & { retryPolicy?: Partial<RetryPolicyConfig> | null; throttle?: StoredThrottle; pace?: EndpointPace; sequence?: number | null })[];
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
  /** Internal callers only (a test ping): the plan is this one subscription of the tenant, whatever its filters. */
  onlySubscriptionId?: string;
  /** Refuse the event (FanoutLimitError, nothing stored) if it would fan out to more deliveries than this. */
  maxDeliveries?: number;
}

/** An event names a tenant that does not exist or was deleted; `index` is its place in the request. */
export class UnknownTenantError extends Error {
  constructor(readonly index: number, readonly tenantId: string) {
    super(`tenant ${tenantId} does not exist`);
  }
}

/** An event would fan out to more deliveries than its limit; nothing of the statement was stored. */
export class FanoutLimitError extends Error {
  constructor(readonly index: number, readonly deliveries: number, readonly limit: number) {
    super(`the event would make ${deliveries} deliveries, more than the limit of ${limit}`);
  }
}

export class IdempotencyConflictError extends Error {
  constructor(readonly field: 'Idempotency-Key' | 'id') {
    super(`${field} was already used with a different request body`);
  }
}

// One statement stores a whole request: it checks the tenants, matches each distinct (tenant, type)
// against that tenant's active subscriptions (exact names, '*', and prefix wildcards such as
// 'invoice.*'; a bare '*' leaves out the reserved operational types, hookflow.…, which an operator
// opts into by naming them), inserts the events that are new, and their fan-out plans with the
// delivery IDs computed in SQL (hookflow_delivery_id, migration 006). A single statement is atomic
// on its own, so accepting costs one round trip: no BEGIN, no COMMIT, no connection checkout.
// An unknown or deleted tenant anywhere in the request inserts nothing and is reported by position.
// A subscription with a payload filter is planned for an event only where $8-$11 hold a verdict for
// that event and the version of its filter stored now, and the verdict is a match. A pair without a
// verdict makes the statement insert nothing and return the pairs still to evaluate
// (src/payload-filter/fanout.ts); verdicts for pairs that are no candidates are returned as stale.
const ACCEPT_SQL = preparedStatement('accept_events', `
  WITH input AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $12::int[])
      WITH ORDINALITY AS e(id, tenant_id, type, data, key, hash, only_sub, max_n, ord)
  ), dead AS (
    SELECT min(i.ord) AS ord FROM input i
    LEFT JOIN tenants t ON t.id = i.tenant_id AND t.deleted_at IS NULL WHERE t.id IS NULL
  ), matches AS (
    SELECT p.tenant_id, p.type, p.only_sub, s.id AS subscription_id, s.retry_policy,
           -- A test ping (only_sub) reaches its subscription whatever the filter.
           CASE WHEN p.only_sub IS NULL AND s.filter IS NOT NULL THEN md5(s.filter::text || s.event_types::text) END AS filter_version
    FROM (SELECT DISTINCT tenant_id, type, only_sub FROM input) p
    JOIN subscriptions s ON s.tenant_id = p.tenant_id AND s.active AND s.deleted_at IS NULL
     AND CASE WHEN p.only_sub IS NOT NULL THEN s.id = p.only_sub
         ELSE EXISTS (SELECT 1 FROM unnest(s.event_types) f
                      WHERE (f = '*' AND NOT starts_with(p.type, 'hookflow.')) OR f = p.type
                         OR (right(f, 2) = '.*' AND starts_with(p.type, left(f, -1)))) END
  ), candidates AS (
    SELECT i.ord, m.subscription_id, m.filter_version
    FROM input i JOIN matches m ON m.tenant_id = i.tenant_id AND m.type = i.type AND m.only_sub IS NOT DISTINCT FROM i.only_sub
  ), verdicts AS (
    SELECT * FROM unnest($8::int[], $9::text[], $10::text[], $11::bool[]) AS v(ord, subscription_id, version, matched)
  ), judged AS (
    SELECT c.ord, c.subscription_id, c.filter_version, v.matched FROM candidates c
    LEFT JOIN verdicts v ON v.ord = c.ord AND v.subscription_id = c.subscription_id AND v.version = c.filter_version
  ), unevaluated AS (
    SELECT ord, subscription_id, filter_version FROM judged WHERE filter_version IS NOT NULL AND matched IS NULL
  ), planned AS (
    SELECT ord, subscription_id FROM judged WHERE filter_version IS NULL OR matched
  ), oversized AS (
    -- The first event that would fan out beyond its limit (HOOKFLOW_MAX_DELIVERIES_PER_EVENT, $12): the
    -- whole statement then stores nothing, as for an unknown tenant.
    SELECT p.ord, count(*)::int AS n FROM planned p JOIN input i ON i.ord = p.ord
    GROUP BY p.ord, i.max_n HAVING count(*) > i.max_n ORDER BY p.ord LIMIT 1
  ), ins AS (
    -- DO NOTHING also covers a key repeated inside this request: the later copy is left to findExisting.
    -- An event with nothing to start has its fan-out complete at once.
    INSERT INTO events (id, tenant_id, type, data, idempotency_key, request_hash, dispatched_at)
    SELECT i.id, i.tenant_id, i.type, i.data::json, i.key, i.hash, CASE WHEN p.ord IS NOT NULL THEN NULL ELSE now() END
    FROM input i LEFT JOIN (SELECT DISTINCT ord FROM planned) p ON p.ord = i.ord
    WHERE (SELECT ord FROM dead) IS NULL AND NOT EXISTS (SELECT 1 FROM unevaluated) AND NOT EXISTS (SELECT 1 FROM oversized)
    ORDER BY i.ord
    ON CONFLICT DO NOTHING RETURNING *
  ), new_plans AS (
    SELECT ins.id, ins.tenant_id, ins.type, i.ord, p.subscription_id
    FROM ins JOIN (SELECT DISTINCT ON (tenant_id, id) tenant_id, id, ord FROM input ORDER BY tenant_id, id, ord) i
      ON i.id = ins.id AND i.tenant_id = ins.tenant_id
    JOIN planned p ON p.ord = i.ord
  ),${FIFO_NUMBERS_SQL}, plans AS (
    INSERT INTO event_deliveries (delivery_id, tenant_id, event_id, subscription_id, event_type, sequence)
    SELECT hookflow_delivery_id(np.id, np.subscription_id), np.tenant_id, np.id, np.subscription_id, np.type, ${fifoSequenceSql('np')}
    FROM new_plans np ${FIFO_NUMBERS_JOIN_SQL('np')}
    RETURNING delivery_id, tenant_id, event_id, subscription_id, sequence
  )
  SELECT (SELECT ord FROM dead)::int AS unknown_ord,
         (SELECT ord FROM oversized)::int AS oversized_ord, (SELECT n FROM oversized) AS oversized_n,
         (SELECT COALESCE(json_agg(ins), '[]') FROM ins) AS events,
         (SELECT COALESCE(json_agg(json_build_object('delivery_id', p.delivery_id, 'tenant_id', p.tenant_id, 'event_id', p.event_id,
            'subscription_id', p.subscription_id, 'retry_policy', s.retry_policy::text, 'throttle', ${throttleSql('s')}, 'pace', ${endpointPaceSql('s')}, 'sequence', p.sequence) ORDER BY p.subscription_id), '[]')
          FROM plans p JOIN subscriptions s ON s.id = p.subscription_id) AS plans,
         (SELECT json_agg(json_build_object('ord', u.ord, 'subscriptionId', u.subscription_id, 'version', u.filter_version)) FROM unevaluated u) AS pending,
         (SELECT json_agg(DISTINCT jsonb_build_object('subscriptionId', v.subscription_id, 'version', v.version)) FROM verdicts v
          WHERE NOT EXISTS (SELECT 1 FROM candidates c WHERE c.subscription_id = v.subscription_id AND c.filter_version = v.version)) AS stale,
         (SELECT json_object_agg(s.id, s.filter) FROM subscriptions s WHERE s.id IN (SELECT subscription_id FROM unevaluated)) AS filters`);

const MARK_DISPATCHED_SQL = preparedStatement(
  'mark_dispatched',
  `UPDATE events e SET dispatched_at = now() FROM unnest($1::text[], $2::text[]) AS k(tenant_id, id)
   WHERE e.tenant_id = k.tenant_id AND e.id = k.id AND e.dispatched_at IS NULL`,
);

type StoredEvent = Omit<EventRow, 'created_at' | 'dispatched_at'> & { created_at: string; dispatched_at: string | null };
type StoredPlan = { delivery_id: string; tenant_id: string; event_id: string; subscription_id: string; retry_policy: string | null; throttle: StoredThrottle; pace: EndpointPace; sequence: number | null };

/**
 * Stores the events and their fan-out plans in one statement, however many events the request
 * holds. Re-sending the same idempotency key (or event ID) with the same body returns the stored
 * event and plan (one more read per repeat); a different body conflicts. A single event needs no
 * transaction (its statement is atomic, and a conflict stored nothing); a batch gets one, so a
 * conflict found among its repeats stores none of its events.
 */
export async function acceptEvents(db: Db, events: NewEvent[]): Promise<AcceptedEvent[]> {
  if (events.length === 1) return acceptWith(db, events);
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    const results = await acceptWith(client, events);
    await client.query('COMMIT');
    return results;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

async function acceptWith(db: Queryable, events: NewEvent[]): Promise<AcceptedEvent[]> {
  const outcomes = await acceptEach(db, events);
  const failed = outcomes.find((o) => !o.ok);
  if (failed && !failed.ok) throw failed.error;
  return outcomes.map((o) => (o as Extract<AcceptOutcome, { ok: true }>).accepted);
}

/** What became of one event of a statement: stored or replayed, or its own conflict. */
export type AcceptOutcome = { ok: true; accepted: AcceptedEvent } | { ok: false; error: Error };

/**
 * One statement for `events`, without a transaction of its own, with an outcome per event: a
 * conflict (or a failed look-up of a repeat) fails only its own event. What it throws failed the
 * statement as a whole, so nothing was stored: UnknownTenantError, or a database error.
 */
export async function acceptEach(db: Queryable, events: NewEvent[]): Promise<AcceptOutcome[]> {
  const result = await runAccept(db, events);
  const created = new Map(
    result.events.map((r) => [eventKey(r.tenant_id, r.id), { ...r, created_at: new Date(r.created_at), dispatched_at: r.dispatched_at ? new Date(r.dispatched_at) : null }]),
  );
  const plansByEvent = new Map<string, AcceptedEvent['deliveries']>();
  for (const p of result.plans) {
    const key = eventKey(p.tenant_id, p.event_id);
    const list = plansByEvent.get(key) ?? [];
    list.push({
      deliveryId: p.delivery_id,
      tenantId: p.tenant_id,
      eventId: p.event_id,
      subscriptionId: p.subscription_id,
      retryPolicy: p.retry_policy === null ? null : (JSON.parse(p.retry_policy) as Partial<RetryPolicyConfig> | null),
      throttle: p.throttle,
      pace: p.pace,
      sequence: p.sequence,
    });
    plansByEvent.set(key, list);
  }

  const results: AcceptOutcome[] = [];
  const claimed = new Set<string>();
  for (const e of events) {
    const key = eventKey(e.tenantId, e.id);
    const event = created.get(key);
    // A later copy of an ID inserted earlier in this request is a repeat, not a second creation.
    if (event && !claimed.has(key)) {
      claimed.add(key);
      results.push({ ok: true, accepted: { event, deliveries: plansByEvent.get(key) ?? [], created: true } });
    } else {
      try {
        results.push({ ok: true, accepted: { ...(await findExisting(db, e)), created: false } });
      } catch (error) {
        // Its own failure, conflict or not: the statement stored the others, and they say so.
        results.push({ ok: false, error: error as Error });
      }
    }
  }
  return results;
}

type Queryable = Pick<Db, 'query'>;

type AcceptResult = {
  unknown_ord: number | null;
  oversized_ord: number | null;
  oversized_n: number | null;
  events: StoredEvent[];
  plans: StoredPlan[];
  pending: PendingPair[] | null;
  filters: Record<string, unknown> | null;
  stale: { subscriptionId: string; version: string }[] | null;
};

// A pass stores nothing only when it met a filter without a verdict: new to this process, or changed
// since the previous pass evaluated it.
const MAX_FILTER_PASSES = 4;

/** Filters met by this process's accepts, so their verdicts go with the first pass (one per process). */
export const knownFilters = new KnownFilters();

/** Runs the accept statement until every payload filter it meets has a verdict (one pass while no filter is new). */
async function runAccept(db: Queryable, events: NewEvent[]): Promise<AcceptResult> {
  let verdicts = knownFilters.firstVerdicts(events);
  for (let pass = 1; ; pass++) {
    const { rows } = await db.query<AcceptResult>({ ...ACCEPT_SQL, values: [
      events.map((e) => e.id),
      events.map((e) => e.tenantId),
      events.map((e) => e.type),
      events.map((e) => e.dataJson),
      events.map((e) => e.idempotencyKey),
      events.map((e) => e.requestHash),
      events.map((e) => e.onlySubscriptionId ?? null),
      verdicts.ords,
      verdicts.subscriptionIds,
      verdicts.versions,
      verdicts.matched,
      events.map((e) => e.maxDeliveries ?? null),
    ] });
    const result = rows[0]!;
    if (result.unknown_ord !== null) {
      const i = result.unknown_ord - 1;
      throw new UnknownTenantError(i, events[i]!.tenantId);
    }
    // More verdicts can only plan more deliveries: over the limit now is over it for good.
    if (result.oversized_ord !== null) {
      const i = result.oversized_ord - 1;
      throw new FanoutLimitError(i, result.oversized_n!, events[i]!.maxDeliveries!);
    }
    if (result.stale) knownFilters.forget(events, result.stale);
    if (!result.pending) return result;
    if (pass === MAX_FILTER_PASSES) throw new Error(`subscription filters changed ${pass} times while the events were being accepted; nothing was stored`);
    knownFilters.learn(events, result.pending, result.filters ?? {});
    verdicts = evaluatePending(events, result.pending, result.filters ?? {}, verdicts);
  }
}

async function findExisting(db: Queryable, e: NewEvent): Promise<Omit<AcceptedEvent, 'created'>> {
  // Only the caller's own tenant: another tenant's events, whatever their IDs and keys, are invisible.
  const { rows } = await db.query<EventRow>(
    `SELECT * FROM events WHERE tenant_id = $3 AND (idempotency_key = $1 OR id = $2)
     ORDER BY (idempotency_key IS NOT DISTINCT FROM $1) DESC LIMIT 1`,
    [e.idempotencyKey, e.id, e.tenantId],
  );
  const existing = rows[0];
  if (!existing) throw new Error(`event ${e.id} conflicted but could not be found`);
  if (existing.request_hash !== e.requestHash) {
    const sameKey = e.idempotencyKey && existing.idempotency_key === e.idempotencyKey;
    throw new IdempotencyConflictError(sameKey ? 'Idempotency-Key' : 'id');
  }
  return { event: existing, deliveries: await plannedDeliveries(db, existing.tenant_id, existing.id) };
}

/**
 * One event by ID. With a tenant, that tenant's only. Without one (an operator's key), every tenant's:
 * an ID that more than one tenant used gives all of them, for the caller to say which it means.
 */
export async function findEvents(db: Queryable, id: string, tenantId: string | undefined): Promise<EventRow[]> {
  const { rows } = tenantId === undefined
    ? await db.query<EventRow>('SELECT * FROM events WHERE id = $1 ORDER BY tenant_id LIMIT 2', [id])
    : await db.query<EventRow>('SELECT * FROM events WHERE tenant_id = $1 AND id = $2', [tenantId, id]);
  return rows;
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

export async function plannedDeliveries(db: Queryable, tenantId: string, eventId: string): Promise<(PlannedDelivery & { state: string })[]> {
  const { rows } = await db.query<PlanRow & { state: string }>(
    'SELECT delivery_id, tenant_id, event_id, subscription_id, state FROM event_deliveries WHERE tenant_id = $1 AND event_id = $2 ORDER BY subscription_id',
    [tenantId, eventId],
  );
  return rows.map((r) => ({ ...fromPlanRow(r), state: r.state }));
}

export async function markDispatched(db: Queryable, events: EventRef[]): Promise<void> {
  if (events.length === 0) return;
  await db.query({ ...MARK_DISPATCHED_SQL, values: [events.map((e) => e.tenantId), events.map((e) => e.eventId)] });
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

/** Accepted events whose fan-out has not finished, and the age of the oldest (index events_undispatched_idx). */
export async function fanoutBacklog(db: Queryable): Promise<{ n: number; age: number }> {
  const { rows } = await db.query<{ n: number; age: number }>(
    `SELECT count(*)::int AS n, COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float8 AS age
     FROM events WHERE dispatched_at IS NULL`,
  );
  return rows[0]!;
}

/** Whether any of these events was stored. */
export async function anyEventExists(db: Queryable, tenantId: string, ids: string[]): Promise<boolean> {
  const { rows } = await db.query('SELECT 1 FROM events WHERE tenant_id = $1 AND id = ANY($2) LIMIT 1', [tenantId, ids]);
  return rows.length > 0;
}
