import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { Db } from '../db/pool';
import { markDispatched } from '../db/repos/events';
import { forEachBounded, startDelivery, type StartSettings, type StartableDelivery } from './start-deliveries';

export interface FanoutDeps {
  db: Db;
  temporal: Client;
  settings: StartSettings;
  concurrency: number;
  log: Logger;
}

/**
 * Starts the workflows of accepted events. The API hands events here after their transaction
 * commits and answers at once; Postgres stays the source of truth, so anything that fails here
 * (or is lost with the process) is picked up again by the sweeper.
 */
export class FanoutDispatcher {
  private queue: { eventId: string; deliveries: StartableDelivery[] }[] = [];
  private running = 0;
  private idleWaiters: (() => void)[] = [];
  // Beyond this backlog new events are left to the sweeper instead of growing memory without bound.
  private static readonly MAX_QUEUED_EVENTS = 50_000;

  constructor(private readonly deps: FanoutDeps) {}

  enqueue(eventId: string, deliveries: StartableDelivery[]): void {
    if (this.queue.length >= FanoutDispatcher.MAX_QUEUED_EVENTS) return;
    this.queue.push({ eventId, deliveries });
    this.pump();
  }

  /** Dispatches now and waits; used by the sweeper. Returns the events fully dispatched. */
  async dispatch(eventId: string, deliveries: StartableDelivery[]): Promise<boolean> {
    const { failed } = await forEachBounded(deliveries, this.deps.concurrency, (d) =>
      startDelivery(this.deps.temporal, this.deps.settings, d),
    );
    if (failed.length > 0) {
      this.deps.log.warn(
        { eventId, failed: failed.length, error: String((failed[0]!.error as Error)?.message ?? failed[0]!.error) },
        'some delivery workflows could not be started; the sweeper will retry',
      );
      return false;
    }
    await markDispatched(this.deps.db, [eventId]);
    return true;
  }

  /** Resolves when nothing is queued or in flight (graceful shutdown, tests). */
  async idle(): Promise<void> {
    if (this.running === 0 && this.queue.length === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    // Events run a few at a time; each one's own starts are bounded by `concurrency`.
    while (this.running < 4 && this.queue.length > 0) {
      const job = this.queue.shift()!;
      this.running += 1;
      this.dispatch(job.eventId, job.deliveries)
        .catch((err: unknown) => this.deps.log.warn({ eventId: job.eventId, err }, 'fan-out failed; left to the sweeper'))
        .finally(() => {
          this.running -= 1;
          this.pump();
          if (this.running === 0 && this.queue.length === 0) this.idleWaiters.splice(0).forEach((w) => w());
        });
    }
  }
}
