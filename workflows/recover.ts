import { continueAsNew, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { recoverProgressQuery, type RecoverInput, type RecoverProgress } from './messages';

const { recoverPage } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '10m',
  heartbeatTimeout: '1m',
  retry: { initialInterval: '1s', maximumInterval: '1m' },
});

const PAGES_PER_RUN = 200;

/**
 * Resends every delivery of one subscription that ended dead-lettered or discarded in a window,
 * open or closed: a durable batch that pages through PostgreSQL, survives worker restarts, and
 * answers its progress to the `progress` query (API, Web UI, CLI). The activity resends each
 * delivery at most once per run (see activities/recover.ts).
 */
export async function recoverWorkflow(input: RecoverInput): Promise<RecoverProgress> {
  const progress: RecoverProgress = input.carried ?? {
    subscriptionId: input.subscriptionId,
    since: input.since,
    until: input.until,
    state: 'running',
    matched: 0,
    resent: 0,
    skipped: 0,
    skippedByReason: {},
    startedAt: new Date().toISOString(),
  };
  setHandler(recoverProgressQuery, () => progress);

  for (let pages = 0; pages < PAGES_PER_RUN; pages++) {
    const page = await recoverPage({
      runId: workflowInfo().workflowId,
      subscriptionId: input.subscriptionId,
      since: input.since,
      until: input.until,
      after: progress.cursor,
      limit: input.pageSize ?? 50,
    });
    progress.matched += page.matched;
    progress.resent += page.resent;
    progress.skipped += page.skipped;
    // Pages from a worker of the previous version carry no reasons; their skips stay uncounted by reason.
    const byReason = (progress.skippedByReason ??= {});
    for (const [why, n] of Object.entries(page.skippedByReason ?? {})) byReason[why] = (byReason[why] ?? 0) + n;
    if (!page.next) {
      progress.state = 'completed';
      progress.completedAt = new Date().toISOString();
      return progress;
    }
    progress.cursor = page.next;
  }
  // A very long window: carry on in a fresh run so history stays small.
  return continueAsNew<typeof recoverWorkflow>({ ...input, carried: progress });
}
