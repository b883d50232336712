import { condition, continueAsNew, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import {
  deadLetterStatusQuery,
  deadLetteredSignal,
  type DeadLetterInput,
  type DeadLetterNotice,
  type DeadLetterState,
} from './messages';

const { disableSubscription } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '1m' },
});

// Each notice is one signal event plus a little bookkeeping; rolling over well before the
// history limits keeps this long-lived workflow cheap to replay.
const NOTICES_PER_RUN = 1_000;

/**
 * One per subscription (`dead-letters-<subscriptionId>`). Keeps a bounded list of recent dead
 * letters and disables the subscription after N in a row without a success in between, the way
 * Stripe and Svix stop hammering an endpoint that is gone.
 */
export async function deadLetterWorkflow(input: DeadLetterInput): Promise<void> {
  const state: DeadLetterState = input.carried ?? {
    subscriptionId: input.subscriptionId,
    total: 0,
    consecutive: 0,
    recent: [],
  };
  const inbox: DeadLetterNotice[] = [];
  let handledThisRun = 0;

  setHandler(deadLetterStatusQuery, () => state);
  setHandler(deadLetteredSignal, (notice) => {
    inbox.push(notice);
  });

  for (;;) {
    await condition(() => inbox.length > 0);
    while (inbox.length > 0) {
      const notice = inbox.shift()!;
      handledThisRun += 1;
      const succeededSince =
        notice.subscriptionLastSuccessAt !== undefined &&
        state.lastDeadLetterAt !== undefined &&
        notice.subscriptionLastSuccessAt > state.lastDeadLetterAt;
      state.consecutive = succeededSince ? 1 : state.consecutive + 1;
      state.total += 1;
      state.lastDeadLetterAt = notice.at;
      state.recent.push(notice);
      if (state.recent.length > input.keep) state.recent.shift();

      if (input.autoDisableAfter > 0 && state.consecutive >= input.autoDisableAfter) {
        await disableSubscription({
          subscriptionId: input.subscriptionId,
          reason: `auto-disabled after ${state.consecutive} consecutive dead-lettered deliveries`,
        });
        state.autoDisabledAt = new Date().toISOString();
        // Start counting afresh, so re-enabling the endpoint gives it a full allowance again.
        state.consecutive = 0;
      }
    }
    if (inbox.length === 0 && (handledThisRun >= NOTICES_PER_RUN || workflowInfo().continueAsNewSuggested)) {
      await continueAsNew<typeof deadLetterWorkflow>({ ...input, carried: state });
    }
  }
}
