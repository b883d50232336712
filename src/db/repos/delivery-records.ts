// The durable record of each delivery (event_deliveries, migration 003): what reads answer once
// Temporal has closed or forgotten the workflow, and what the delivery list pages through.
import type { DeliveryState, DeliveryStatus } from '../../../workflows/messages';
import { preparedStatement, type Db } from '../pool';
import { storableTexts, type AttemptRecord } from './attempts';
import { rollupCte } from './subscription-stats';

type Queryable = Pick<Db, 'query'>;

export interface DeliveryRecordRow {
  delivery_id: string;
  tenant_id: string;
  event_id: string;
  subscription_id: string;
  event_type: string | null;
  state: DeliveryState;
  attempts: number;
  round_count: number;
  last_status_code: number | null;
  last_error: string | null;
  next_attempt_at: Date | null;
  dead_lettered_at: Date | null;
  completed_at: Date | null;
  status: DeliveryStatus | null;
  created_at: Date;
}

export interface AttemptRecordUpdate {
  /** The state the delivery is in after this attempt, when the attempt alone decides it. */
  state?: DeliveryState;
  nextAttemptAt?: string;
  /** When the attempt succeeded: the delivery closed at the attempt's end. */
  completedAt?: string;
  /** The whole status, when the attempt knows all of it (the first round). */
  status?: DeliveryStatus;
  succeeded: boolean;
}

/** An attempt that took this long (ms) marks its endpoint slow, like a timeout. */
export const SLOW_ATTEMPT_MS = 1_000;

/**
 * Appends the attempt, moves the delivery's record, adds the attempt to its subscription's stats
 * rollups, and on success marks the subscription's last success, all in one statement: the record
 * costs the happy path no round trip of its own.
 */
const RECORD_ATTEMPT_SQL = preparedStatement(
  'record_attempt',
  `WITH attempt AS (
       INSERT INTO delivery_attempts (delivery_id, subscription_id, event_id, round, attempt, started_at, duration_ms,
         status_code, response_body, error_class, error_message, outcome, response_body_note)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $18)
     ), rec AS (
       UPDATE event_deliveries SET
         state = COALESCE($13, state),
         attempts = CASE WHEN $4 = 1 THEN $5 ELSE attempts + 1 END,
         round_count = GREATEST(round_count, $4),
         last_status_code = $8, last_error = $11, next_attempt_at = $14,
         completed_at = $15, dead_lettered_at = CASE WHEN $16 THEN NULL ELSE dead_lettered_at END,
         status = COALESCE($17, status), updated_at = now()
       WHERE delivery_id = $1
       RETURNING tenant_id
     ), ${rollupCte({ record: 'rec', subscriptionId: '$2', startedAt: '$6', durationMs: '$7', succeeded: '$16', nextAttemptAt: '$14' })}
     -- Throttled to one write per second per subscription so a busy endpoint's row is not a hot spot.
     -- A slow or timed-out attempt marks the endpoint slow until its next fast success (fan-out then
     -- sends its deliveries down the tenant's lane, src/db/repos/throttle.ts). A slow success is slow.
     UPDATE subscriptions SET
       last_success_at = CASE WHEN $16 THEN now() ELSE last_success_at END,
       last_slow_at = CASE WHEN $10::text = 'Timeout' OR $7::int >= ${SLOW_ATTEMPT_MS} THEN now() ELSE last_slow_at END
     WHERE id = $2 AND (
       ($16 AND (last_success_at IS NULL OR last_success_at < now() - interval '1 second'))
       OR (($10::text = 'Timeout' OR $7::int >= ${SLOW_ATTEMPT_MS}) AND (last_slow_at IS NULL OR last_slow_at < now() - interval '1 second')))`,
);

export async function recordAttempt(db: Queryable, a: AttemptRecord, u: AttemptRecordUpdate): Promise<void> {
  const t = storableTexts(a);
  await db.query({
    ...RECORD_ATTEMPT_SQL,
    values: [
      a.deliveryId, a.subscriptionId, a.eventId, a.round, a.attempt, a.startedAt, a.durationMs,
      a.statusCode, t.responseBody, a.errorClass, t.errorMessage, a.outcome,
      u.state ?? null, u.nextAttemptAt ?? null, u.completedAt ?? null, u.succeeded, u.status ?? null, t.responseBodyNote,
    ],
  });
}

