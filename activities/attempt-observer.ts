// What the delivery activity reports after each attempt, kept out of deliver.ts so the delivery
// path reads as before: metrics, and the operational notices `failing` and `recovered`. Runs in
// the activity, never in workflow code, so workflows stay deterministic.
import { log } from '@temporalio/activity';
import type { Metrics } from '../src/metrics/registry';
import { statusClass } from '../src/metrics/status-class';
import { opsEventId, type OpsEvents } from '../src/ops-events/emitter';
import { OpsEventType, isOperationalType } from '../src/ops-events/types';
import type { DeliverInput } from '../workflows/messages';
import type { ResponseVerdict } from './http-outcome';

export interface AttemptFacts {
  input: DeliverInput;
  attempt: number;
  tenantId: string;
  eventType: string;
  eventCreatedAt: Date;
  startedAt: Date;
  durationMs: number;
  statusCode?: number;
  /** A network-level failure: no status code. */
  error?: { cls: string; message: string; refused: boolean };
  verdict?: ResponseVerdict;
  /** When the next attempt is due; absent when none follows. */
  nextAttemptAt?: string;
}

// Rounds looked back over for a failing notice that a success recovers from.
const ROUNDS_LOOKED_BACK = 20;

export class AttemptObserver {
  constructor(private readonly deps: { metrics: Metrics; ops?: OpsEvents; failingAfter: number }) {}

  async attempted(f: AttemptFacts): Promise<void> {
    const { metrics } = this.deps;
    const { input } = f;
    const verdict = f.verdict?.kind;
    metrics.attempt(statusClass({ statusCode: f.statusCode, errorClass: f.error?.cls, refused: f.error?.refused }), f.durationMs, f.tenantId);
    // Operational deliveries are counted like any other but never produce operational events: an
    // operator endpoint that fails cannot feed a loop.
    const notify = this.deps.ops !== undefined && !isOperationalType(f.eventType);

    if (verdict === 'success') {
      metrics.deliveryFinished('succeeded', f.tenantId);
      if (input.round === 1) metrics.firstSuccessLatency((f.startedAt.getTime() + f.durationMs - f.eventCreatedAt.getTime()) / 1000);
      if (notify) await this.logged('recovered notice', () => this.recovered(f));
      return;
    }
    const { nextAttemptAt } = f;
    if (nextAttemptAt === undefined) return;
    metrics.retryScheduled(f.tenantId);
    // Sent from the Nth failure on, not only at the Nth: if storing it fails once, the next failed
    // attempt stores it (same ID, so never twice).
    if (notify && f.attempt >= this.deps.failingAfter) {
      await this.logged('failing notice', () =>
        this.deps.ops!.emit(OpsEventType.deliveryFailing, `${input.deliveryId}|${input.round}`, {
          ...ref(f),
          round: input.round,
          failedAttempts: f.attempt,
          lastStatusCode: f.statusCode ?? null,
          lastError: f.error ? `${f.error.cls}: ${f.error.message}` : f.verdict && f.verdict.kind !== 'success' ? f.verdict.reason : null,
          nextAttemptAt,
        }),
      );
    }
  }

  /** Once its subscription or event is gone the delivery ends as discarded. */
  discarded(tenantId: string | undefined): void {
    this.deps.metrics.deliveryFinished('discarded', tenantId);
  }

  /** After the endpoint's 410 disabled the subscription; throws if the notice could not be stored. */
  async disabledByGone(f: { input: DeliverInput; tenantId: string; eventType: string; url: string }): Promise<void> {
    if (this.deps.ops && !isOperationalType(f.eventType)) {
      await this.deps.ops.emit(OpsEventType.subscriptionDisabled, `gone|${f.input.subscriptionId}|${f.input.deliveryId}|${f.input.round}`, {
        subscriptionId: f.input.subscriptionId,
        tenantId: f.tenantId,
        url: f.url,
        reason: 'gone',
        detail: 'the endpoint answered 410 Gone',
        deliveryId: f.input.deliveryId,
        disabledAt: new Date().toISOString(),
      });
    }
    // Counted once stored: a failed emit retries the activity, which comes back here.
    this.deps.metrics.subscriptionDisabled('gone', f.tenantId);
  }

  /** `recovered` only follows a `failing` notice (this round or an earlier one) that was stored. */
  private async recovered(f: AttemptFacts): Promise<void> {
    const { input } = f;
    // The common case, a success within the first N attempts of the first round, costs no query.
    if (input.round === 1 && f.attempt <= this.deps.failingAfter) return;
    const rounds = Array.from({ length: Math.min(input.round, ROUNDS_LOOKED_BACK) }, (_, i) => input.round - i);
    const failing = rounds.map((r) => opsEventId(OpsEventType.deliveryFailing, `${input.deliveryId}|${r}`));
    if (!(await this.deps.ops!.anyExists(failing))) return;
    await this.deps.ops!.emit(OpsEventType.deliveryRecovered, `${input.deliveryId}|${input.round}`, {
      ...ref(f),
      round: input.round,
      attempt: f.attempt,
      statusCode: f.statusCode!,
      recoveredAt: new Date(f.startedAt.getTime() + f.durationMs).toISOString(),
    });
  }

  // The HTTP request has happened: failing the activity now would send it again.
  private async logged(what: string, fn: () => Promise<unknown>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      log.warn(`could not emit ${what}`, { error: (err as Error).message });
    }
  }
}

const ref = (f: AttemptFacts) => ({
  deliveryId: f.input.deliveryId,
  eventId: f.input.eventId,
  eventType: f.eventType,
  subscriptionId: f.input.subscriptionId,
  tenantId: f.tenantId,
});
