-- Endpoint controls chosen per subscription.
-- `headers`: header name → its value sealed under HOOKFLOW_SECRET_KEYS (`hfenc1:<keyId>:…`, bound to
-- the subscription and the header name), so a backup or a read-only SQL session shows the names only.
ALTER TABLE subscriptions ADD COLUMN headers jsonb NOT NULL DEFAULT '{}'::jsonb;
-- `filter`: a payload filter matched against { type, data } when an event fans out; NULL matches all.
ALTER TABLE subscriptions ADD COLUMN filter jsonb;
