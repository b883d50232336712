import {
  ActivityCancellationType,
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  isCancellation,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { applyAttempt, endRound, finish, newStatus, startRound, type RoundResult } from './delivery-status';
import { attemptFailureCause, deliverLocalFirst } from './local-first-attempt';
import {
  FIFO_SETTLED_TURN_REVISION,
  FIFO_TURN_IN_ATTEMPT_TASK_REVISION,
  FIRST_ROUND_AT_START_REVISION,
  FailureTypes,
  attemptFailedSignal,
  discardSignal,
  redeliverSignal,
  statusQuery,
  type AttemptReport,
  type DeliveryInput,
  type DeliveryState,
  type DeliveryStatus,
  type RoundSummary,
} from './messages';
import { remainingPolicy, retryOptions } from './retry-policy';
import { HookflowStatus } from './search-attributes';
import { throttledRound } from './throttle/delivery-hook';
import { fifoTurn } from './ordering/delivery-hook';

type Activities = ReturnType<typeof createActivities>;

// Far below Temporal's 51,200-event limit, so a delivery redelivered many times stays healthy.
const HISTORY_SOFT_LIMIT = 5_000;
const LOCAL_FIRST_ATTEMPT = 'local-first-attempt';
// Workflows from before delivery records never call recordDeliveryStatus; their histories replay without it.
const DELIVERY_RECORD = 'delivery-record';
// Longest wait before retrying a round that stalled on hookflow's own database.
const STALL_PAUSE_MAX_MS = 5 * 60_000;

/**
 * One delivery of one event to one subscription. Temporal's retry policy is the only retry loop;
 * this workflow only decides what happens between rounds: success, dead letter, redeliver, discard.
 */
export async function deliveryWorkflow(input: DeliveryInput): Promise<DeliveryStatus> {
  const status: DeliveryStatus = input.carried ?? newStatus(input);
  // Runs started for this revision skip the patch checks: a marker per delivery is history and server work.
  const revised = (input.revision ?? 0) >= 1;
  // A run started before revision 2 keeps the first-round time its live run recorded.
  const firstRoundAtStart = (input.revision ?? 0) >= FIRST_ROUND_AT_START_REVISION;
  let request: { kind: 'redeliver' } | { kind: 'discard'; reason: string } | undefined;
  let roundScope: CancellationScope | undefined;

  setHandler(statusQuery, () => status);
  setHandler(redeliverSignal, () => {
    if (request?.kind === 'discard') return;
    request = { kind: 'redeliver' };
    // A redeliver during a round skips the pending backoff: the round is cancelled and a new one starts now.
    roundScope?.cancel();
  });
  setHandler(discardSignal, (args) => {
    request = { kind: 'discard', reason: args?.reason ?? 'discarded by operator' };
    roundScope?.cancel();
  });
  setHandler(attemptFailedSignal, (report) => {
    const current = status.rounds[status.rounds.length - 1];
    if (!current || current.round !== report.round || current.endedAt) return;
    applyAttempt(status, current, report);
    setState(status, 'retrying');
  });

  // Covers the HTTP timeout plus the database reads and the attempt-log write around it.
  const attemptTimeoutMs = input.requestTimeoutMs + 15_000;
  const activities = proxyActivities<Activities>({
    startToCloseTimeout: attemptTimeoutMs,
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: retryOptions(input.retryPolicy),
  });
  const afterLocalAttempt = proxyActivities<Activities>({
    startToCloseTimeout: attemptTimeoutMs,
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: retryOptions(remainingPolicy(input.retryPolicy, 1)),
  });
  const local = proxyLocalActivities<Activities>({
    startToCloseTimeout: attemptTimeoutMs,
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: { maximumAttempts: 1 },
  });
  const bookkeeping = proxyActivities<Activities>({
    startToCloseTimeout: '30s',
    retry: { initialInterval: '1s', maximumInterval: '1m', backoffCoefficient: 2 },
  });

  // Only for a FIFO subscription: its turn in the subscription's line comes before its first round.
  const revision = input.revision ?? 0;
  const turnEnd = revision >= FIFO_SETTLED_TURN_REVISION && revision < FIFO_TURN_IN_ATTEMPT_TASK_REVISION ? 'recorded' : 'local';
  const line = input.fifo ? fifoTurn(input.subscriptionId, input.deliveryId, input.fifo, status, turnEnd) : undefined;
  // The closing success's attempt-log write failed (AttemptReport.unrecorded).
  let successUnrecorded = false;
  const turn = line ? await line.wait(() => request?.kind === 'discard') : undefined;
  if (line && !turn) return close(status, 'discarded');
  // A redeliver asked while waiting for the turn is the round about to start.
  if (turn && request?.kind === 'redeliver') request = undefined;
  // Only for a throttled subscription or a lane; other runs take none of this path. A FIFO delivery
  // skips the lane when the one before it found the endpoint fast (fresher than what acceptance knew).
  const throttled = input.throttle || (input.lane && !turn?.fast) ? throttledRound(input, status, { attemptTimeoutMs, setState }) : undefined;

  let trigger: RoundSummary['trigger'] = input.nextTrigger ?? (status.roundCount === 0 ? 'initial' : 'redeliver');
  for (;;) {
    if (status.roundCount > 0 && (workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > HISTORY_SOFT_LIMIT)) {
      // Many rounds (redeliveries, database stalls) grow history; carry the summary into a fresh run.
      return continueAsNew<typeof deliveryWorkflow>({ ...input, carried: status, nextTrigger: trigger });
    }
    {
      // The first round starts when the delivery did: a time read from history, the same live and in
      // every replay, which the first round's attempt also writes to the delivery record.
      // (A FIFO delivery's first round starts when its turn came.)
      const first = firstRoundAtStart && !line && trigger === 'initial' && status.roundCount === 0;
      const round = startRound(status, trigger, (first ? workflowInfo().startTime : new Date()).toISOString());
      // Versioned: histories from before the local first attempt replay down the regular path.
      // A FIFO delivery whose predecessor just found the endpoint fast takes the local first attempt too.
      const localFirst = !throttled && !(input.regularFirstAttempt && !turn?.fast) && trigger === 'initial' && status.attempts === 0 && (revised || patched(LOCAL_FIRST_ATTEMPT));
      // A local attempt's commands all reach the server when it ends, so a `delivering` upsert would
      // land together with the outcome's: skip that visibility write, the query still says delivering.
      if (localFirst) status.state = 'delivering';
      // A throttled round says `delivering` once it holds a slot, not while it waits for one.
      else if (!throttled) setState(status, 'delivering');
      roundScope = new CancellationScope();
      const args = {
        deliveryId: input.deliveryId,
        eventId: input.eventId,
        subscriptionId: input.subscriptionId,
        round: round.round,
        retryPolicy: input.retryPolicy,
        // Lets the first round's attempt write the exact record the workflow would (see activities/deliver.ts).
        trigger: round.trigger,
        roundStartedAt: round.startedAt,
      };
      const result = await runRound(roundScope, () =>
        throttled
          ? throttled.run(args, round)
          : localFirst
          ? deliverLocalFirst(args, {
              local: local.deliver,
              regular: afterLocalAttempt.deliver,
              onRetry: ({ report, message, delayMs }) => {
                applyAttempt(status, round, report ?? { round: round.round, attempt: 1, at: round.startedAt, durationMs: 0, error: message });
                status.nextAttemptAt = new Date(Date.now() + delayMs).toISOString();
                setState(status, 'retrying');
              },
            })
          : activities.deliver(args),
      );
      roundScope = undefined;
      const unrecorded = result.kind === 'succeeded' && result.report.unrecorded === true;
      successUnrecorded = unrecorded;
      endRound(status, round, result, Date.now());

      // A first-round success was recorded by its attempt; anything else is recorded here.
      if (result.kind === 'succeeded') return close(status, 'succeeded', status.roundCount > 1 || unrecorded);
      if (result.kind === 'discarded') return close(status, 'discarded');
      if (result.kind === 'stalled') {
        // Our database (or key ring), not the endpoint, failed for a whole round: wait and run another round
        // rather than dead-letter a webhook that may never have been sent.
        const pauseMs = Math.min(Math.max(input.retryPolicy.maxIntervalMs, 1_000), STALL_PAUSE_MAX_MS);
        status.nextAttemptAt = new Date(Date.now() + pauseMs).toISOString();
        setState(status, 'retrying');
        await condition(() => request !== undefined, pauseMs);
        if (request?.kind === 'discard') return close(status, 'discarded');
        trigger = request ? 'redeliver' : 'resume';
        request = undefined;
        continue;
      }
      if (result.kind === 'superseded') {
        if (request?.kind === 'discard') return close(status, 'discarded');
        request = undefined;
        trigger = 'redeliver';
        continue;
      }

      setState(status, 'dead_lettered');
      status.deadLetteredAt = new Date().toISOString();
      status.retentionEndsAt = new Date(Date.now() + input.deadLetterRetentionSeconds * 1000).toISOString();
      await bookkeeping.reportDeadLetter({
        subscriptionId: input.subscriptionId,
        deliveryId: input.deliveryId,
        eventId: input.eventId,
        eventType: input.eventType,
        at: status.deadLetteredAt,
        lastStatusCode: status.lastResponse?.statusCode,
        lastError: status.lastResponse?.error,
        // The record follows the workflow (an input field, so histories without it replay alike).
        status,
      });
      // A dead letter holds its line until it is redelivered and succeeds, or is discarded.
      await line?.held(true);
    }

    const retentionLeftMs = Date.parse(status.retentionEndsAt ?? '') - Date.now();
    const decided = retentionLeftMs > 0 && (await condition(() => request !== undefined, retentionLeftMs));
    if (!decided) return close(status, 'dead_lettered');
    if (request?.kind === 'discard') return close(status, 'discarded');
    request = undefined;
    trigger = 'redeliver';
    await line?.held(false);
    status.deadLetteredAt = undefined;
    status.retentionEndsAt = undefined;
  }

  /** Finishes the workflow, first writing its final status to the delivery record when asked to. */
  function close(s: DeliveryStatus, state: DeliveryState, record = true): DeliveryStatus | Promise<DeliveryStatus> {
    setState(s, state);
    finish(s, state, Date.now());
    // A first-round success outside a line waits for nothing: no promise, since the sandbox captures a
    // stack for every promise a workflow creates (a sixth of the workflow thread's time in a profile).
    return !record && !line ? s : closeAfter(s, state, record);
  }

  async function closeAfter(s: DeliveryStatus, state: DeliveryState, record: boolean): Promise<DeliveryStatus> {
    // Succeeded or discarded: the next in the line may go (a dead letter that closes keeps holding it).
    if (state !== 'dead_lettered') await line?.finished(state === 'succeeded', successUnrecorded);
    if (record && (revised || patched(DELIVERY_RECORD))) await bookkeeping.recordDeliveryStatus(s);
    return s;
  }
}

async function runRound(scope: CancellationScope, attempt: () => Promise<AttemptReport>): Promise<RoundResult> {
  try {
    return { kind: 'succeeded', report: await scope.run(attempt) };
  } catch (err) {
    if (isCancellation(err)) return { kind: 'superseded' };
    const cause = attemptFailureCause(err);
    if (cause instanceof ApplicationFailure) {
      const report = cause.details?.[0] as AttemptReport | undefined;
      // Nothing was sent: hookflow's own side failed, so wait for it rather than dead-letter.
      if (cause.type === FailureTypes.databaseUnavailable || cause.type === FailureTypes.secretUnavailable) return { kind: 'stalled' };
      if (cause.type === FailureTypes.subscriptionInactive || cause.type === FailureTypes.eventMissing) {
        return { kind: 'discarded', reason: cause.message };
      }
      return { kind: 'failed', report };
    }
    return { kind: 'failed', report: undefined };
  }
}

function setState(status: DeliveryStatus, state: DeliveryState): void {
  if (status.state === state) return;
  status.state = state;
  upsertSearchAttributes([{ key: HookflowStatus, value: state }]);
}

