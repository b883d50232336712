import { ApplicationFailure, Context, log } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { Dispatcher } from 'undici';
import type { Config } from '../src/config';
import { isDatabaseUnavailable } from '../src/db/errors';
import type { Db } from '../src/db/pool';
import type { AttemptOutcome } from '../src/db/repos/attempts';
import { recordAttempt, type AttemptRecordUpdate } from '../src/db/repos/delivery-records';
import { loadDeliveryTarget, type DeliveryTarget } from '../src/db/repos/delivery-targets';
import { disableSubscription, signingSecrets } from '../src/db/repos/subscriptions';
import { isAddressNotAllowedError } from '../src/security/guarded-agent';
import { SecretUnavailableError, type SecretBox } from '../src/security/secret-box';
import { buildWebhookHeaders } from '../src/signing/standard-webhooks';
import { statusAfterFirstRoundAttempt } from '../workflows/delivery-status';
import { FailureTypes, attemptFailedSignal, type AttemptReport, type DeliverInput } from '../workflows/messages';
import { nextAttemptAt } from '../workflows/retry-policy';
import type { AttemptObserver } from './attempt-observer';
import { classifyResponse } from './http-outcome';
import { attemptHeaders } from './custom-headers';
import { sendWebhook } from './send-webhook';
import { enterRateSlot } from './throttle-slot';
import type { AttemptTracer } from '../src/telemetry/attempt-spans';


export interface DeliverDeps {
  db: Db;
  http: Dispatcher;
  config: Pick<Config, 'requestTimeoutMs' | 'responseBodyLimitBytes'>;
  temporal: Client;
  /** Metrics and operational notices (activities/attempt-observer.ts); absent in bare unit setups. */
  observer?: AttemptObserver;
  /** Aborted when a stopping worker's grace time is over (src/runtime/worker.ts). */
  stopping?: AbortSignal;
  /** Opens the sealed signing secrets (HOOKFLOW_SECRET_KEYS). */
  secrets: SecretBox;
  /** With tracing on: the request as a client span, and a traceparent for subscriptions that ask for one. */
  trace?: AttemptTracer;
}

