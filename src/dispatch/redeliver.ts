// Resend any delivery, open or closed: the one path used by the redeliver route, event replay and
// subscription recovery, so they agree on what "again" means.
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import type { Db } from '../db/pool';
import { getDeliveryRecord, reopenDelivery, statusFromRecord } from '../db/repos/delivery-records';
import { subscriptionFacts } from '../db/repos/subscriptions';
import { deliverySequence } from '../db/repos/fifo-sequences';
import { DEAD_STATES, SIGNALLABLE_STATES } from '../../workflows/delivery-states';
import { redeliverSignal, statusQuery, type DeliveryStatus } from '../../workflows/messages';
import { startDelivery, type StartSettings } from './fanout';

// How long a resend waits for a run that has succeeded to close before it answers `refused`.
const CLOSING_WAIT_MS = 10_000;

export type RedeliverOutcome =
  /** An open delivery (retrying or dead-lettered) was signalled: a new round starts now. */
  | 'signalled'
  /** A closed (or forgotten) delivery runs again: a new run of the same workflow ID. */
  | 'restarted'
  /** Nothing sent: see `reason`. */
  | 'refused'
  /** No such delivery. */
  | 'missing';

/** Why nothing was sent, as a stable code (recovery counts its skipped deliveries by it). */
export type RefusalCode = 'delivery_missing' | 'no_longer_dead' | 'subscription_disabled' | 'already_being_redelivered';

/**
 * Starts a new round of the delivery. An open workflow gets the `redeliver` signal; a closed one
 * gets a new run that carries the earlier rounds, so its record and the Web UI keep the whole story.
 */
export async function redeliverAny(
  deps: { db: Db; temporal: Client; settings: StartSettings },
  deliveryId: string,
  /** Recovery: resend only what is still dead (a dead letter, or a closed dead letter or discard). */
  opts: { onlyDead?: boolean; beforeSend?: () => Promise<void> } = {},
): Promise<{ outcome: RedeliverOutcome; reason?: string; code?: RefusalCode }> {
  const record = await getDeliveryRecord(deps.db, deliveryId);
  if (!record) return { outcome: 'missing', reason: `delivery ${deliveryId} does not exist`, code: 'delivery_missing' };
  if (opts.onlyDead && !DEAD_STATES.has(record.state)) return { outcome: 'refused', reason: `delivery ${deliveryId} is ${record.state}`, code: 'no_longer_dead' };
  const subscription = await subscriptionFacts(deps.db, record.subscription_id);
  if (!subscription?.live) return { outcome: 'refused', reason: `subscription ${record.subscription_id} is disabled or deleted`, code: 'subscription_disabled' };

  const handle = deps.temporal.workflow.getHandle(deliveryId);
  let open = await openStatus(handle);
  // A run that has just succeeded still closes (its last record, a throttle slot given back): a
  // resend asked for now is a new run once it has, not a refusal.
  if (open?.state === 'succeeded' && !opts.onlyDead) {
    await Promise.race([handle.result().catch(() => undefined), sleep(CLOSING_WAIT_MS)]);
    open = await openStatus(handle);
  }
  if (open) {
    const allowed = opts.onlyDead ? open.state === 'dead_lettered' : SIGNALLABLE_STATES.has(open.state);
    if (!allowed) return { outcome: 'refused', reason: `delivery ${deliveryId} is ${open.state}`, code: 'no_longer_dead' };
    await opts.beforeSend?.();
    await handle.signal(redeliverSignal);
    return { outcome: 'signalled' };
  }

  const carried = withoutClosure(statusFromRecord(record));
  await opts.beforeSend?.();
  try {
    await startDelivery(
      deps.temporal,
      deps.settings,
      {
        deliveryId,
        tenantId: record.tenant_id,
        eventId: record.event_id,
        subscriptionId: record.subscription_id,
        eventType: record.event_type ?? carried.eventType,
        retryPolicy: subscription.retry_policy,
        throttle: subscription.throttle,
        // A FIFO delivery keeps its place: the head of a line takes its turn again, an old one goes at once.
        sequence: await deliverySequence(deps.db, deliveryId),
      },
      { carried },
    );
  } catch (err) {
    // Another redelivery started a run a moment ago: that run is this redelivery too.
    if (err instanceof WorkflowExecutionAlreadyStartedError) return { outcome: 'refused', reason: `delivery ${deliveryId} is already being redelivered`, code: 'already_being_redelivered' };
    throw err;
  }
  // The run's first attempt reopens the record too; this makes reads follow the live run at once.
  await reopenDelivery(deps.db, deliveryId).catch(() => undefined);
  return { outcome: 'restarted' };
}


/** The status of a running workflow; undefined when it is closed or gone. */
async function openStatus(handle: WorkflowHandle): Promise<DeliveryStatus | undefined> {
  try {
    const described = await handle.describe();
    return described.status.name === 'RUNNING' ? await handle.query(statusQuery) : undefined;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

/** The carried status of a new run: the earlier rounds, without the closed run's ending. */
function withoutClosure(s: DeliveryStatus): DeliveryStatus {
  const { completedAt: _c, deadLetteredAt: _d, retentionEndsAt: _r, nextAttemptAt: _n, ...rest } = s;
  return rest;
}
