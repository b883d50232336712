// The limiter's decisions as a pure function of its state and the time, so they can be pinned by
// unit tests without Temporal. The limiter workflow applies them; nothing here reads a clock.
import type { HeldSlot, LimiterState, SlotMissed, ThrottleLimits, WaitingRequest } from './messages';

export interface Decision {
  granted: WaitingRequest[];
  /** Slots whose lease ran out: their holder never gave them back (crashed, terminated). */
  expired: HeldSlot[];
  /** When something can next change without a signal: a rate slot opening or a lease running out. */
  wakeAt?: number;
}

/** How late past its slot's time a request may still go out (see RateSlot). */
export const LATE_ALLOWANCE_MS = 100;

/** Rate slots are handed out at most this far ahead of their time. */
export const LOOKAHEAD_MS = 1_000;

/** Bounds of the learnt lead (LimiterState.leadMs). */
export const MAX_LEAD_MS = 5_000;

/** Allowance for the time between an attempt's slot check and its request reaching the endpoint. */
export const SEND_JITTER_MS = 100;

/**
 * Milliseconds between two rate slots. Requests reach the endpoint anywhere in [slot, slot +
 * LATE_ALLOWANCE_MS + SEND_JITTER_MS], so any one-second window at the endpoint sees the slots of
 * 1 s plus both allowances: spacing them over that span keeps every window within `perSecond`
 * (the pace is perSecond × 1000 / 1200; the contract's one request of tolerance is left spare).
 */
export const spacingMs = (perSecond: number): number => (1_000 + LATE_ALLOWANCE_MS + SEND_JITTER_MS) / perSecond;

/**
 * Grants what the limits allow now, oldest request first, and updates `state` to match. Rate is
 * kept GCRA-style with no burst: each rate slot has a time, `nextGrantAt`, which moves on by one
 * spacing from the later of itself and now + lead, so a late timer never lets two slots fall
 * together. Slots up to LOOKAHEAD_MS ahead are granted now with their time. A slot counts as in
 * flight from its grant, so `maxInFlight` holds too.
 */
export function decide(state: LimiterState, now: number): Decision {
  const expired = state.held.filter((h) => h.leaseEndsAt <= now);
  if (expired.length > 0) state.held = state.held.filter((h) => h.leaseEndsAt > now);

  const granted: WaitingRequest[] = [];
  const { perSecond } = state.limits;
  // Slots are handed out up to LOOKAHEAD_MS beyond the lead.
  const rateOpen = () => perSecond === undefined || state.nextGrantAt <= now + state.leadMs + LOOKAHEAD_MS;
  while (state.waiting.length > 0 && !fullInFlight(state.limits, state.held.length) && rateOpen()) {
    const next = state.waiting.shift()!;
    let startsAt = now;
    if (perSecond !== undefined) {
      startsAt = Math.max(state.nextGrantAt, now + state.leadMs);
      state.nextGrantAt = startsAt + spacingMs(perSecond);
      next.slot = { notBefore: startsAt, notAfter: startsAt + LATE_ALLOWANCE_MS };
      // Forget a little of the learnt lead with every slot that was not reported missed.
      state.leadMs = Math.floor(state.leadMs * 0.98);
    }
    granted.push(next);
    state.held.push({ requestId: next.requestId, deliveryId: next.deliveryId, leaseMs: next.leaseMs, grantedAt: now, leaseEndsAt: startsAt + next.leaseMs });
    state.granted += 1;
  }

  let wakeAt = earliest(state.held.map((h) => h.leaseEndsAt));
  if (state.waiting.length > 0 && perSecond !== undefined && !fullInFlight(state.limits, state.held.length)) {
    wakeAt = earliest([wakeAt, state.nextGrantAt - state.leadMs - LOOKAHEAD_MS]);
  }
  return { granted, expired, wakeAt };
}

function fullInFlight(limits: ThrottleLimits, held: number): boolean {
  return limits.maxInFlight !== undefined && held >= limits.maxInFlight;
}

function earliest(times: (number | undefined)[]): number | undefined {
  const defined = times.filter((t): t is number => t !== undefined);
  return defined.length === 0 ? undefined : Math.min(...defined);
}

/**
 * A granted request that missed its slot goes back to the head of the line, and slots are placed at
 * least as far ahead as its grant took to become an attempt (with a margin). A request whose lease
 * ran out meanwhile goes back too: its delivery is waiting for a new slot. False if already waiting.
 */
export function requeue(state: LimiterState, missed: SlotMissed, now: number): boolean {
  if (state.waiting.some((w) => w.requestId === missed.requestId)) return false;
  const i = state.held.findIndex((h) => h.requestId === missed.requestId);
  const [held] = i >= 0 ? state.held.splice(i, 1) : [];
  state.waiting.unshift({ requestId: missed.requestId, deliveryId: missed.deliveryId, leaseMs: missed.leaseMs, since: now });
  if (held) {
    const tookMs = Math.max(0, missed.startedAt - held.grantedAt);
    state.leadMs = Math.min(MAX_LEAD_MS, Math.max(state.leadMs, Math.ceil(tookMs * 1.25) + 50));
  }
  return true;
}

/** Removes a request wherever it is: a slot given back, or a wait given up. True if found. */
export function forget(state: LimiterState, requestId: string): boolean {
  const held = state.held.findIndex((h) => h.requestId === requestId);
  if (held >= 0) {
    state.held.splice(held, 1);
    return true;
  }
  const waiting = state.waiting.findIndex((w) => w.requestId === requestId);
  if (waiting >= 0) {
    state.waiting.splice(waiting, 1);
    return true;
  }
  return false;
}
