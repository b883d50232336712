import type { VersionedLimits } from '../../../workflows/throttle/messages';

/**
 * A subscription's throttle as deliveries carry it: its limits, versioned by the row's updated_at
 * (ms), so the endpoint's limiter can tell newer limits from older ones. NULL when unthrottled.
 */
export const throttleSql = (alias: string): string =>
  `CASE WHEN ${alias}.throttle IS NULL THEN NULL ELSE json_build_object('limits', ${alias}.throttle, 'version', floor(extract(epoch FROM ${alias}.updated_at) * 1000)::bigint) END`;

/**
 * What the subscription's endpoint is known to be, from the times record_attempt keeps:
 * - `slow`: its last slow (>= 1 s) or timed-out attempt came after its last success (or it never
 *   succeeded): deliveries take the tenant's lane;
 * - `fast`: it succeeded since: the local first attempt;
 * - `new`: neither yet: a regular first attempt, which holds no workflow-task slot while it waits.
 */
export const endpointPaceSql = (alias: string): string =>
  `CASE WHEN ${alias}.last_slow_at IS NOT NULL AND (${alias}.last_success_at IS NULL OR ${alias}.last_success_at <= ${alias}.last_slow_at) THEN 'slow'
        WHEN ${alias}.last_success_at IS NULL THEN 'new' ELSE 'fast' END`;

export type EndpointPace = 'fast' | 'new' | 'slow';

/** json_build_object renders a bigint as a JSON number, which pg hands back as a number. */
export type StoredThrottle = VersionedLimits | null;
