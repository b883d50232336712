import { setTimeout as delay } from 'node:timers/promises';
import { ApplicationFailure } from '@temporalio/activity';
import { SLOT_MISSED, type RateSlot } from '../workflows/throttle/messages';

/**
 * A throttled attempt goes out inside its rate slot: it waits for the slot's time (one timer, at
 * most a couple of seconds: the workflow waits out anything longer on a durable timer), and if it
 * started too late sends nothing and fails with SLOT_MISSED, which the workflow turns into a new
 * slot rather than a failed attempt.
 */
export async function enterRateSlot(slot: RateSlot | undefined, signal: AbortSignal): Promise<void> {
  if (!slot) return;
  const startedAt = Date.now();
  const waitMs = slot.notBefore - Date.now();
  if (waitMs > 0) await delay(waitMs, undefined, { signal });
  const lateMs = Date.now() - slot.notAfter;
  if (lateMs > 0) {
    throw ApplicationFailure.create({ message: `started ${lateMs} ms after its rate slot; nothing was sent`, type: SLOT_MISSED, nonRetryable: true, details: [{ startedAt }] });
  }
}