/** Writes the workflow's own status: at a dead letter and when the workflow closes. */
export async function saveDeliveryStatus(db: Queryable, s: DeliveryStatus): Promise<void> {
  await db.query(
    `UPDATE event_deliveries SET state = $2, attempts = $3, round_count = $4, last_status_code = $5, last_error = $6,
       next_attempt_at = $7, dead_lettered_at = $8, completed_at = $9, status = $10, updated_at = now()
     WHERE delivery_id = $1`,
    [
      s.deliveryId, s.state, s.attempts, s.roundCount, s.lastResponse?.statusCode ?? null, s.lastResponse?.error ?? null,
      s.nextAttemptAt ?? null, s.deadLetteredAt ?? null, s.completedAt ?? null, s,
    ],
  );
}

export async function getDeliveryRecord(db: Queryable, deliveryId: string): Promise<DeliveryRecordRow | undefined> {
  const { rows } = await db.query<DeliveryRecordRow>('SELECT * FROM event_deliveries WHERE delivery_id = $1', [deliveryId]);
  return rows[0];
}

/** A closed delivery runs again (a redelivery): reads go back to the live workflow. */
export async function reopenDelivery(db: Queryable, deliveryId: string): Promise<void> {
  await db.query(
    `UPDATE event_deliveries SET state = 'delivering', completed_at = NULL, next_attempt_at = NULL, updated_at = now()
     WHERE delivery_id = $1`,
    [deliveryId],
  );
}

/**
 * What a read answers from the record. Once the delivery closed, the stored status is the
 * workflow's final answer; before (a workflow removed while open), the record's columns win.
 */
export function statusFromRecord(r: DeliveryRecordRow): DeliveryStatus {
  const base: DeliveryStatus = r.status ?? {
    deliveryId: r.delivery_id,
    eventId: r.event_id,
    subscriptionId: r.subscription_id,
    eventType: r.event_type ?? '',
    state: r.state,
    attempts: r.attempts,
    roundCount: r.round_count,
    rounds: [],
    ...(r.completed_at ? { completedAt: r.completed_at.toISOString() } : {}),
  };
  if (r.completed_at && r.status) return r.status;
  return { ...base, state: r.state, attempts: r.attempts, roundCount: r.round_count };
}

export interface DeliveryRecordFilter {
  tenantId?: string;
  subscriptionId?: string;
  eventId?: string;
  eventType?: string;
  state?: DeliveryState;
  /** Created at or after / before. */
  since?: Date;
  until?: Date;
}

const FILTER_COLUMNS: [keyof DeliveryRecordFilter, string][] = [
  ['tenantId', 'tenant_id ='],
  ['subscriptionId', 'subscription_id ='],
  ['eventId', 'event_id ='],
  ['eventType', 'event_type ='],
  ['state', 'state ='],
  ['since', 'created_at >='],
  ['until', 'created_at <'],
];

/** Strictly newest first: (created_at, delivery_id) descending, keyset-paginated. */
export async function listDeliveryRecords(
  db: Queryable,
  filter: DeliveryRecordFilter,
  opts: { limit: number; after?: { createdAt: string; id: string } },
): Promise<DeliveryRecordRow[]> {
  const params: unknown[] = [opts.limit];
  const where: string[] = [];
  for (const [key, test] of FILTER_COLUMNS) {
    if (filter[key] === undefined) continue;
    params.push(filter[key]);
    where.push(`${test} $${params.length}`);
  }
  if (opts.after) {
    // The row's own created_at is exact (microseconds); the cursor's is milliseconds (see keyset.ts).
    params.push(opts.after.createdAt, opts.after.id);
    const [at, id] = [`$${params.length - 1}::timestamptz`, `$${params.length}`];
    where.push(`(created_at, delivery_id) < (COALESCE((SELECT c.created_at FROM event_deliveries c WHERE c.delivery_id = ${id}), ${at}), ${id})`);
  }
  const { rows } = await db.query<DeliveryRecordRow>(
    `SELECT * FROM event_deliveries ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY created_at DESC, delivery_id DESC LIMIT $1`,
    params,
  );
  return rows;
}

