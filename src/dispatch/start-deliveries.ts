import type { deliveryWorkflow } from '../../workflows/delivery';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { RetryPolicyConfig, Config } from '../config';
import {
  HookflowEventId,
  HookflowEventType,
  HookflowStatus,
  HookflowSubscriptionId,
  HookflowTenantId,
} from '../../workflows/search-attributes';
import { DELIVERY_REVISION, type DeliveryInput, type DeliveryStatus } from '../../workflows/messages';

export interface StartableDelivery {
  deliveryId: string;
  tenantId: string;
  eventId: string;
  subscriptionId: string;
  eventType: string;
  retryPolicy: Partial<RetryPolicyConfig> | null;
}

export type StartSettings = Pick<Config, 'retry' | 'requestTimeoutMs' | 'deadLetterRetentionSeconds'> & {
  temporal: Pick<Config['temporal'], 'taskQueue'>;
  /** Only with a client on a worker's shared native connection (connectShared). */
  eagerStart?: boolean;
};

/**
 * Starts one delivery workflow. The workflow ID is the delivery ID; USE_EXISTING plus
 * REJECT_DUPLICATE make a repeated start (client retry, sweeper, second replica) a no-op even when
 * the first delivery already finished.
 */
export async function startDelivery(
  temporal: Client,
  settings: StartSettings,
  d: StartableDelivery,
  rerun?: { carried: DeliveryStatus },
): Promise<void> {
  const input: DeliveryInput = {
    deliveryId: d.deliveryId,
    eventId: d.eventId,
    subscriptionId: d.subscriptionId,
    eventType: d.eventType,
    retryPolicy: { ...settings.retry, ...(d.retryPolicy ?? {}) },
    requestTimeoutMs: settings.requestTimeoutMs,
    deadLetterRetentionSeconds: settings.deadLetterRetentionSeconds,
    revision: DELIVERY_REVISION,
    ...(rerun ? { carried: rerun.carried, nextTrigger: 'redeliver' as const } : {}),
  };
  try {
    // The workflow function itself is in workflows/delivery.ts; only its type crosses into this process.
    await temporal.workflow.start<typeof deliveryWorkflow>('deliveryWorkflow', {
      workflowId: d.deliveryId,
      taskQueue: settings.temporal.taskQueue,
      args: [input],
      // A rerun (redelivery of a closed delivery) is a new run under the same ID; it fails, rather than
      // joins, if a run is open, so a redelivery never rides on a round already under way.
      workflowIdConflictPolicy: rerun ? 'FAIL' : 'USE_EXISTING',
      workflowIdReusePolicy: rerun ? 'ALLOW_DUPLICATE' : 'REJECT_DUPLICATE',
      requestEagerStart: settings.eagerStart === true,
      typedSearchAttributes: [
        { key: HookflowStatus, value: 'scheduled' },
        { key: HookflowSubscriptionId, value: d.subscriptionId },
        { key: HookflowEventId, value: d.eventId },
        { key: HookflowEventType, value: d.eventType },
        { key: HookflowTenantId, value: d.tenantId },
      ],
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError && !rerun) return;
    throw err;
  }
}

/** Runs `fn` over `items` with at most `limit` in flight; collects failures instead of stopping. */
export async function forEachBounded<T>(
  items: T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<{ ok: T[]; failed: { item: T; error: unknown }[] }> {
  const ok: T[] = [];
  const failed: { item: T; error: unknown }[] = [];
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      try {
        await fn(item);
        ok.push(item);
      } catch (error) {
        failed.push({ item, error });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return { ok, failed };
}
