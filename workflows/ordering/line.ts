import { condition, continueAsNew, getExternalWorkflowHandle, proxyLocalActivities, setHandler, upsertMemo, workflowInfo } from '@temporalio/workflow';
import type { createActivities } from '../../activities';
import { ask, done, held, newLine, view, type Grant } from './line-rules';
import {
  askTurnSignal,
  lineStateQuery,
  turnDoneSignal,
  turnGrantedSignal,
  turnHeldSignal,
  type LineInput,
  type TurnDone,
  type TurnHeld,
  type TurnRequest,
} from './messages';

// Each turn is a few history events (a request in, a grant out, a done in): roll over well before the limits.
const TURNS_PER_RUN = 500;
// The memo feeds the FIFO gauges; writing it at most this often keeps history small.
const MEMO_EVERY_MS = 1_000;
// A line with no head and nothing waiting closes after this quiet spell; the next request starts a new run.
const IDLE_CLOSE_MS = 60_000;

type Message = { ask: TurnRequest } | { done: TurnDone } | { held: TurnHeld };

/**
 * One per FIFO subscription (`fifo-<subscriptionId>`): the single place that says whose turn it is.
 * Each delivery workflow of the subscription asks by signal with the place its event was given at
 * acceptance, and is told by signal when its turn comes; the line moves on only when the head reports
 * it succeeded or was discarded, so a dead letter holds it. A place whose delivery has not asked
 * yet (its start is still to come, from the fan-out or the sweeper) is waited for. No polling: the
 * line sleeps until a signal arrives. Idle, it keeps the place it stands at in PostgreSQL and closes;
 * a new run starts there.
 */
export async function fifoLineWorkflow(input: LineInput): Promise<void> {
  const { loadFifoLine, saveFifoLine } = proxyLocalActivities<ReturnType<typeof createActivities>>({
    startToCloseTimeout: '10s',
    retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '30s' },
  });
  // Messages wait here until the line knows where it stands (a new run reads that first).
  const inbox: Message[] = [];
  setHandler(askTurnSignal, (req) => void inbox.push({ ask: req }));
  setHandler(turnDoneSignal, (d) => void inbox.push({ done: d }));
  setHandler(turnHeldSignal, (h) => void inbox.push({ held: h }));

  const state = input.carried ?? { ...newLine(input.subscriptionId), next: await loadFifoLine({ subscriptionId: input.subscriptionId }) };
  let turnsThisRun = 0;
  let memo = { at: -Infinity, waiting: -1, blocked: -1 };
  const notices = new Set<Promise<void>>();
  setHandler(lineStateQuery, () => view(state));

  for (;;) {
    for (let m = inbox.shift(); m; m = inbox.shift()) apply(m);
    writeMemo();
    if (turnsThisRun >= TURNS_PER_RUN || workflowInfo().continueAsNewSuggested) {
      // Grants already sent must reach their deliveries before this run ends.
      await Promise.all(notices);
      // Messages that came in meanwhile are not in the state carried over: serve them first.
      if (inbox.length > 0) continue;
      return continueAsNew<typeof fifoLineWorkflow>({ subscriptionId: state.subscriptionId, carried: state });
    }
    // Places discarded ahead of their turn live only in this run's state: such a line stays open.
    if (!state.head && state.waiting.length === 0 && state.doneAhead.length === 0) {
      if (await condition(() => inbox.length > 0, IDLE_CLOSE_MS)) continue;
      await saveFifoLine({ subscriptionId: state.subscriptionId, next: state.next });
      await Promise.all(notices);
      // A request that came in meanwhile is served by this run; it saves again before it closes.
      if (inbox.length === 0) return;
      continue;
    }
    await condition(() => inbox.length > 0);
  }

  function apply(m: Message): void {
    const now = Date.now();
    if ('ask' in m) send(ask(state, m.ask, now));
    else if ('done' in m) send(done(state, m.done.sequence, now, m.done.fast, m.done.handedTo));
    else held(state, m.held.sequence, m.held.held, now);
  }

  function send(grants: Grant[]): void {
    for (const grant of grants) {
      turnsThisRun += 1;
      // A delivery that is gone (terminated by hand) cannot take its turn: it stays the head, shown by
      // the API, until it is redelivered (its new run asks again) or discarded.
      const sent: Promise<void> = getExternalWorkflowHandle(grant.deliveryId)
        .signal(turnGrantedSignal, { sequence: grant.sequence, fast: grant.fast, ...(grant.head ? { head: true as const } : {}) })
        .catch(() => undefined)
        .finally(() => notices.delete(sent));
      notices.add(sent);
    }
  }

  /**
   * Writes the counts the gauges read when they changed: at once while the line is blocked or idle
   * (it may stay so for long), else at most once a second. No timer: a line whose head is under way
   * wakes again when it finishes, so the waiting count is at most one turn behind.
   */
  function writeMemo(): void {
    const values = { subscriptionId: state.subscriptionId, waiting: state.waiting.length, blocked: state.head?.heldSince !== undefined ? 1 : 0 };
    if (values.waiting === memo.waiting && values.blocked === memo.blocked) return;
    const now = Date.now();
    if (values.blocked === memo.blocked && state.head && !values.blocked && now - memo.at < MEMO_EVERY_MS) return;
    memo = { at: now, waiting: values.waiting, blocked: values.blocked };
    upsertMemo(values);
  }
}
