// The FIFO line's contract: what delivery workflows, the line workflow, activities and the API share.
// Free of side effects and Node built-ins, like the other workflow messages.
import { defineQuery, defineSignal } from '@temporalio/workflow';

/** A subscription's `ordering`: deliveries side by side, or one at a time in the order of acceptance. */
export const ORDERINGS = ['none', 'fifo'] as const;
export type Ordering = (typeof ORDERINGS)[number];

/** What a FIFO delivery carries (DeliveryInput.fifo): its place in its subscription's line. */
export interface FifoPlace {
  /** 1, 2, 3, ... per subscription, decided when the event was accepted. */
  sequence: number;
}

/** A delivery asks for its turn (sent by a retried activity: copies are harmless). */
export interface TurnRequest {
  sequence: number;
  deliveryId: string;
}

/**
 * An attempt at least this long marks an endpoint slow, as the attempt log does: a FIFO line
 * passes on whether the delivery before answered faster (see TurnGrant.fast).
 */
export const FAST_ATTEMPT_MS = 1_000;

/** The line tells a delivery it may go. */
export interface TurnGrant {
  sequence: number;
  /**
   * The delivery before it in the line succeeded with an attempt under FAST_ATTEMPT_MS: the endpoint
   * is known to answer fast now, whatever was known when this delivery was accepted (long before its
   * turn), so it takes the fast path: a local first attempt, and not its tenant's lane for slow endpoints.
   */
  fast: boolean;
  /**
   * This place holds the line's turn (absent for a resend of a place the line has passed). When it
   * is over, the delivery hands the turn on to the next place itself, without waiting for the line.
   */
  head?: true;
}

/** The delivery with this place has succeeded or been discarded: the line moves on past it. */
export interface TurnDone {
  sequence: number;
  /** Succeeded, its last attempt under FAST_ATTEMPT_MS; absent for a discard (which says nothing of the endpoint). */
  fast?: boolean;
  /**
   * The finishing head hands the turn straight to the delivery at the next place: this message reaches
   * the line first, the grant that delivery next. The line takes it as its new head and sends nothing.
   */
  handedTo?: { sequence: number; deliveryId: string };
}

/** The head delivery was dead-lettered (held) or is being redelivered (not held). */
export interface TurnHeld {
  sequence: number;
  held: boolean;
}

export interface WaitingTurn {
  sequence: number;
  deliveryId: string;
  since: number;
}

export interface LineHead {
  sequence: number;
  deliveryId: string;
  grantedAt: number;
  /** Set while the head is a dead letter: the line is blocked until it is redelivered or discarded. */
  heldSince?: number;
}

export interface LineState {
  subscriptionId: string;
  /** The place whose turn it is: the head's, or the one the line waits to hear from. */
  next: number;
  head?: LineHead;
  /** Deliveries that asked and wait for their turn, by place. */
  waiting: WaitingTurn[];
  /** Places finished (discarded) before their turn came: skipped when the line reaches them. */
  doneAhead: number[];
  /** Turns granted since the line started. */
  served: number;
  /** What the last delivery to finish said of the endpoint (TurnDone.fast). */
  fast: boolean;
}

export interface LineInput {
  subscriptionId: string;
  /** After continue-as-new. */
  carried?: LineState;
}

/** What the API shows of a FIFO line. */
export interface LineView {
  /** The place whose turn it is. */
  next: number;
  head?: { sequence: number; deliveryId: string; since: string; heldSince?: string };
  /** Deliveries that asked for their turn and wait behind the head. */
  waiting: number;
  /** The place the line waits for when no delivery holds it (not yet started, for instance). */
  awaiting?: number;
  served: number;
}

export const askTurnSignal = defineSignal<[TurnRequest]>('fifoAsk');
export const turnGrantedSignal = defineSignal<[TurnGrant]>('fifoTurn');
export const turnDoneSignal = defineSignal<[TurnDone]>('fifoDone');
export const turnHeldSignal = defineSignal<[TurnHeld]>('fifoHeld');
export const lineStateQuery = defineQuery<LineView>('fifoState');

/** One line per FIFO subscription (subscription IDs are generated, so unique across deployments). */
export const lineWorkflowId = (subscriptionId: string): string => `fifo-${subscriptionId}`;
