// The two retentions, stated and enforced at start-up (`hookflow migrate`, the dev stack):
// Temporal keeps closed workflows for the namespace's retention; PostgreSQL keeps the delivery
// record, events and attempts for HOOKFLOW_RETENTION_DAYS, purged daily by a Temporal Schedule.
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import type { Config } from '../config';
import { PURGE_SCHEDULE_ID, type PurgeInput } from '../../workflows/messages';

/** Sets the namespace's workflow retention; a no-op when it already has that value. */
export async function applyTemporalRetention(client: Client, namespace: string, seconds: number): Promise<boolean> {
  const current = await client.workflowService.describeNamespace({ namespace });
  if (Number(current.config?.workflowExecutionRetentionTtl?.seconds ?? 0) === seconds) return false;
  await client.workflowService.updateNamespace({
    namespace,
    config: { workflowExecutionRetentionTtl: msToTs(seconds * 1000) },
  });
  return true;
}

/** Creates the daily purge schedule, or brings an existing one up to the configured retention. */
export async function ensurePurgeSchedule(client: Client, config: Pick<Config, 'retentionDays' | 'temporal'>): Promise<'created' | 'updated'> {
  const args: [PurgeInput] = [{ retentionSeconds: config.retentionDays * 86_400 }];
  const action = { type: 'startWorkflow' as const, workflowType: 'purgeWorkflow', taskQueue: config.temporal.taskQueue, args };
  try {
    await client.schedule.create({
      scheduleId: PURGE_SCHEDULE_ID,
      spec: { intervals: [{ every: '1d' }] },
      action,
      policies: { overlap: ScheduleOverlapPolicy.SKIP },
    });
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await client.schedule.getHandle(PURGE_SCHEDULE_ID).update((prev) => ({ ...prev, action: { ...action, workflowId: prev.action.workflowId } }));
    return 'updated';
  }
}
