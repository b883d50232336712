-- The event catalog: event types with an optional JSON Schema for their `data`. Global to the
-- installation (an operator's catalog, published to every tenant), so no tenant_id.
-- `schema` and `examples` are json, not jsonb: the author's key order is kept, so a schema reads
-- back (and its fields list in the portal) in the order it was written.
CREATE TABLE event_types (
  name         text PRIMARY KEY,
  description  text,
  schema       json,
  examples     json NOT NULL DEFAULT '[]',
  deprecated   boolean NOT NULL DEFAULT false,
  -- Bumped by every change: ingest caches each compiled schema under (name, revision), so a change
  -- applies to the events accepted after it on every API replica.
  revision     integer NOT NULL DEFAULT 1,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);
