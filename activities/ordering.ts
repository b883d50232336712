import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Config } from '../src/config';
import type { Db } from '../src/db/pool';
import { deliveryAtPlace, lineNext, saveLineNext } from '../src/db/repos/fifo-sequences';
import { askTurnSignal, lineWorkflowId, turnDoneSignal, turnGrantedSignal, turnHeldSignal, type TurnDone, type TurnHeld, type TurnRequest } from '../workflows/ordering/messages';

export interface AskTurnInput extends TurnRequest {
  subscriptionId: string;
}

/**
 * One message from a delivery to its line: its turn is over, or it holds the line as a dead letter.
 * `handOn` (with `done`, from the head only): also give the turn to the delivery at the next place.
 */
export type TellLineInput = { subscriptionId: string } & (
  | { done: Omit<TurnDone, 'handedTo'>; handOn?: { fast: boolean }; held?: never }
  | { held: TurnHeld; done?: never; handOn?: never }
);

/**
 * A FIFO delivery's messages to its subscription's line (workflows/ordering/line.ts), sent through
 * the client so they complete inside the delivery's workflow task as local activities; and where an
 * idle line stands, kept in PostgreSQL while it is closed.
 */
export function createOrderingActivities(deps: { db: Db; temporal: Client; config: Pick<Config, 'temporal'> }) {
  return {
    /** Hands the request for a turn to the line, starting the line if none runs; the delivery then waits as a workflow. */
    async askFifoTurn(input: AskTurnInput): Promise<void> {
      const { subscriptionId, ...request } = input;
      await deps.temporal.workflow.signalWithStart('fifoLineWorkflow', {
        workflowId: lineWorkflowId(subscriptionId),
        taskQueue: deps.config.temporal.taskQueue,
        args: [{ subscriptionId }],
        signal: askTurnSignal,
        signalArgs: [request],
      });
    },
    async tellFifoLine(input: TellLineInput): Promise<void> {
      const line = deps.temporal.workflow.getHandle(lineWorkflowId(input.subscriptionId));
      // The head hands the turn on: the delivery at the next place, if that event was accepted yet.
      const sequence = (input.done?.sequence ?? 0) + 1;
      const nextId = input.done && input.handOn ? await deliveryAtPlace(deps.db, input.subscriptionId, sequence) : null;
      const handedTo = nextId ? { sequence, deliveryId: nextId } : undefined;
      try {
        // The line hears of the hand-over before the next delivery can finish and report in turn.
        if (input.done) await line.signal(turnDoneSignal, { ...input.done, ...(handedTo ? { handedTo } : {}) });
        else await line.signal(turnHeldSignal, input.held);
      } catch (err) {
        // A line that is gone (terminated by hand) has nothing to move on.
        if (err instanceof WorkflowNotFoundError) return;
        throw err;
      }
      if (!handedTo) return;
      try {
        await deps.temporal.workflow.getHandle(handedTo.deliveryId).signal(turnGrantedSignal, { sequence, fast: input.handOn!.fast, head: true });
      } catch (err) {
        // Not started yet (the sweeper starts it; it asks, and the line grants its head again), or
        // closed (discarded before its turn; the line moves past it when it hears so). A retry of this
        // activity sends the line a copy it ignores, then the grant again.
        if (err instanceof WorkflowNotFoundError) return;
        throw err;
      }
    },
    /** Where the line stood when it last closed: a new run starts there. */
    loadFifoLine: (input: { subscriptionId: string }): Promise<number> => lineNext(deps.db, input.subscriptionId),
    saveFifoLine: (input: { subscriptionId: string; next: number }): Promise<void> => saveLineNext(deps.db, input.subscriptionId, input.next),
  };
}
