-- Event IDs are the caller's own words, like idempotency keys: two tenants may both send "order-42",
-- and neither may learn that the other did. An event is now keyed by (tenant_id, id). Delivery IDs
-- need no change: hookflow_delivery_id(event, subscription) stays unique because a subscription
-- belongs to one tenant. Existing rows keep their IDs; only the keys change, in this transaction.

-- A delivery row's tenant is copied from its event; make sure every one agrees before it is a key.
UPDATE event_deliveries d SET tenant_id = e.tenant_id FROM events e WHERE e.id = d.event_id AND d.tenant_id <> e.tenant_id;

ALTER TABLE event_deliveries DROP CONSTRAINT event_deliveries_event_id_fkey;
ALTER TABLE events DROP CONSTRAINT events_pkey;
ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY (tenant_id, id);
-- An operator's look-up by ID alone (GET /v1/events/:id with an admin key).
CREATE INDEX events_id_idx ON events (id);
ALTER TABLE event_deliveries ADD CONSTRAINT event_deliveries_event_fkey
  FOREIGN KEY (tenant_id, event_id) REFERENCES events (tenant_id, id) ON DELETE CASCADE;
