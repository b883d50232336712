import { z } from 'zod';
import { BUCKET_SIZES, DEFAULT_MAX_BUCKETS, MAX_BUCKETS } from '../../stats/window';

const dateTime = z.iso.datetime({ offset: true, message: 'must be an ISO-8601 date-time' });

export const statsQuery = z.object({
  since: dateTime
    .optional()
    .describe(
      'Start of the window (rounded down to a whole bucket); default: 24 hours before `until`. Must be before `until` and within the retention (HOOKFLOW_RETENTION_DAYS back from now): a 400 naming `query.since` otherwise, a rule that moves with the clock and so is not a schema constraint.',
    ),
  until: dateTime.optional().describe('End of the window (rounded up to a whole bucket); default: now'),
  bucket: z
    .enum(BUCKET_SIZES)
    .optional()
    .describe(
      `Bucket size. Buckets are aligned to multiples of their size in UTC. Default: the smallest size that cuts the window into at most ${DEFAULT_MAX_BUCKETS} buckets; more than ${MAX_BUCKETS} is a 400 naming \`query.bucket\`.`,
    ),
});

const counts = z.object({
  deliveries: z.number().int().describe('Delivery rounds that ended: succeeded + failed. A redelivered dead letter counts again with its new round.'),
  attempts: z.number().int().describe('Every attempt (HTTP request or refused address) made'),
  succeeded: z.number().int().describe('Rounds that ended with a 2xx'),
  failed: z.number().int().describe('Rounds whose last attempt failed with no retry to follow (dead letters, and responses that stop retrying such as 410)'),
  successRate: z.number().nullable().describe('succeeded ÷ deliveries, from 0 to 1; null when no delivery ended'),
  latencyMs: z
    .object({ p50: z.number().nullable(), p95: z.number().nullable(), p99: z.number().nullable() })
    .describe("Percentiles of every attempt's duration, in ms, from a fixed histogram (exact to within its bin); null when no attempt was made"),
});

const window = {
  since: z.string().describe('The window as answered: aligned to whole buckets'),
  until: z.string(),
  bucket: z.enum(BUCKET_SIZES),
  totals: counts,
  buckets: z.array(counts.extend({ start: z.string() })).describe('One entry per bucket of the window, oldest first, empty ones included'),
};

export const subscriptionStatsResponse = z.object({ subscriptionId: z.string(), tenantId: z.string(), ...window });
export const tenantStatsResponse = z.object({ tenantId: z.string(), ...window });
