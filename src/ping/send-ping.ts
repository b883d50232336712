// Test pings: a signed `hookflow.ping` sent to one subscription through the normal pipeline (stored
// with its plan by acceptEvents, started by the fan-out, delivered by the delivery workflow), so
// the answer shows exactly what a real event would meet at that endpoint.
import { setTimeout as sleep } from 'node:timers/promises';
import type { z } from 'zod';
import { Problem } from '../errors/problem';
import type { pingResult } from '../api/schemas/ping';
import type { Db } from '../db/pool';
import { firstAttemptOf, type AttemptRow } from '../db/repos/attempts';
import { EventIntake } from '../dispatch/accept-events';
import type { SubscriptionRow } from '../db/repos/subscriptions';
import type { Fanout } from '../dispatch/fanout';
import { newId } from '../db/ids';
import { OpsEventType, type OpsPayloads } from '../ops-events/types';

export type PingResult = z.infer<typeof pingResult>;

// Long enough for a start and a first attempt on a busy machine; an endpoint slower than this is
// answered as `pending` and its attempt lands in the log like any other.
export const PING_WAIT_MS = 10_000;
const POLL_MS = 100;

export async function sendPing(
  deps: { db: Db; fanout: Fanout },
  sub: Pick<SubscriptionRow, 'id' | 'tenant_id'>,
  waitMs = PING_WAIT_MS,
  /** Another event instead of hookflow.ping (an event type's example from the catalog), sent the same way. */
  event?: { type: string; data: unknown },
): Promise<PingResult> {
  const id = newId('evt');
  const payload: OpsPayloads['hookflow.ping'] = {
    subscriptionId: sub.id,
    tenantId: sub.tenant_id,
    message: 'Test ping from hookflow: this endpoint receives signed webhooks.',
    sentAt: new Date().toISOString(),
  };
  // The internal accept path: the reserved prefix is refused only from callers, at the API schema.
  // Awaited, unlike POST /v1/events: the answer waits for the attempt anyway. A failed start is
  // left to the sweeper, as for any event, and the ping then answers `pending`.
  const [accepted] = await new EventIntake(deps).accept(
    [{ id, tenantId: sub.tenant_id, type: event?.type ?? OpsEventType.ping, dataJson: JSON.stringify(event ? event.data : payload), sameEventWhen: 'same-id', onlySubscriptionId: sub.id }],
    { start: 'await' },
  );
  // No plan: the subscription was disabled or deleted between the caller's read and this statement.
  const delivery = accepted!.deliveries[0];
  if (!delivery) throw new Problem(409, 'Conflict', `subscription ${sub.id} is disabled or deleted; nothing was sent`);

  const first = await firstAttempt(deps.db, delivery.deliveryId, waitMs);
  return {
    eventId: id,
    deliveryId: delivery.deliveryId,
    outcome: first?.outcome ?? 'pending',
    statusCode: first?.status_code ?? null,
    durationMs: first?.duration_ms ?? null,
    responseBody: first?.response_body ?? null,
    responseBodyNote: first?.response_body_note ?? null,
    error: first && first.outcome !== 'succeeded' ? describeError(first) : null,
    attemptedAt: first?.started_at.toISOString() ?? null,
  };
}

/** Polls the attempt log until the delivery's first attempt is there, or `waitMs` has passed. */
async function firstAttempt(db: Db, deliveryId: string, waitMs: number): Promise<AttemptRow | undefined> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const first = await firstAttemptOf(db, deliveryId);
    if (first) return first;
    if (Date.now() + POLL_MS > deadline) return undefined;
    await sleep(POLL_MS);
  }
}

function describeError(a: AttemptRow): string | null {
  if (a.error_class && a.error_class !== 'HttpStatus') return `${a.error_class}: ${a.error_message ?? ''}`.trim();
  return a.error_message;
}
