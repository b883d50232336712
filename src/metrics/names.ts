// Every metric hookflow defines, in one place: the dashboard, the alert rules and their test refer
// to these names. The Temporal SDK's own worker metrics carry the prefix below.

export const METRIC = {
  deliveriesFinished: 'hookflow_deliveries_finished_total',
  attempts: 'hookflow_delivery_attempts_total',
  attemptDuration: 'hookflow_delivery_attempt_duration_seconds',
  deliveryLatency: 'hookflow_delivery_latency_seconds',
  retries: 'hookflow_delivery_retries_total',
  deadLetters: 'hookflow_dead_letters_total',
  subscriptionsDisabled: 'hookflow_subscriptions_disabled_total',
  ingestRequests: 'hookflow_ingest_requests_total',
  eventsAccepted: 'hookflow_events_accepted_total',
  fanoutQueuedStarts: 'hookflow_fanout_queued_starts',
  pendingEvents: 'hookflow_fanout_pending_events',
  oldestPendingAge: 'hookflow_fanout_oldest_pending_age_seconds',
  poolInUse: 'hookflow_db_pool_connections_in_use',
  poolWaiting: 'hookflow_db_pool_waiting_clients',
  operationalEvents: 'hookflow_operational_events_emitted_total',
  throttleWaiting: 'hookflow_throttle_waiting_deliveries',
  throttledEndpoints: 'hookflow_throttled_endpoints',
  laneWaiting: 'hookflow_lane_waiting_deliveries',
  fifoBlockedLines: 'hookflow_fifo_blocked_lines',
  fifoWaiting: 'hookflow_fifo_waiting_deliveries',
} as const;

/** Prefix for the Temporal SDK's metrics (its default is `temporal_`), so every name is hookflow's. */
export const TEMPORAL_SDK_METRIC_PREFIX = 'hookflow_temporal_';
