import type { VersionedLimits } from '../../../workflows/throttle/messages';

/**
 * A subscription's throttle as deliveries carry it: its limits, versioned by the row's updated_at
 * (ms), so the endpoint's limiter can tell newer limits from older ones. NULL when unthrottled.
 */
export const throttleSql = (alias: string): string =>
  `CASE WHEN ${alias}.throttle IS NULL THEN NULL ELSE json_build_object('limits', ${alias}.throttle, 'version', floor(extract(epoch FROM ${alias}.updated_at) * 1000)::bigint) END`;

/**
 * Whether the subscription's endpoint is known to answer fast: it succeeded since its last slow or
 * timed-out attempt (record_attempt keeps both times). Deliveries to any other take the tenant's lane.
 */
export const fastPathSql = (alias: string): string =>
  `(${alias}.last_success_at IS NOT NULL AND (${alias}.last_slow_at IS NULL OR ${alias}.last_slow_at < ${alias}.last_success_at))`;

/** json_build_object renders a bigint as a JSON number, which pg hands back as a number. */
export type StoredThrottle = VersionedLimits | null;
