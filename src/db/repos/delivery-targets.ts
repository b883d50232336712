import { preparedStatement, type Db } from '../pool';
import type { SubscriptionRow } from './subscriptions';

export type DeliveryTarget = Pick<SubscriptionRow, 'url' | 'secret' | 'previous_secret' | 'previous_secret_expires_at' | 'headers' | 'traceparent'> & {
  tenant_id: string;
  type: string;
  data_text: string;
  created_at: Date;
  active: boolean;
  /** This round's success, when the attempt log already has one: the round is over, nothing is sent again. */
  succeeded: SucceededAttempt | null;
};

export interface SucceededAttempt {
  attempt: number;
  started_at: Date;
  duration_ms: number;
  status_code: number | null;
}

/** Which round of which delivery is about to be attempted. */
export interface AttemptedRound {
  deliveryId: string;
  round: number;
}

// The body and the secrets are read here, at each attempt, so they never enter Temporal history and
// a rotated secret, a changed URL or header, or a disabled subscription applies to the very next attempt.
// The same statement looks for a success of this round already in the attempt log: an attempt whose
// outcome never reached Temporal (its worker was killed first) runs again, and must not send again.
const LOAD_TARGET_SQL = preparedStatement(
  'load_target_v3',
  `
  SELECT e.tenant_id, e.type, e.data::text AS data_text, e.created_at,
         s.url, s.secret, s.previous_secret, s.previous_secret_expires_at, s.headers, s.traceparent, (s.active AND s.deleted_at IS NULL) AS active,
         ok.attempt AS succeeded_attempt, ok.started_at AS succeeded_started_at, ok.duration_ms AS succeeded_duration_ms, ok.status_code AS succeeded_status_code
  FROM subscriptions s JOIN events e ON e.tenant_id = s.tenant_id AND e.id = $1
  LEFT JOIN LATERAL (
    SELECT a.attempt, a.started_at, a.duration_ms, a.status_code FROM delivery_attempts a
    WHERE a.delivery_id = $3 AND a.round = $4 AND a.outcome = 'succeeded' ORDER BY a.id LIMIT 1
  ) ok ON true
  WHERE s.id = $2`,
);

type TargetRow = Omit<DeliveryTarget, 'succeeded'> & { [K in keyof SucceededAttempt as `succeeded_${K}`]: SucceededAttempt[K] | null };

export async function loadDeliveryTarget(
  db: Pick<Db, 'query'>,
  eventId: string,
  subscriptionId: string,
  round: AttemptedRound,
): Promise<DeliveryTarget | undefined> {
  const { rows } = await db.query<TargetRow>({ ...LOAD_TARGET_SQL, values: [eventId, subscriptionId, round.deliveryId, round.round] });
  const row = rows[0];
  if (!row) return undefined;
  const { succeeded_attempt: attempt, succeeded_started_at: startedAt, succeeded_duration_ms: durationMs, succeeded_status_code: statusCode, ...target } = row;
  const succeeded = attempt === null ? null : { attempt, started_at: startedAt!, duration_ms: durationMs!, status_code: statusCode };
  return { ...target, succeeded };
}
