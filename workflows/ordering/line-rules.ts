// The FIFO line's decisions as pure functions of its state, so unit tests pin them without Temporal.
// The line workflow (./line.ts) applies them and sends the grants they return; nothing here reads a clock.
import type { LineState, LineView, TurnDone, TurnRequest, WaitingTurn } from './messages';

/**
 * A grant to send: the delivery's workflow ID, its place, whether the endpoint is known fast
 * (TurnGrant.fast), and whether it is the line's turn (TurnGrant.head) rather than a resend.
 */
export type Grant = Pick<WaitingTurn, 'deliveryId' | 'sequence'> & { fast: boolean; head: boolean };

export function newLine(subscriptionId: string): LineState {
  return { subscriptionId, next: 1, waiting: [], doneAhead: [], served: 0, fast: false };
}

/**
 * A delivery asks for its turn. The head asking again (a new run after continue-as-new, or a closed
 * dead letter redelivered) is granted again. A place the line has already passed is a separate resend
 * of an old delivery: it goes at once and takes no place in the line. Anything else waits its turn.
 */
export function ask(state: LineState, req: TurnRequest, now: number): Grant[] {
  if (state.head?.sequence === req.sequence) {
    state.head.deliveryId = req.deliveryId;
    return [{ deliveryId: req.deliveryId, sequence: req.sequence, fast: state.fast, head: true }];
  }
  if (req.sequence < state.next || state.doneAhead.includes(req.sequence)) return [{ deliveryId: req.deliveryId, sequence: req.sequence, fast: state.fast, head: false }];
  const waiting = state.waiting.find((w) => w.sequence === req.sequence);
  if (waiting) waiting.deliveryId = req.deliveryId;
  else state.waiting.push({ sequence: req.sequence, deliveryId: req.deliveryId, since: now });
  return advance(state, now);
}

/**
 * The delivery at `sequence` succeeded or was discarded. The head's finishing moves the line on; a
 * place finished before its turn came (discarded while waiting, or before its workflow asked) is
 * skipped when the line reaches it. A place already passed changes nothing.
 *
 * `handedTo`: the head handed the turn straight to the delivery at the next place (TurnDone.handedTo),
 * which becomes the head with no grant from the line. If that place was finished ahead of its turn the
 * hand-over found nothing to run, and the line moves on as usual. A delivery handed the turn before it
 * started (the sweeper starts it later) is granted again when it asks, as any head asking again is.
 */
export function done(state: LineState, sequence: number, now: number, fast?: boolean, handedTo?: TurnDone['handedTo']): Grant[] {
  if (fast !== undefined) state.fast = fast;
  if (state.head?.sequence === sequence) {
    state.head = undefined;
    state.next = sequence + 1;
    if (handedTo && handedTo.sequence === state.next && !state.doneAhead.includes(handedTo.sequence)) {
      state.waiting = state.waiting.filter((w) => w.sequence !== handedTo.sequence);
      state.head = { sequence: handedTo.sequence, deliveryId: handedTo.deliveryId, grantedAt: now };
      state.served += 1;
      return [];
    }
    return advance(state, now);
  }
  if (sequence < state.next || state.doneAhead.includes(sequence)) return [];
  state.doneAhead.push(sequence);
  state.waiting = state.waiting.filter((w) => w.sequence !== sequence);
  return advance(state, now);
}

/** The head became a dead letter (held) or is being redelivered: only what the view shows changes. */
export function held(state: LineState, sequence: number, isHeld: boolean, now: number): void {
  if (state.head?.sequence !== sequence) return;
  if (isHeld) state.head.heldSince ??= now;
  else state.head.heldSince = undefined;
}

/** Gives the turn to the next place if nobody holds it and its delivery has asked. */
function advance(state: LineState, now: number): Grant[] {
  if (state.head) return [];
  for (let i = state.doneAhead.indexOf(state.next); i >= 0; i = state.doneAhead.indexOf(state.next)) {
    state.doneAhead.splice(i, 1);
    state.next += 1;
  }
  const i = state.waiting.findIndex((w) => w.sequence === state.next);
  if (i < 0) return [];
  const [turn] = state.waiting.splice(i, 1);
  state.head = { sequence: turn!.sequence, deliveryId: turn!.deliveryId, grantedAt: now };
  state.served += 1;
  return [{ deliveryId: turn!.deliveryId, sequence: turn!.sequence, fast: state.fast, head: true }];
}

export function view(state: LineState): LineView {
  const h = state.head;
  return {
    next: state.next,
    ...(h
      ? { head: { sequence: h.sequence, deliveryId: h.deliveryId, since: new Date(h.grantedAt).toISOString(), ...(h.heldSince !== undefined ? { heldSince: new Date(h.heldSince).toISOString() } : {}) } }
      : { awaiting: state.next }),
    waiting: state.waiting.length,
    served: state.served,
  };
}
