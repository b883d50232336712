// The SQL that numbers a FIFO subscription's deliveries inside the accept statement (./events.ts),
// and the reads of those numbers. Kept here so the accept statement only names the hook points.
import type { Db } from '../pool';

/**
 * CTEs appended after `new_plans` (every plan row the statement inserts, with the event's place `ord`
 * in the request): how many new deliveries each FIFO subscription gets, and the counter moved on by
 * that many. ON CONFLICT DO UPDATE locks the counter row until the statement's transaction ends, so
 * a concurrent accept for the same subscription takes its numbers after this one's: numbers follow
 * the order of acceptance, and a rolled-back accept gives its numbers back (no gap).
 */
export const FIFO_NUMBERS_SQL = `
  fifo_counts AS (
    SELECT np.subscription_id, count(*)::bigint AS n FROM new_plans np
    JOIN subscriptions s ON s.id = np.subscription_id AND s.ordering = 'fifo'
    GROUP BY np.subscription_id
  ), fifo_numbers AS (
    INSERT INTO fifo_sequences AS f (subscription_id, last_sequence)
    SELECT subscription_id, n FROM fifo_counts ORDER BY subscription_id
    ON CONFLICT (subscription_id) DO UPDATE SET last_sequence = f.last_sequence + excluded.last_sequence
    RETURNING f.subscription_id, f.last_sequence
  )`;

/** Joins a plan row (alias) to its subscription's new numbers; unordered subscriptions find none. */
export const FIFO_NUMBERS_JOIN_SQL = (alias: string): string =>
  `LEFT JOIN fifo_counts fc ON fc.subscription_id = ${alias}.subscription_id
   LEFT JOIN fifo_numbers fnum ON fnum.subscription_id = ${alias}.subscription_id`;

/** A plan row's place in its line: the numbers taken, in the order of the events in the request. */
export const fifoSequenceSql = (alias: string): string =>
  `CASE WHEN fnum.subscription_id IS NOT NULL
     THEN fnum.last_sequence - fc.n + row_number() OVER (PARTITION BY ${alias}.subscription_id ORDER BY ${alias}.ord) END`;

/** A delivery's place in its FIFO line, or null when it was accepted unordered. */
export async function deliverySequence(db: Pick<Db, 'query'>, deliveryId: string): Promise<number | null> {
  const { rows } = await db.query<{ sequence: number | null }>(
    'SELECT sequence::float8 AS sequence FROM event_deliveries WHERE delivery_id = $1',
    [deliveryId],
  );
  return rows[0]?.sequence ?? null;
}

/** The delivery that holds this place in a subscription's line, or null while no event has it yet. */
export async function deliveryAtPlace(db: Pick<Db, 'query'>, subscriptionId: string, sequence: number): Promise<string | null> {
  const { rows } = await db.query<{ delivery_id: string }>(
    'SELECT delivery_id FROM event_deliveries WHERE subscription_id = $1 AND sequence = $2',
    [subscriptionId, sequence],
  );
  return rows[0]?.delivery_id ?? null;
}

/** The last number handed out in a subscription's line (0 before its first FIFO event). */
export async function lastSequence(db: Pick<Db, 'query'>, subscriptionId: string): Promise<number> {
  const { rows } = await db.query<{ last: number }>(
    'SELECT last_sequence::float8 AS last FROM fifo_sequences WHERE subscription_id = $1',
    [subscriptionId],
  );
  return rows[0]?.last ?? 0;
}

/** Where the subscription's line stood when it last closed (1 for a line that never ran). */
export async function lineNext(db: Pick<Db, 'query'>, subscriptionId: string): Promise<number> {
  const { rows } = await db.query<{ next: number }>('SELECT line_next::float8 AS next FROM fifo_sequences WHERE subscription_id = $1', [subscriptionId]);
  return rows[0]?.next ?? 1;
}

/** Keeps where an idle line stands as it closes; never moves back (a late copy of an older save). */
export async function saveLineNext(db: Pick<Db, 'query'>, subscriptionId: string, next: number): Promise<void> {
  await db.query('UPDATE fifo_sequences SET line_next = GREATEST(line_next, $2) WHERE subscription_id = $1', [subscriptionId, next]);
}
