// The fan-out: one delivery workflow started per planned delivery, workflow ID = delivery ID.
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { deliveryWorkflow } from '../../workflows/delivery';
import type { Config, RetryPolicyConfig } from '../config';
import type { Db } from '../db/pool';
import { markDispatched, type EventRef } from '../db/repos/events';
import { loadStartable } from '../db/repos/startable-deliveries';
import {
  HookflowEventId,
  HookflowEventType,
  HookflowStatus,
  HookflowSubscriptionId,
  HookflowTenantId,
} from '../../workflows/search-attributes';
import { DELIVERY_REVISION, type DeliveryInput, type DeliveryStatus } from '../../workflows/messages';
import { flowControlInput, type FlowControlFacts } from './flow-control-input';
import type { EventFanoutSpan, FanoutTracer } from '../telemetry/fanout-spans';
import { orderingInput, type OrderingFacts } from './ordering-input';
import { RoundRobinQueue } from './round-robin-queue';

export interface FanoutDeps {
  db: Db;
  temporal: Client;
  settings: StartSettings;
  /** Workflow starts in flight at once, across all events. */
  concurrency: number;
  /** Queued starts beyond which accepted events wait in PostgreSQL (default MAX_QUEUED_STARTS). */
  maxQueuedStarts?: number;
  log: Logger;
  /** With tracing on: each event's fan-out is a span, parent of its workflow starts. */
  trace?: FanoutTracer;
}

interface EventJob {
  event: EventRef;
  remaining: number;
  failed: number;
  firstError?: unknown;
  done: (completed: boolean) => void;
  span?: EventFanoutSpan;
  /** Nobody awaits this event's mark (the API's queue, the refill): it may wait for others to share its UPDATE. */
  linger: boolean;
}

// PostgreSQL is the inbox: past this many queued starts, an accepted event's plan stays in the
// database and only its ID waits here; the queue refills from the database, in order of acceptance,
// once it has drained to half. Holding every accepted event's plan (up to 200,000 starts) was the
// bench's largest heap item during a burst.
const MAX_QUEUED_STARTS = 5_000;
// IDs kept for the refill; past this the sweeper finds the events after its grace.
const MAX_BACKLOG_IDS = 1_000_000;
// Events whose plans one refill query reads.
const REFILL_PAGE = 100;
// Completed events are marked in batches: one UPDATE per event would cost more than the start itself.
const MARK_BATCH = 200;
// Under load, events completed within this long share one UPDATE (measured: 0.57 UPDATEs per delivery
// through the batch endpoint when each waited only for the next turn of the event loop). Only for events
// nobody awaits: the sweeper, a ping and an operational event wait for their mark.
const MARK_LINGER_MS = 100;

/**
 * Starts the workflows of accepted events. The API hands events here after their transaction
 * commits and answers at once; Postgres stays the source of truth, so anything that fails here
 * (or is lost with the process) is picked up again by the sweeper. One shared pool of start
 * "lanes" serves every event, so a 1,000-subscription fan-out and a stream of single-subscription
 * events both keep `concurrency` starts in flight. The lanes take starts round-robin across tenants,
 * so one tenant's event accepted behind another tenant's large fan-out is not held up until it is done.
 */
export class Fanout {
  /** Starts waiting for a lane: round-robin across tenants, each tenant's in order of acceptance. */
  private readonly queue = new RoundRobinQueue<string, { job: EventJob; delivery: StartableDelivery }>();
  private lanes = 0;
  private toMark: EventRef[] = [];
  private marking?: Promise<void>;
  private markingNow?: Promise<void>;
  private idleWaiters: (() => void)[] = [];
  /** Accepted events left in PostgreSQL because the queue was full, oldest first. */
  private backlog: EventRef[] = [];
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
  enqueue(event: EventRef, deliveries: StartableDelivery[]): void {
    // An event larger than the bound still goes in when the queue is empty, or it would never start.
    if (this.queue.length > 0 && (this.backlog.length > 0 || this.queue.length + deliveries.length > this.maxQueued)) {
      if (this.backlog.length < MAX_BACKLOG_IDS) this.backlog.push(event);
      return;
    }
    void this.dispatch(event, deliveries, { linger: true });
  }

