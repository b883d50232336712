import { proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { PurgeInput, PurgeReport } from './messages';

const { purgeBatch } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '5m',
  retry: { initialInterval: '5s', maximumInterval: '5m' },
});

// A bound on one run: a backlog larger than this is finished by the next day's run.
const MAX_BATCHES = 1_000;

/**
 * Run daily by the `hookflow-purge` Temporal Schedule: deletes, in bounded batches, the events
 * older than the retention whose deliveries all closed before it, with their delivery records and
 * attempts, and the stats rollups of buckets that ended before it. Open deliveries (a dead letter
 * still waiting) keep everything. The result says what went.
 */
export async function purgeWorkflow(input: PurgeInput): Promise<PurgeReport> {
  // Workflow time: fixed for this run, and the same on replay.
  const cutoff = new Date(Date.now() - input.retentionSeconds * 1000).toISOString();
  const report: PurgeReport = { cutoff, events: 0, deliveries: 0, attempts: 0, rollups: 0, batches: 0 };
  for (let i = 0; i < MAX_BATCHES; i++) {
    const deleted = await purgeBatch({ cutoff, limit: input.batchSize ?? 500 });
    report.batches += 1;
    report.events += deleted.events;
    report.deliveries += deleted.deliveries;
    report.attempts += deleted.attempts;
    // Runs recorded before stats rollups existed have no `rollups` in their results: they replay as before.
    report.rollups = (report.rollups ?? 0) + (deleted.rollups ?? 0);
    if (deleted.events === 0 && !deleted.rollups) break;
  }
  return report;
}
