import type { Logger } from 'pino';
import type { Db } from '../db/pool';
import { findUndispatched } from '../db/repos/events';
import type { Fanout } from './fanout';
import { loadStartable } from '../db/repos/startable-deliveries';

const BATCH = 200;

/**
 * Finds accepted events whose fan-out never completed (the API died between commit and start, or
 * Temporal was unreachable) and dispatches them again. Starts are idempotent, so sweeping an event
 * that another replica is dispatching at the same moment is harmless.
 */
export class Sweeper {
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;

  constructor(
    private readonly deps: { db: Db; fanout: Fanout; graceMs: number; intervalMs: number; log: Logger },
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
      const plans = await loadStartable(this.deps.db, events.map((e) => ({ tenantId: e.tenant_id, eventId: e.id })));
      for (const [event, deliveries] of plans) {
        if (await this.deps.fanout.dispatch(event, deliveries)) completed += 1;
      }
      this.deps.log.info({ found: events.length, completed }, 'sweeper re-dispatched accepted events');
    } catch (err) {
      this.deps.log.warn({ err }, 'sweep failed; will try again next interval');
    }
    return completed;
  }
}
