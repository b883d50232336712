// Gauges read at scrape time from the things they describe, so they cannot drift from them.
import type { Db } from '../db/pool';
import { fanoutBacklog } from '../db/repos/events';
import type { Fanout } from '../dispatch/fanout';
import { METRIC } from './names';
import type { Metrics } from './registry';

export function watchPool(metrics: Metrics, db: Db): void {
  metrics.gauge(METRIC.poolInUse, 'PostgreSQL connections checked out of the pool', () => db.totalCount - db.idleCount);
  metrics.gauge(METRIC.poolWaiting, 'Queries waiting for a PostgreSQL connection', () => db.waitingCount);
}

// Both backlog gauges come from one query; a scrape reads them within the same moment.
const BACKLOG_TTL_MS = 1_000;

/**
 * Queue depth as the sweeper sees it: accepted events whose fan-out has not finished (the partial
 * index events_undispatched_idx keeps this cheap), plus this process's workflow starts in flight.
 */
export function watchFanout(metrics: Metrics, db: Db, fanout: Fanout): void {
  let cached: { at: number; value: Promise<{ n: number; age: number }> } | undefined;
  const backlog = () => {
    if (!cached || Date.now() - cached.at > BACKLOG_TTL_MS) {
      cached = { at: Date.now(), value: fanoutBacklog(db) };
      // A failed read must not be served from the cache until it expires.
      cached.value.catch(() => (cached = undefined));
    }
    return cached.value;
  };
  metrics.gauge(METRIC.fanoutQueuedStarts, "Workflow starts queued or in flight in this process's fan-out", () => fanout.queuedStarts);
  metrics.gauge(METRIC.pendingEvents, 'Accepted events whose fan-out has not finished (what the sweeper will pick up)', async () => (await backlog()).n);
  metrics.gauge(METRIC.oldestPendingAge, 'Age in seconds of the oldest accepted event whose fan-out has not finished (0 when none)', async () => (await backlog()).age);
}