/** When a dead letter or discard ended: what recovery windows are measured on. */
const ENDED_AT = 'COALESCE(dead_lettered_at, completed_at)';

/**
 * One page of a recovery, in delivery-ID order (which never changes, unlike a delivery's state):
 * the subscription's dead letters and discards that ended in [since, until), and any delivery this
 * run already claimed, whatever it has become since (an activity retry must count it again).
 */
export async function listRecoverable(
  db: Queryable,
  q: { subscriptionId: string; since: string; until: string; runId: string; afterId?: string; limit: number },
): Promise<{ delivery_id: string; claimed: boolean }[]> {
  const { rows } = await db.query<{ delivery_id: string; claimed: boolean }>(
    `SELECT delivery_id, recovered_by IS NOT DISTINCT FROM $4 AS claimed FROM event_deliveries
     WHERE subscription_id = $1 AND delivery_id > $5
       AND (recovered_by IS NOT DISTINCT FROM $4
            OR (state IN ('dead_lettered', 'discarded') AND ${ENDED_AT} >= $2::timestamptz AND ${ENDED_AT} < $3::timestamptz))
     ORDER BY delivery_id LIMIT $6`,
    [q.subscriptionId, q.since, q.until, q.runId, q.afterId ?? '', q.limit],
  );
  return rows;
}

/** Marks a delivery as resent by this recovery run, just before it is resent. */
export async function claimForRecovery(db: Queryable, deliveryId: string, runId: string): Promise<void> {
  await db.query('UPDATE event_deliveries SET recovered_by = $2 WHERE delivery_id = $1', [deliveryId, runId]);
}

/**
 * Deletes up to `limit` events older than `cutoff` whose deliveries all closed before it, with
 * their delivery records and attempts, in one statement. Events still being fanned out stay.
 */
export async function purgeBatch(db: Queryable, cutoff: string, limit: number): Promise<{ events: number; deliveries: number; attempts: number }> {
  const { rows } = await db.query<{ events: number; deliveries: number; attempts: number }>(
    `WITH victims AS (
       SELECT e.tenant_id, e.id FROM events e
       WHERE e.created_at < $1::timestamptz AND e.dispatched_at IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM event_deliveries d WHERE d.tenant_id = e.tenant_id AND d.event_id = e.id
                         AND (d.completed_at IS NULL OR d.completed_at >= $1::timestamptz))
       ORDER BY e.created_at LIMIT $2 FOR UPDATE SKIP LOCKED
     ), gone AS (SELECT d.delivery_id FROM event_deliveries d JOIN victims v ON v.tenant_id = d.tenant_id AND v.id = d.event_id),
        a AS (DELETE FROM delivery_attempts WHERE delivery_id IN (SELECT delivery_id FROM gone) RETURNING 1),
        d AS (DELETE FROM event_deliveries WHERE delivery_id IN (SELECT delivery_id FROM gone) RETURNING 1),
        e AS (DELETE FROM events WHERE (tenant_id, id) IN (SELECT tenant_id, id FROM victims) RETURNING 1)
     SELECT (SELECT count(*) FROM e)::int AS events, (SELECT count(*) FROM d)::int AS deliveries, (SELECT count(*) FROM a)::int AS attempts`,
    [cutoff, limit],
  );
  return rows[0]!;
}

/** A planned delivery's record, before its workflow starts: reads see it at once. */
export async function insertPlannedDelivery(
  db: Queryable,
  d: { deliveryId: string; tenantId: string; eventId: string; subscriptionId: string; eventType: string },
): Promise<void> {
  await db.query(
    `INSERT INTO event_deliveries (delivery_id, tenant_id, event_id, subscription_id, event_type)
     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (delivery_id) DO NOTHING`,
    [d.deliveryId, d.tenantId, d.eventId, d.subscriptionId, d.eventType],
  );
}
