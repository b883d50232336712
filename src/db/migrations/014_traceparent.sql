-- A subscription may ask for a W3C `traceparent` header on its requests when tracing is on; off by
-- default, since the customer's trace is theirs.
ALTER TABLE subscriptions ADD COLUMN traceparent boolean NOT NULL DEFAULT false;
