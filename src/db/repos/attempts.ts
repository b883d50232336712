import { storableString } from '../storable-text';
import type { Db } from '../pool';

export type AttemptOutcome = 'succeeded' | 'failed' | 'refused';

export interface AttemptRecord {
  deliveryId: string;
  subscriptionId: string;
  eventId: string;
  round: number;
  attempt: number;
  startedAt: Date;
  durationMs: number;
  statusCode: number | null;
  responseBody: string | null;
  /** Set when the excerpt is not the bytes as sent (NUL, invalid UTF-8): what was replaced. */
  responseBodyNote?: string | null;
  errorClass: string | null;
  errorMessage: string | null;
  outcome: AttemptOutcome;
}

type Queryable = Pick<Db, 'query'>;

/**
 * The free texts of an attempt, made storable: an attempt whose write fails is lost from the log, so
 * a NUL or a lone surrogate anywhere (an error message can quote what the endpoint sent) is replaced.
 */
export function storableTexts(a: AttemptRecord): { responseBody: string | null; responseBodyNote: string | null; errorMessage: string | null } {
  const body = a.responseBody === null ? null : storableString(a.responseBody);
  const note = a.responseBodyNote ?? (body !== a.responseBody ? 'not stored as sent: NUL characters or unpaired surrogates replaced with U+FFFD' : null);
  return { responseBody: body, responseBodyNote: note, errorMessage: a.errorMessage === null ? null : storableString(a.errorMessage) };
}

export interface AttemptRow {
  id: number;
  delivery_id: string;
  round: number;
  attempt: number;
  started_at: Date;
  duration_ms: number;
  status_code: number | null;
  response_body: string | null;
  response_body_note: string | null;
  error_class: string | null;
  error_message: string | null;
  outcome: AttemptOutcome;
}

export async function listAttempts(
  db: Queryable,
  deliveryId: string,
  opts: { limit: number; afterId?: number },
): Promise<AttemptRow[]> {
  const { rows } = await db.query<AttemptRow>(
    `SELECT id, delivery_id, round, attempt, started_at, duration_ms, status_code, response_body, response_body_note, error_class,
            error_message, outcome
     FROM delivery_attempts WHERE delivery_id = $1 AND id > $2 ORDER BY id LIMIT $3`,
    [deliveryId, opts.afterId ?? 0, opts.limit],
  );
  return rows;
}

/** A delivery's first recorded attempt, if any. */
export async function firstAttemptOf(db: Queryable, deliveryId: string): Promise<AttemptRow | undefined> {
  const { rows } = await db.query<AttemptRow>('SELECT * FROM delivery_attempts WHERE delivery_id = $1 ORDER BY id LIMIT 1', [deliveryId]);
  return rows[0];
}
