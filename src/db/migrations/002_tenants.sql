-- Tenants: every subscription and event belongs to exactly one. Existing rows move to `default`
-- in this same transaction (migrate() runs each pending file inside one), so an install that
-- upgrades keeps every subscription, event and delivery.
CREATE TABLE tenants (
  id          text PRIMARY KEY,
  name        text NOT NULL,
  metadata    jsonb NOT NULL DEFAULT '{}'::jsonb,
  -- Soft delete: the ID stays taken, so a deleted customer's ID never silently becomes someone else's.
  deleted_at  timestamptz,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tenants_live_idx ON tenants (created_at, id) WHERE deleted_at IS NULL;
INSERT INTO tenants (id, name) VALUES ('default', 'Default tenant');

-- The column defaults keep a replica of the previous version (rolling upgrade) writing valid rows.
ALTER TABLE subscriptions ADD COLUMN tenant_id text NOT NULL DEFAULT 'default' REFERENCES tenants (id);
DROP INDEX subscriptions_live_idx;
CREATE INDEX subscriptions_live_idx ON subscriptions (tenant_id, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX subscriptions_active_idx ON subscriptions (tenant_id) WHERE active AND deleted_at IS NULL;

ALTER TABLE events ADD COLUMN tenant_id text NOT NULL DEFAULT 'default' REFERENCES tenants (id);
-- Idempotency keys are the caller's own words: two tenants may well both say "order-42".
ALTER TABLE events DROP CONSTRAINT events_idempotency_key_key;
ALTER TABLE events ADD CONSTRAINT events_tenant_idempotency_key_key UNIQUE (tenant_id, idempotency_key);
CREATE INDEX events_tenant_created_idx ON events (tenant_id, created_at DESC, id DESC);
CREATE INDEX events_created_idx ON events (created_at DESC, id DESC);

-- Copied from the event so a delivery's owner is one index lookup away (authorization, listing).
ALTER TABLE event_deliveries ADD COLUMN tenant_id text NOT NULL DEFAULT 'default';
CREATE INDEX event_deliveries_tenant_idx ON event_deliveries (tenant_id);

-- Tokens a platform hands to one customer: only a SHA-256 of the token is kept.
CREATE TABLE tenant_tokens (
  id          text PRIMARY KEY,
  tenant_id   text NOT NULL REFERENCES tenants (id),
  name        text,
  token_hash  bytea NOT NULL UNIQUE,
  expires_at  timestamptz,
  revoked_at  timestamptz,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tenant_tokens_tenant_idx ON tenant_tokens (tenant_id, created_at, id);
