import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { Db } from '../db/pool';
import { markDispatched, undispatchedEventIds } from '../db/repos/events';
import { startDelivery, type StartSettings, type StartableDelivery } from './start-deliveries';
import { loadStartable } from './startable';

export interface FanoutDeps {
  db: Db;
  temporal: Client;
  settings: StartSettings;
  /** Workflow starts in flight at once, across all events. */
  concurrency: number;
  /** Queued starts beyond which accepted events wait in PostgreSQL (default MAX_QUEUED_STARTS). */
  maxQueuedStarts?: number;
  log: Logger;
}

interface EventJob {
  eventId: string;
  remaining: number;
  failed: number;
  firstError?: unknown;
  done: (completed: boolean) => void;
}

// PostgreSQL is the inbox: past this many queued starts, accepted events wait there (not in memory)
// and the queue refills from it, oldest first, once it has drained to half. A burst of 60,000
// events held in memory took 400 MiB of heap in the bench; this bound keeps it to a few MiB.
const MAX_QUEUED_STARTS = 5_000;
// Events read per refill query.
const REFILL_PAGE = 100;
// Completed events are marked in batches: one UPDATE per event would cost more than the start itself.
const MARK_BATCH = 200;

/**
 * Starts the workflows of accepted events. The API hands events here after their transaction
 * commits and answers at once; Postgres stays the source of truth, so anything that fails here
 * (or is lost with the process) is picked up again by the sweeper. One shared pool of start
 * "lanes" serves every event, so a 1,000-subscription fan-out and a stream of single-subscription
 * events both keep `concurrency` starts in flight.
 */
export class FanoutDispatcher {
  private readonly queue: { job: EventJob; delivery: StartableDelivery }[] = [];
  private lanes = 0;
  private toMark: string[] = [];
  private marking?: Promise<void>;
  private idleWaiters: (() => void)[] = [];
  /** Events with a job here (queued, starting, or waiting for their mark): a refill skips them. */
  private readonly held = new Set<string>();
  /** Accepted events were left in PostgreSQL because the queue was full. */
  private overflowed = false;
  private refilling?: Promise<void>;

  private readonly maxQueued: number;

  constructor(private readonly deps: FanoutDeps) {
    this.maxQueued = deps.maxQueuedStarts ?? MAX_QUEUED_STARTS;
  }

  /** Workflow starts queued or in flight (the `hookflow_fanout_queued_starts` gauge). */
  get queuedStarts(): number {
    return this.queue.length + this.lanes;
  }

  /** Fire and forget: the API's path. A full queue leaves the event in PostgreSQL for the refill. */
  enqueue(eventId: string, deliveries: StartableDelivery[]): void {
    // An event larger than the bound still goes in when the queue is empty, or it would never start.
    if (this.queue.length > 0 && this.queue.length + deliveries.length > this.maxQueued) {
      this.overflowed = true;
      return;
    }
    void this.dispatch(eventId, deliveries);
  }

  /** Starts every delivery of one event; resolves true once the event is marked dispatched. */
  dispatch(eventId: string, deliveries: StartableDelivery[]): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      this.held.add(eventId);
      const job: EventJob = {
        eventId,
        remaining: deliveries.length,
        failed: 0,
        done: (completed) => {
          this.held.delete(eventId);
          resolve(completed);
        },
      };
      if (deliveries.length === 0) {
        this.complete(job);
        return;
      }
      for (const delivery of deliveries) this.queue.push({ job, delivery });
      this.pump();
    });
  }

  /** Resolves when nothing is queued, in flight or waiting to be marked (graceful shutdown, tests). */
  async idle(): Promise<void> {
    while (this.lanes > 0 || this.queue.length > 0) {
      await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    }
    await this.flushMarks();
  }

  private pump(): void {
    while (this.lanes < this.deps.concurrency && this.queue.length > 0) {
      this.lanes += 1;
      void this.lane();
    }
  }

  private async lane(): Promise<void> {
    for (let next = this.queue.shift(); next; next = this.queue.shift()) {
      if (this.overflowed && this.queue.length < this.maxQueued / 2) this.refill();
      const { job, delivery } = next;
      try {
        await startDelivery(this.deps.temporal, this.deps.settings, delivery);
      } catch (err) {
        job.failed += 1;
        job.firstError ??= err;
      }
      job.remaining -= 1;
      if (job.remaining === 0) this.complete(job);
    }
    this.lanes -= 1;
    if (this.lanes === 0) this.idleWaiters.splice(0).forEach((w) => w());
  }

  /** Moves the oldest events left in PostgreSQL into the queue, a page at a time, while there is room. */
  private refill(): void {
    this.refilling ??= (async () => {
      try {
        while (this.overflowed && this.queue.length < this.maxQueued / 2) {
          const ids = await undispatchedEventIds(this.deps.db, REFILL_PAGE, [...this.held]);
          if (ids.length < REFILL_PAGE) this.overflowed = false;
          for (const [eventId, deliveries] of await loadStartable(this.deps.db, ids)) {
            if (!this.held.has(eventId)) void this.dispatch(eventId, deliveries);
          }
          if (ids.length === 0) break;
        }
      } catch (err) {
        // The events stay in PostgreSQL; the sweeper finds them after its grace.
        this.overflowed = false;
        this.deps.log.warn({ err }, 'could not refill the fan-out queue; the sweeper will pick the events up');
      } finally {
        this.refilling = undefined;
      }
    })();
  }

  private complete(job: EventJob): void {
    if (job.failed > 0) {
      // Temporal is failing: leave the inbox to the sweeper's paced retries instead of refilling at once.
      this.overflowed = false;
      this.deps.log.warn(
        { eventId: job.eventId, failed: job.failed, error: (job.firstError as Error)?.message },
        'some delivery workflows could not be started; the sweeper will retry',
      );
      job.done(false);
      return;
    }
    this.toMark.push(job.eventId);
    const waiter = this.scheduleMark();
    void waiter.then(
      () => job.done(true),
      () => job.done(false),
    );
  }

  /** Coalesces completed events into batched UPDATEs; a failed mark leaves them to the sweeper. */
  private scheduleMark(): Promise<void> {
    this.marking ??= new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
      this.marking = undefined;
      await this.flushMarks();
    });
    return this.marking;
  }

  /** Marks exactly the events completed so far, so each waiter resolves after its own UPDATE. */
  private async flushMarks(): Promise<void> {
    const pending = this.toMark.splice(0);
    for (let i = 0; i < pending.length; i += MARK_BATCH) {
      const batch = pending.slice(i, i + MARK_BATCH);
      try {
        await markDispatched(this.deps.db, batch);
      } catch (err) {
        this.deps.log.warn({ err, events: batch.length }, 'could not mark events dispatched; the sweeper will re-check them');
        throw err;
      }
    }
  }
}
