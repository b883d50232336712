-- Delivery health per subscription, kept up to date on the attempt path: each recorded attempt adds
-- itself to its subscription's minute row and hour row (one upsert of two rows, in the statement
-- that writes the attempt log). Stats reads sum these rows and never scan delivery_attempts.
--   attempts   every attempt recorded in the bucket;
--   succeeded  attempts that succeeded (each one ends its delivery's round);
--   failed     attempts that failed with no retry to follow (the round ended: dead letter, or a
--              response that stops retrying);
--   l0..l30    the attempts' durations as a fixed histogram, so percentiles merge across rows and
--              buckets; bin i counts durations in [bound(i-1), bound(i)) with the bounds of
--              LATENCY_BOUNDS_MS (src/stats/latency-bins.ts), l30 everything from the last bound up;
--   latency_max_ms  the longest, which caps a percentile read from the open-ended bins.
-- tenant_id is the subscription's (never changes), so a tenant's stats read its own index.
CREATE TABLE subscription_stats (
  subscription_id  text NOT NULL,
  tenant_id        text NOT NULL,
  bucket_seconds   integer NOT NULL CHECK (bucket_seconds IN (60, 3600)),
  bucket_start     timestamptz NOT NULL,
  attempts         integer NOT NULL DEFAULT 0,
  succeeded        integer NOT NULL DEFAULT 0,
  failed           integer NOT NULL DEFAULT 0,
  latency_max_ms   integer NOT NULL DEFAULT 0,
  l0  integer NOT NULL DEFAULT 0,
  l1  integer NOT NULL DEFAULT 0,
  l2  integer NOT NULL DEFAULT 0,
  l3  integer NOT NULL DEFAULT 0,
  l4  integer NOT NULL DEFAULT 0,
  l5  integer NOT NULL DEFAULT 0,
  l6  integer NOT NULL DEFAULT 0,
  l7  integer NOT NULL DEFAULT 0,
  l8  integer NOT NULL DEFAULT 0,
  l9  integer NOT NULL DEFAULT 0,
  l10 integer NOT NULL DEFAULT 0,
  l11 integer NOT NULL DEFAULT 0,
  l12 integer NOT NULL DEFAULT 0,
  l13 integer NOT NULL DEFAULT 0,
  l14 integer NOT NULL DEFAULT 0,
  l15 integer NOT NULL DEFAULT 0,
  l16 integer NOT NULL DEFAULT 0,
  l17 integer NOT NULL DEFAULT 0,
  l18 integer NOT NULL DEFAULT 0,
  l19 integer NOT NULL DEFAULT 0,
  l20 integer NOT NULL DEFAULT 0,
  l21 integer NOT NULL DEFAULT 0,
  l22 integer NOT NULL DEFAULT 0,
  l23 integer NOT NULL DEFAULT 0,
  l24 integer NOT NULL DEFAULT 0,
  l25 integer NOT NULL DEFAULT 0,
  l26 integer NOT NULL DEFAULT 0,
  l27 integer NOT NULL DEFAULT 0,
  l28 integer NOT NULL DEFAULT 0,
  l29 integer NOT NULL DEFAULT 0,
  l30 integer NOT NULL DEFAULT 0,
  PRIMARY KEY (subscription_id, bucket_seconds, bucket_start)
) WITH (fillfactor = 80);
-- fillfactor: a busy subscription's current rows are updated on every attempt; free room in the
-- page keeps those updates HOT (no index writes).

CREATE INDEX subscription_stats_tenant_idx ON subscription_stats (tenant_id, bucket_seconds, bucket_start);
-- The retention purge deletes by age.
CREATE INDEX subscription_stats_age_idx ON subscription_stats (bucket_start);