export function createDeliver(deps: DeliverDeps) {
  return async function deliver(input: DeliverInput): Promise<AttemptReport> {
    const { info, cancellationSignal } = Context.current();
    const attempt = info.attempt + (input.attemptOffset ?? 0);
    const target = await loadTarget(deps.db, input);
    if (!target) {
      deps.observer?.discarded(undefined);
      throw ApplicationFailure.nonRetryable('event or subscription no longer exists', FailureTypes.eventMissing);
    }
    if (target.succeeded) {
      // This round already succeeded and its record was written, but the outcome never reached the
      // workflow (the worker was killed before its task completed, or the activity's completion was
      // lost). The endpoint has the event: answer with the recorded success instead of sending it again.
      log.info('attempt skipped: this round already succeeded', { deliveryId: input.deliveryId, round: input.round });
      const s = target.succeeded;
      return { round: input.round, attempt: s.attempt, at: s.started_at.toISOString(), durationMs: s.duration_ms, ...(s.status_code !== null ? { statusCode: s.status_code } : {}) };
    }
    if (!target.active) {
      deps.observer?.discarded(target.tenant_id);
      throw ApplicationFailure.nonRetryable('subscription is disabled or deleted', FailureTypes.subscriptionInactive);
    }

    const body = `{"type":${JSON.stringify(target.type)},"timestamp":${JSON.stringify(target.created_at.toISOString())},"data":${target.data_text}}`;
    const cancel = deps.stopping ? AbortSignal.any([cancellationSignal, deps.stopping]) : cancellationSignal;
    await enterRateSlot(input.slot, cancel);
    const startedAt = new Date();
    const signed = buildWebhookHeaders({
      id: input.eventId,
      timestampSeconds: Math.floor(startedAt.getTime() / 1000),
      body,
      secrets: openSecrets(deps.secrets, signingSecrets(target, startedAt), input.subscriptionId),
    });
    const headers = attemptHeaders(deps.secrets, input.subscriptionId, signed, target.headers);

    let statusCode: number | undefined;
    let excerpt: string | undefined;
    let excerptNote: string | null = null;
    let retryAfter: string | undefined;
    let error: { cls: string; message: string; refused: boolean } | undefined;
    const send = (sent: Record<string, string>) =>
      sendWebhook({
        url: target.url,
        headers: sent,
        body,
        dispatcher: deps.http,
        timeoutMs: deps.config.requestTimeoutMs,
        bodyLimit: deps.config.responseBodyLimitBytes,
        // A stopping worker ends in-flight attempts once its grace time is over; without this, an
        // endpoint that answers slowly would hold shutdown for the whole request timeout. The SDK
        // cancels regular activities itself, but not local ones (the first attempt), hence `stopping`.
        cancel: cancel,
      });
    try {
      const res = await (deps.trace
        ? deps.trace.send({ url: target.url, traceparent: target.traceparent, deliveryId: input.deliveryId, attempt }, headers, send)
        : send(headers));
      ({ statusCode, retryAfter } = res);
      excerpt = res.bodyExcerpt;
      excerptNote = res.bodyNote;
    } catch (err) {
      error = cancel.aborted ? interrupted() : describeNetworkError(err);
    }
    const durationMs = Date.now() - startedAt.getTime();
    const verdict = statusCode === undefined ? undefined : classifyResponse(statusCode, retryAfter, Date.now());
    const outcome: AttemptOutcome = verdict?.kind === 'success' ? 'succeeded' : error?.refused ? 'refused' : 'failed';

    const report: AttemptReport = { round: input.round, attempt, at: startedAt.toISOString(), durationMs, statusCode };
    const succeeded = verdict?.kind === 'success';
    const retryAfterMs = verdict?.kind === 'retry' ? verdict.retryAfterMs : undefined;
    if (!succeeded) report.error = error ? `${error.cls}: ${error.message}` : verdict?.reason;
    // A network error is retried like a 5xx; an address the policy refused is not.
    const retryVerdict = succeeded ? 'success' : error?.refused || verdict?.kind === 'stop' ? 'stop' : 'retry';
    const next = nextAttemptAt(input.retryPolicy, { number: attempt, verdict: retryVerdict, retryAfterMs, nowMs: Date.now() });
    if (next) report.nextAttemptAt = next;
    const willRetry = next !== undefined;

    const recorded = await bestEffort('attempt log and delivery record', () =>
      recordAttempt(
        deps.db,
        {
          deliveryId: input.deliveryId,
          subscriptionId: input.subscriptionId,
          eventId: input.eventId,
          round: input.round,
          attempt,
          startedAt,
          durationMs,
          statusCode: statusCode ?? null,
          responseBody: excerpt ?? null,
          responseBodyNote: excerptNote,
          errorClass: error?.cls ?? (succeeded ? null : 'HttpStatus'),
          errorMessage: error?.message ?? (verdict && verdict.kind !== 'success' ? verdict.reason : null),
          outcome,
        },
        recordUpdate(input, report, target.type, succeeded),
      ),
    );
    await deps.observer?.attempted({
      input, attempt, tenantId: target.tenant_id, eventType: target.type, eventCreatedAt: target.created_at,
      startedAt, durationMs, statusCode, error, verdict, nextAttemptAt: report.nextAttemptAt,
    });

    if (succeeded) {
      // The workflow writes the record itself when this write did not happen.
      return recorded ? report : { ...report, unrecorded: true };
    }

    if (error?.refused) {
      throw ApplicationFailure.create({ message: report.error, type: FailureTypes.addressRefused, nonRetryable: true, details: [report] });
    }
    if (verdict?.kind === 'stop') {
      if (verdict.disableSubscription) {
        await disableSubscription(deps.db, input.subscriptionId, `endpoint answered 410 Gone (delivery ${input.deliveryId})`);
        await deps.observer?.disabledByGone({ input, tenantId: target.tenant_id, eventType: target.type, url: target.url });
      }
      throw ApplicationFailure.create({ message: verdict.reason, type: FailureTypes.http, nonRetryable: true, details: [report] });
    }

    // A local attempt's failure goes straight back to the workflow; a signal would only add a workflow task.
    if (willRetry && !info.isLocal) await bestEffort('retry notice', () => notifyWorkflow(deps.temporal, report));
    throw ApplicationFailure.create({
      message: report.error ?? 'delivery failed',
      type: error ? FailureTypes.network : FailureTypes.http,
      details: [report],
      nextRetryDelay: retryAfterMs,
    });
  };
}

