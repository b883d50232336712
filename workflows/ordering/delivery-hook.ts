// Where a FIFO delivery meets its line (./line.ts): ask for the turn before the first round, say when
// it is over (succeeded or discarded) so the next may go, and say while it holds the line as a dead letter.
import { CancellationScope, condition, proxyActivities, proxyLocalActivities, setHandler } from '@temporalio/workflow';
import type { createActivities } from '../../activities';
import type { DeliveryStatus } from '../messages';
import { FAST_ATTEMPT_MS, turnGrantedSignal, type FifoPlace, type TurnGrant } from './messages';

export interface FifoTurn {
  /** Resolves with the grant once it is this delivery's turn; undefined if `giveUp` became true first. */
  wait(giveUp: () => boolean): Promise<TurnGrant | undefined>;
  /**
   * The delivery succeeded (or was discarded: `succeeded` false): the line moves on. `unrecorded`: the
   * success is not in the attempt log (its write failed), so a re-run of this task would send it again.
   */
  finished(succeeded: boolean, unrecorded?: boolean): Promise<void>;
  /** Dead-lettered (true) or redelivered after that (false): what the line shows. */
  held(isHeld: boolean): Promise<void>;
}

/**
 * How a delivery says its turn is over: `local`, by a local activity in the workflow task that ends
 * it (runs before FIFO_SETTLED_TURN_REVISION, and from FIFO_TURN_IN_ATTEMPT_TASK_REVISION on unless
 * the success is unrecorded); `recorded`, always by an activity task, so only once the server has
 * recorded the outcome (runs of FIFO_SETTLED_TURN_REVISION). Each run replays as it was recorded.
 */
export type TurnEnd = 'local' | 'recorded';

/** Registers the grant handler; call once per workflow run, before waiting. */
export function fifoTurn(subscriptionId: string, deliveryId: string, place: FifoPlace, status: DeliveryStatus, turnEnd: TurnEnd = 'local'): FifoTurn {
  let grant: TurnGrant | undefined;
  setHandler(turnGrantedSignal, (g) => {
    if (g.sequence === place.sequence) grant = g;
  });
  // Local activities: asking, ending the turn (see finished) and telling the line of a dead letter
  // cost no activity task. Retried until the line has it (it ignores copies); a line that is gone has
  // nothing to move on.
  const { askFifoTurn, tellFifoLine } = proxyLocalActivities<ReturnType<typeof createActivities>>({
    startToCloseTimeout: '10s',
    retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '30s' },
  });
  // The same, as an activity task: scheduled by the workflow task that records the outcome, so it runs
  // only once the server has that outcome (see finished).
  const recorded = proxyActivities<ReturnType<typeof createActivities>>({
    startToCloseTimeout: '10s',
    retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '30s' },
  });
  // Also while the workflow is being cancelled.
  const tell = (msg: Parameters<typeof tellFifoLine>[0], afterRecord = false) =>
    CancellationScope.nonCancellable(() => (afterRecord ? recorded.tellFifoLine(msg) : tellFifoLine(msg)));

  return {
    async wait(giveUp) {
      status.fifo = { sequence: place.sequence, waitingSince: new Date().toISOString() };
      // A delivery handed the turn by the one before it before it could ask (it started late) is the
      // head already, and the line knows it: asking would only bring a second grant.
      if (!grant?.head) await askFifoTurn({ subscriptionId, deliveryId, sequence: place.sequence });
      await condition(() => grant !== undefined || giveUp());
      status.fifo = { sequence: place.sequence };
      return grant;
    },
    finished: (succeeded, unrecorded = false) => {
      const ms = status.lastResponse?.durationMs;
      const fast = succeeded ? ms !== undefined && ms < FAST_ATTEMPT_MS : undefined;
      // The head hands the turn on itself: one workflow task of the line less on the way to the next
      // event. A resend of a passed place (no head grant) or a delivery discarded while it waited does not.
      const handOn = grant?.head ? { fast: fast ?? grant.fast } : undefined;
      // A local attempt's success is in history only once its workflow task completes. Were the worker
      // killed before that, the task would run the attempt again: after the next event, had the turn
      // already gone on. The attempt finds its success in the attempt log and does not send it again
      // (activities/deliver.ts), so the turn may end in this task; only a success whose log write
      // failed, or a run of FIFO_SETTLED_TURN_REVISION, ends it by an activity task, which the server
      // starts only after it has recorded this one.
      const afterRecord = turnEnd === 'recorded' || unrecorded;
      return tell({ subscriptionId, done: { sequence: place.sequence, ...(fast !== undefined ? { fast } : {}) }, ...(handOn ? { handOn } : {}) }, afterRecord);
    },
    held: (isHeld) => tell({ subscriptionId, held: { sequence: place.sequence, held: isHeld } }),
  };
}
