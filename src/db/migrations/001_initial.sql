-- Subscriptions: where to send, what to send, and the secrets to sign with.
CREATE TABLE subscriptions (
  id                          text PRIMARY KEY,
  url                         text NOT NULL,
  event_types                 text[] NOT NULL,
  description                 text,
  secret                      text NOT NULL,
  -- During a rotation the previous secret keeps signing beside the new one until it expires.
  previous_secret             text,
  previous_secret_expires_at  timestamptz,
  retry_policy                jsonb,
  metadata                    jsonb NOT NULL DEFAULT '{}'::jsonb,
  active                      boolean NOT NULL DEFAULT true,
  disabled_reason             text,
  last_success_at             timestamptz,
  deleted_at                  timestamptz,
  created_at                  timestamptz NOT NULL DEFAULT now(),
  updated_at                  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX subscriptions_live_idx ON subscriptions (created_at, id) WHERE deleted_at IS NULL;

-- Events: the payload lives here, never in Temporal history.
CREATE TABLE events (
  id               text PRIMARY KEY,
  type             text NOT NULL,
  -- json (not jsonb) keeps the caller's key order, so the signed body reads as they sent it.
  data             json NOT NULL,
  idempotency_key  text UNIQUE,
  request_hash     text NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  -- NULL until every delivery workflow has been started; the sweeper finishes what a crash left.
  dispatched_at    timestamptz
);
CREATE INDEX events_undispatched_idx ON events (created_at) WHERE dispatched_at IS NULL;

-- The fan-out plan fixed at accept time: one row per (event, matching subscription).
-- delivery_id is the Temporal workflow ID.
CREATE TABLE event_deliveries (
  delivery_id      text PRIMARY KEY,
  event_id         text NOT NULL REFERENCES events (id) ON DELETE CASCADE,
  subscription_id  text NOT NULL REFERENCES subscriptions (id),
  created_at       timestamptz NOT NULL DEFAULT now(),
  UNIQUE (event_id, subscription_id)
);
CREATE INDEX event_deliveries_subscription_idx ON event_deliveries (subscription_id);

-- Append-only log of every HTTP attempt.
CREATE TABLE delivery_attempts (
  id               bigserial PRIMARY KEY,
  delivery_id      text NOT NULL,
  subscription_id  text NOT NULL,
  event_id         text NOT NULL,
  round            integer NOT NULL,
  attempt          integer NOT NULL,
  started_at       timestamptz NOT NULL,
  duration_ms      integer NOT NULL,
  status_code      integer,
  response_body    text,
  error_class      text,
  error_message    text,
  outcome          text NOT NULL
);
CREATE INDEX delivery_attempts_delivery_idx ON delivery_attempts (delivery_id, id);
