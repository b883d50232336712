import type { Logger } from 'pino';
import type { Db } from '../db/pool';
import { findUndispatched } from '../db/repos/events';
import type { FanoutDispatcher } from './fanout';
import type { StartableDelivery } from './start-deliveries';

const BATCH = 200;

/** Loads the fan-out plan of the given events, with what a workflow start needs. */
export async function loadStartable(db: Db, eventIds: string[]): Promise<Map<string, StartableDelivery[]>> {
  const { rows } = await db.query<{
    delivery_id: string;
    tenant_id: string;
    event_id: string;
    subscription_id: string;
    type: string;
    retry_policy: StartableDelivery['retryPolicy'];
  }>(
    `SELECT d.delivery_id, d.tenant_id, d.event_id, d.subscription_id, e.type, s.retry_policy
     FROM event_deliveries d JOIN events e ON e.id = d.event_id JOIN subscriptions s ON s.id = d.subscription_id
     WHERE d.event_id = ANY($1)`,
    [eventIds],
  );
  const byEvent = new Map<string, StartableDelivery[]>(eventIds.map((id) => [id, []]));
  for (const r of rows) {
    byEvent.get(r.event_id)!.push({
      deliveryId: r.delivery_id,
      tenantId: r.tenant_id,
      eventId: r.event_id,
      subscriptionId: r.subscription_id,
      eventType: r.type,
      retryPolicy: r.retry_policy,
    });
  }
  return byEvent;
}

/**
 * Finds accepted events whose fan-out never completed (the API died between commit and start, or
 * Temporal was unreachable) and dispatches them again. Starts are idempotent, so sweeping an event
 * that another replica is dispatching at the same moment is harmless.
 */
export class Sweeper {
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;

  constructor(
    private readonly deps: { db: Db; fanout: FanoutDispatcher; graceMs: number; intervalMs: number; log: Logger },
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.sweepOnce().catch(() => undefined), this.deps.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** One pass; returns how many events it completed. Overlapping calls share one pass. */
  sweepOnce(): Promise<number> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(): Promise<number> {
    let completed = 0;
    try {
      const events = await findUndispatched(this.deps.db, this.deps.graceMs, BATCH);
      if (events.length === 0) return 0;
      const plans = await loadStartable(this.deps.db, events.map((e) => e.id));
      for (const [eventId, deliveries] of plans) {
        if (await this.deps.fanout.dispatch(eventId, deliveries)) completed += 1;
      }
      this.deps.log.info({ found: events.length, completed }, 'sweeper re-dispatched accepted events');
    } catch (err) {
      this.deps.log.warn({ err }, 'sweep failed; will try again next interval');
    }
    return completed;
  }
}