async function loadTarget(db: Db, input: DeliverInput): Promise<DeliveryTarget | undefined> {
  try {
    return await loadDeliveryTarget(db, input.eventId, input.subscriptionId, input);
  } catch (err) {
    // Nothing was sent. A distinct type lets the workflow wait for the database instead of
    // dead-lettering a delivery whose endpoint was never tried.
    if (isDatabaseUnavailable(err)) {
      throw ApplicationFailure.create({ message: 'database unavailable; no request was sent', type: FailureTypes.databaseUnavailable });
    }
    throw err;
  }
}

/** Plaintext lives only in this attempt's memory: not in the activity's input, result or errors. */
function openSecrets(box: SecretBox, sealed: string[], subscriptionId: string): string[] {
  try {
    return sealed.map((s) => box.open(s, subscriptionId));
  } catch (err) {
    if (!(err instanceof SecretUnavailableError)) throw err;
    throw ApplicationFailure.create({ message: `${err.message}; no request was sent`, type: FailureTypes.secretUnavailable });
  }
}

/** Tells the workflow a retry is coming, so its status query and search attribute say `retrying`. */
async function notifyWorkflow(temporal: Client, report: AttemptReport): Promise<void> {
  const { workflowExecution } = Context.current().info;
  if (!workflowExecution) return;
  await temporal.workflow.getHandle(workflowExecution.workflowId, workflowExecution.runId).signal(attemptFailedSignal, report);
}

/** The worker stopped mid-attempt: recorded as a failed attempt, and retried like a network error. */
const interrupted = () => ({ cls: 'Interrupted', message: 'the worker shut down during the attempt; it will be retried', refused: false });

const UNDICI_TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

function describeNetworkError(err: unknown): { cls: string; message: string; refused: boolean } {
  if (isAddressNotAllowedError(err)) {
    return { cls: 'AddressNotAllowed', message: rootMessage(err), refused: true };
  }
  const e = err as { name?: string; code?: string; message?: string };
  // The deadline is the abort signal's (activities/send-webhook.ts); undici's own timers are a later backstop.
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError' || (e?.code !== undefined && UNDICI_TIMEOUT_CODES.has(e.code))) {
    return { cls: 'Timeout', message: 'no complete response within the request timeout', refused: false };
  }
  return { cls: e?.code ?? e?.name ?? 'Error', message: rootMessage(err), refused: false };
}

function rootMessage(err: unknown): string {
  let e = err as { message?: string; cause?: unknown } | undefined;
  const parts: string[] = [];
  for (let depth = 0; e && depth < 4; depth++, e = e.cause as typeof e) {
    if (e.message && !parts.includes(e.message)) parts.push(e.message);
  }
  return parts.join(': ').slice(0, 500) || 'unknown error';
}

// The HTTP request has already happened; failing the activity now would resend it, so bookkeeping
// that fails is logged, never thrown. Returns whether it succeeded.
async function bestEffort(what: string, fn: () => Promise<unknown>): Promise<boolean> {
  try {
    await fn();
    return true;
  } catch (err) {
    log.warn(`could not write ${what}`, { error: (err as Error).message });
    return false;
  }
}

/**
 * How this attempt moves the delivery's record. In the first round the attempt knows the whole
 * status the workflow holds (workflows/delivery-status.ts computes both), so the record is exact even
 * if the workflow never writes again: on the happy path it does not. Later rounds move the columns;
 * the workflow writes its status when it closes.
 */
function recordUpdate(input: DeliverInput, report: AttemptReport, eventType: string, succeeded: boolean): AttemptRecordUpdate {
  const state = succeeded ? 'succeeded' : report.nextAttemptAt ? 'retrying' : undefined;
  // Only an exact status closes the record: a later round's success leaves it open (reads keep
  // asking the workflow) until the workflow writes its final status.
  const update: AttemptRecordUpdate = { state, succeeded, nextAttemptAt: report.nextAttemptAt };
  if (input.round !== 1 || input.trigger !== 'initial' || !input.roundStartedAt) return update;
  const status = statusAfterFirstRoundAttempt({ ...input, eventType }, input.roundStartedAt, report, succeeded);
  return status ? { ...update, status, completedAt: status.completedAt } : update;
}
