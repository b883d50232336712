-- Per-endpoint throttling (workflows/throttle/): { "perSecond": n, "maxInFlight": n }, either optional;
-- NULL is no throttle. The limits travel with each delivery started, versioned by updated_at.
ALTER TABLE subscriptions ADD COLUMN throttle jsonb;

-- The last slow (>= 1 s) or timed-out attempt: until a fast success follows, the endpoint's deliveries
-- take the tenant's lane (bounded attempts in flight) instead of the fast local first attempt.
ALTER TABLE subscriptions ADD COLUMN last_slow_at timestamptz;
