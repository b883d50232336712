-- The durable record of every delivery. Temporal forgets a closed workflow after the namespace's
-- retention; this row does not, so what hookflow says about a delivery never changes when it does.
-- The workflow stays the live authority while it runs; this row follows it.
ALTER TABLE event_deliveries
  ADD COLUMN event_type        text,
  ADD COLUMN state             text NOT NULL DEFAULT 'scheduled',
  ADD COLUMN attempts          integer NOT NULL DEFAULT 0,
  ADD COLUMN round_count       integer NOT NULL DEFAULT 0,
  ADD COLUMN last_status_code  integer,
  ADD COLUMN last_error        text,
  ADD COLUMN next_attempt_at   timestamptz,
  ADD COLUMN dead_lettered_at  timestamptz,
  ADD COLUMN completed_at      timestamptz,
  -- The workflow's own `status` answer (rounds and all), as of the last write; exact once closed.
  ADD COLUMN status            jsonb,
  -- The recovery run that last resent it, so one run never resends a delivery twice.
  ADD COLUMN recovered_by      text,
  ADD COLUMN updated_at        timestamptz NOT NULL DEFAULT now();

UPDATE event_deliveries d SET event_type = e.type FROM events e WHERE e.id = d.event_id;
-- Rows planned before this migration: what their attempt log says, until the workflow writes again.
UPDATE event_deliveries d SET attempts = a.n, round_count = a.rounds, state = CASE WHEN a.ok THEN 'succeeded' ELSE 'retrying' END,
       completed_at = CASE WHEN a.ok THEN a.last_at END
FROM (SELECT delivery_id, count(*)::int AS n, max(round) AS rounds, bool_or(outcome = 'succeeded') AS ok,
             max(started_at + make_interval(secs => duration_ms / 1000.0)) AS last_at
      FROM delivery_attempts GROUP BY delivery_id) a
WHERE a.delivery_id = d.delivery_id;

-- The list: newest first, keyset on (created_at, delivery_id), filtered by any of these.
CREATE INDEX event_deliveries_created_idx ON event_deliveries (created_at DESC, delivery_id DESC);
CREATE INDEX event_deliveries_tenant_created_idx ON event_deliveries (tenant_id, created_at DESC, delivery_id DESC);
CREATE INDEX event_deliveries_sub_created_idx ON event_deliveries (subscription_id, created_at DESC, delivery_id DESC);
CREATE INDEX event_deliveries_state_idx ON event_deliveries (state, created_at DESC);
-- Recovery: a subscription's dead letters and discards by when they ended.
CREATE INDEX event_deliveries_ended_idx ON event_deliveries (subscription_id, (COALESCE(dead_lettered_at, completed_at)))
  WHERE state IN ('dead_lettered', 'discarded');
-- Purge: closed deliveries by when they closed.
CREATE INDEX event_deliveries_completed_idx ON event_deliveries (completed_at) WHERE completed_at IS NOT NULL;
CREATE INDEX delivery_attempts_event_idx ON delivery_attempts (event_id);