  /** Starts every delivery of one event; resolves true once the event is marked dispatched. */
  dispatch(event: EventRef, deliveries: StartableDelivery[], opts: { linger?: boolean } = {}): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const job: EventJob = { event, remaining: deliveries.length, failed: 0, done: resolve, span: this.deps.trace?.begin(event, deliveries.length), linger: opts.linger === true };
      if (deliveries.length === 0) {
        this.complete(job);
        return;
      }
      this.queue.push(event.tenantId, deliveries.map((delivery) => ({ job, delivery })));
      this.pump();
    });
  }

  /**
   * Forgets every start not made yet, with the event IDs left in PostgreSQL to refill from: what a
   * killed process loses. Those events stay undispatched, so the sweeper starts them again. (The
   * bench retires a replica this way, so its backlog does not compete with the next scenario.)
   */
  dropQueued(): void {
    this.queue.clear();
    this.backlog = [];
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
      if (this.backlog.length > 0 && this.queue.length < this.maxQueued / 2) this.refill();
      const { job, delivery } = next;
      try {
        // A lane serves every event's starts: each runs in its own event's trace.
        if (job.span) await job.span.run(() => startDelivery(this.deps.temporal, this.deps.settings, delivery));
        else await startDelivery(this.deps.temporal, this.deps.settings, delivery);
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

  /** Loads the plans of the events left in PostgreSQL, a page at a time, while the queue has room. */
  private refill(): void {
    this.refilling ??= (async () => {
      try {
        while (this.backlog.length > 0 && this.queue.length < this.maxQueued / 2) {
          const page = this.backlog.splice(0, REFILL_PAGE);
          for (const [event, deliveries] of await loadStartable(this.deps.db, page)) void this.dispatch(event, deliveries, { linger: true });
        }
      } catch (err) {
        // The events stay in PostgreSQL, undispatched; the sweeper finds them after its grace.
        this.backlog = [];
        this.deps.log.warn({ err }, 'could not refill the fan-out queue; the sweeper will pick the events up');
      } finally {
        this.refilling = undefined;
      }
    })();
  }

  private complete(job: EventJob): void {
    job.span?.end(job.failed);
    if (job.failed > 0) {
      this.deps.log.warn(
        { eventId: job.event.eventId, tenantId: job.event.tenantId, failed: job.failed, error: (job.firstError as Error)?.message },
        'some delivery workflows could not be started; the sweeper will retry',
      );
      job.done(false);
      return;
    }
    this.toMark.push(job.event);
    const waiter = this.scheduleMark(job.linger);
    void waiter.then(
      () => job.done(true),
      () => job.done(false),
    );
  }

  /**
   * Coalesces completed events into batched UPDATEs; a failed mark leaves them to the sweeper. A mark
   * someone awaits goes out on the next turn of the event loop, taking every event waiting with it.
   */
  private scheduleMark(linger: boolean): Promise<void> {
    if (!linger) {
      this.markingNow ??= new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
        this.markingNow = undefined;
        await this.flushMarks();
      });
      return this.markingNow;
    }
    this.marking ??= new Promise<void>((resolve) => setTimeout(resolve, MARK_LINGER_MS)).then(async () => {
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

export interface StartableDelivery extends FlowControlFacts, OrderingFacts {
  deliveryId: string;
  tenantId: string;
  eventId: string;
  subscriptionId: string;
  eventType: string;
  retryPolicy: Partial<RetryPolicyConfig> | null;
}

export type StartSettings = Pick<Config, 'retry' | 'requestTimeoutMs' | 'deadLetterRetentionSeconds'> & {
  /** Attempts to endpoints not yet known to answer fast one tenant may have open at once; 0 turns the lane off. */
  slowLaneInFlight?: number;
  temporal: Pick<Config['temporal'], 'taskQueue'>;
  /** Only with a client on a worker's shared native connection (connectShared). */
  eagerStart?: boolean;
};

// Temporal caps a fairness key at 64 bytes; a longer tenant ID keeps its first 64 (IDs are ASCII).
const fairnessKeyOf = (tenantId: string): string => tenantId.slice(0, 64);

/**
 * Starts one delivery workflow. The workflow ID is the delivery ID; USE_EXISTING plus
 * REJECT_DUPLICATE make a repeated start (client retry, sweeper, second replica) a no-op even when
 * the first delivery already finished.
 */
export async function startDelivery(
  temporal: Client,
  settings: StartSettings,
  d: StartableDelivery,
  rerun?: { carried: DeliveryStatus },
): Promise<void> {
  const input: DeliveryInput = {
    deliveryId: d.deliveryId,
    eventId: d.eventId,
    subscriptionId: d.subscriptionId,
    eventType: d.eventType,
    retryPolicy: { ...settings.retry, ...(d.retryPolicy ?? {}) },
    requestTimeoutMs: settings.requestTimeoutMs,
    deadLetterRetentionSeconds: settings.deadLetterRetentionSeconds,
    revision: DELIVERY_REVISION,
    ...flowControlInput(d, { taskQueue: settings.temporal.taskQueue, slowLaneInFlight: settings.slowLaneInFlight }),
    ...orderingInput(d),
    ...(rerun ? { carried: rerun.carried, nextTrigger: 'redeliver' as const } : {}),
  };
  try {
    // The workflow function itself is in workflows/delivery.ts; only its type crosses into this process.
    await temporal.workflow.start<typeof deliveryWorkflow>('deliveryWorkflow', {
      workflowId: d.deliveryId,
      taskQueue: settings.temporal.taskQueue,
      args: [input],
      // A rerun (redelivery of a closed delivery) is a new run under the same ID; it fails, rather than
      // joins, if a run is open, so a redelivery never rides on a round already under way.
      workflowIdConflictPolicy: rerun ? 'FAIL' : 'USE_EXISTING',
      workflowIdReusePolicy: rerun ? 'ALLOW_DUPLICATE' : 'REJECT_DUPLICATE',
      requestEagerStart: settings.eagerStart === true,
      // Task-queue fairness: where the server has it on, a tenant's backlog (a large fan-out, a
      // retry storm) gets its share of worker capacity, not all of it. Activities inherit the key.
      priority: { fairnessKey: fairnessKeyOf(d.tenantId) },
      typedSearchAttributes: [
        { key: HookflowStatus, value: 'scheduled' },
        { key: HookflowSubscriptionId, value: d.subscriptionId },
        { key: HookflowEventId, value: d.eventId },
        { key: HookflowEventType, value: d.eventType },
        { key: HookflowTenantId, value: d.tenantId },
      ],
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError && !rerun) return;
    throw err;
  }
}
