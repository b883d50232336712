import { log } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { Config } from '../src/config';
import type { Db } from '../src/db/pool';
import { saveDeliveryStatus } from '../src/db/repos/delivery-records';
import { disableSubscription } from '../src/db/repos/subscriptions';
import { deadLetterWorkflowId, deadLetteredSignal, type DeadLetterNotice, type DeliveryStatus } from '../workflows/messages';

export interface DeadLetterDeps {
  db: Db;
  temporal: Client;
  config: Pick<Config, 'autoDisableAfter'> & { temporal: Pick<Config['temporal'], 'taskQueue'> };
}

// How many recent dead letters the per-subscription workflow keeps in its queryable state.
const DEAD_LETTERS_KEPT = 100;

export function createDeadLetterActivities(deps: DeadLetterDeps) {
  return {
    /** Signal-with-start, so the per-subscription dead-letter workflow exists exactly when needed. */
    async reportDeadLetter(notice: Omit<DeadLetterNotice, 'subscriptionLastSuccessAt'> & { subscriptionId: string; status?: DeliveryStatus }) {
      // Workflows from before delivery records send no status; their record then follows the attempt log only.
      if (notice.status) await saveDeliveryStatus(deps.db, notice.status);
      const { rows } = await deps.db.query<{ last_success_at: Date | null }>(
        'SELECT last_success_at FROM subscriptions WHERE id = $1',
        [notice.subscriptionId],
      );
      const { subscriptionId, status: _status, ...rest } = notice;
      await deps.temporal.workflow.signalWithStart('deadLetterWorkflow', {
        workflowId: deadLetterWorkflowId(subscriptionId),
        taskQueue: deps.config.temporal.taskQueue,
        args: [{ subscriptionId, autoDisableAfter: deps.config.autoDisableAfter, keep: DEAD_LETTERS_KEPT }],
        signal: deadLetteredSignal,
        signalArgs: [{ ...rest, subscriptionLastSuccessAt: rows[0]?.last_success_at?.toISOString() }],
      });
    },

    /** The workflow's final status, written when it closes other than by a first-round success. */
    async recordDeliveryStatus(status: DeliveryStatus): Promise<void> {
      await saveDeliveryStatus(deps.db, status);
    },

    async disableSubscription(input: { subscriptionId: string; reason: string }): Promise<boolean> {
      const changed = await disableSubscription(deps.db, input.subscriptionId, input.reason);
      if (changed) log.warn('subscription disabled', { subscriptionId: input.subscriptionId, reason: input.reason });
      return changed;
    },
  };
}
