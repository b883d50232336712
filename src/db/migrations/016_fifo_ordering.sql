-- Ordered delivery (workflows/ordering/): a subscription's `ordering`, 'none' (deliveries run side by
-- side) or 'fifo' (one at a time, in the order their events were accepted for it).
ALTER TABLE subscriptions ADD COLUMN ordering text NOT NULL DEFAULT 'none' CHECK (ordering IN ('none', 'fifo'));

-- A FIFO subscription's place counter: the accept statement takes the next numbers from it in the
-- same statement that stores the events, so the order is decided once, at acceptance. A row of its
-- own rather than a column of subscriptions, so taking numbers neither locks the subscription nor
-- moves its updated_at (which versions its throttle). The row lock serialises concurrent accepts for
-- one subscription, so numbers follow commit order.
-- `line_next` is where the subscription's line workflow stood when it last closed for being idle
-- (the place whose turn was next): its next run starts there.
CREATE TABLE fifo_sequences (
  subscription_id text PRIMARY KEY REFERENCES subscriptions (id),
  last_sequence   bigint NOT NULL,
  line_next       bigint NOT NULL DEFAULT 1
);

-- A FIFO delivery's place in its subscription's line (1, 2, 3, ... per subscription); NULL for
-- deliveries of unordered subscriptions.
ALTER TABLE event_deliveries ADD COLUMN sequence bigint;
CREATE UNIQUE INDEX event_deliveries_fifo_idx ON event_deliveries (subscription_id, sequence) WHERE sequence IS NOT NULL;
