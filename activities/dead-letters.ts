import { Context, log } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { Config } from '../src/config';
import type { Db } from '../src/db/pool';
import { saveDeliveryStatus } from '../src/db/repos/delivery-records';
import { disableSubscription, subscriptionFacts } from '../src/db/repos/subscriptions';
import type { Metrics } from '../src/metrics/registry';
import type { OpsEvents } from '../src/ops-events/emitter';
import { OpsEventType, isOperationalType, isOperatorSubscription } from '../src/ops-events/types';
import type { deadLetterWorkflow } from '../workflows/dead-letters';
import { deadLetterWorkflowId, deadLetteredSignal, type DeadLetterNotice, type DeliveryStatus } from '../workflows/messages';

export interface DeadLetterDeps {
  db: Db;
  temporal: Client;
  config: Pick<Config, 'autoDisableAfter'> & { temporal: Pick<Config['temporal'], 'taskQueue'> };
  metrics?: Metrics;
  ops?: OpsEvents;
}

// How many recent dead letters the per-subscription workflow keeps in its queryable state.
const DEAD_LETTERS_KEPT = 100;

export function createDeadLetterActivities(deps: DeadLetterDeps) {
  return {
    /** Signal-with-start, so the per-subscription dead-letter workflow exists exactly when needed. */
    async reportDeadLetter(notice: Omit<DeadLetterNotice, 'subscriptionLastSuccessAt'> & { subscriptionId: string; status?: DeliveryStatus }) {
      // Workflows from before delivery records send no status; their record then follows the attempt log only.
      if (notice.status) await saveDeliveryStatus(deps.db, notice.status);
      const sub = await subscriptionFacts(deps.db, notice.subscriptionId);
      const { subscriptionId, status: _status, ...rest } = notice;
      const tenantId = sub?.tenant_id;
      // Before the signal: if either fails the activity is retried, and the deterministic event ID
      // makes the second emit a replay. A dead operational delivery emits nothing (no loops).
      if (deps.ops && tenantId && !isOperationalType(notice.eventType)) {
        await deps.ops.emit(OpsEventType.deliveryDeadLettered, `${notice.deliveryId}|${notice.at}`, {
          deliveryId: notice.deliveryId,
          eventId: notice.eventId,
          eventType: notice.eventType,
          subscriptionId,
          tenantId,
          deadLetteredAt: notice.at,
          lastStatusCode: notice.lastStatusCode ?? null,
          lastError: notice.lastError ?? null,
        });
      }
      await deps.temporal.workflow.signalWithStart<typeof deadLetterWorkflow, [DeadLetterNotice]>('deadLetterWorkflow', {
        workflowId: deadLetterWorkflowId(subscriptionId),
        taskQueue: deps.config.temporal.taskQueue,
        args: [{ subscriptionId, autoDisableAfter: deps.config.autoDisableAfter, keep: DEAD_LETTERS_KEPT }],
        signal: deadLetteredSignal,
        signalArgs: [{ ...rest, subscriptionLastSuccessAt: sub?.last_success_at?.toISOString() }],
      });
      deps.metrics?.deadLettered(tenantId);
      deps.metrics?.deliveryFinished('dead_lettered', tenantId);
    },

    /** The workflow's final status, written when it closes other than by a first-round success. */
    async recordDeliveryStatus(status: DeliveryStatus): Promise<void> {
      await saveDeliveryStatus(deps.db, status);
    },

    async disableSubscription(input: { subscriptionId: string; reason: string }): Promise<boolean> {
      const changed = await disableSubscription(deps.db, input.subscriptionId, input.reason);
      if (changed) log.warn('subscription disabled', { subscriptionId: input.subscriptionId, reason: input.reason });
      await reportAutoDisabled(deps, input, changed);
      return changed;
    },
  };
}

/**
 * Metrics and the `hookflow.subscription.disabled` notice for an auto-disable, also on a retry of an
 * attempt that disabled it and then failed to store the notice (changed is false then, but the
 * reason is ours). Keyed by this activity's identity, so the retry's notice is the same event.
 */
async function reportAutoDisabled(deps: DeadLetterDeps, input: { subscriptionId: string; reason: string }, changed: boolean): Promise<void> {
  const sub = await subscriptionFacts(deps.db, input.subscriptionId);
  const ours = changed || (Context.current().info.attempt > 1 && sub?.active === false && sub.disabled_reason === input.reason);
  if (!sub || !ours) return;
  // An operator's own subscription (only hookflow.* types) reports nothing about itself: no loops.
  if (deps.ops && !isOperatorSubscription(sub.event_types)) {
    const { workflowExecution: wf, activityId } = Context.current().info;
    await deps.ops.emit(OpsEventType.subscriptionDisabled, `auto|${wf?.workflowId}|${wf?.runId}|${activityId}`, {
      subscriptionId: input.subscriptionId,
      tenantId: sub.tenant_id,
      url: sub.url,
      reason: 'auto_disabled',
      detail: input.reason,
      disabledAt: new Date().toISOString(),
    });
  }
  deps.metrics?.subscriptionDisabled('auto_disabled', sub.tenant_id);
}
