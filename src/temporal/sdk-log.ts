import type { LogEntry } from '@temporalio/worker';
import type { Logger } from 'pino';
import { FailureTypes, type AttemptReport } from '../../workflows/messages';

// What an endpoint does to an attempt: normal operation for a webhook sender, not a problem of hookflow's.
const ENDPOINT_FAILURES = new Set<string>([FailureTypes.http, FailureTypes.network, FailureTypes.addressRefused]);

/** The one line a failed delivery attempt gets. */
export interface AttemptFailureLine {
  deliveryId: string;
  round?: number;
  attempt: number;
  statusCode: number | null;
  error: string;
}

/**
 * A failed attempt of the deliver activity because of the endpoint (a status, a network error, a
 * refused address), from the SDK's "Activity failed" entry; undefined for anything else.
 */
export function attemptFailure(entry: LogEntry): AttemptFailureLine | undefined {
  const meta = (entry.meta ?? {}) as Record<string, unknown>;
  if (entry.message !== 'Activity failed' || meta.activityType !== 'deliver' || typeof meta.workflowId !== 'string') return undefined;
  const error = meta.error as { type?: unknown; message?: unknown; details?: unknown } | undefined;
  if (typeof error?.type !== 'string' || !ENDPOINT_FAILURES.has(error.type)) return undefined;
  const report = (Array.isArray(error.details) ? error.details[0] : undefined) as Partial<AttemptReport> | undefined;
  return {
    deliveryId: meta.workflowId,
    ...(typeof report?.round === 'number' ? { round: report.round } : {}),
    attempt: typeof report?.attempt === 'number' ? report.attempt : Number(meta.attempt),
    statusCode: typeof report?.statusCode === 'number' ? report.statusCode : null,
    error: typeof error.message === 'string' ? error.message : error.type,
  };
}

/**
 * Where the SDK's log entries go. A failing endpoint is normal operation: its attempts get one info
 * line each (delivery, attempt, status, error) instead of the SDK's warning of several hundred
 * characters with a task token. Everything else the SDK warns about is a real problem and stays a
 * warning (or an error).
 */
export function routeSdkLog(log: Logger, entry: LogEntry): void {
  const failure = attemptFailure(entry);
  if (failure) {
    // With tracing on, the SDK's entry names the attempt's trace (Temporal's OpenTelemetry interceptor adds it).
    const meta = entry.meta as { trace_id?: unknown; span_id?: unknown } | undefined;
    const trace = typeof meta?.trace_id === 'string' ? { trace_id: meta.trace_id, span_id: meta.span_id } : {};
    log.info({ ...failure, ...trace }, 'delivery attempt failed');
    return;
  }
  log[entry.level === 'ERROR' ? 'error' : 'warn']({ ...entry.meta, sdk: true }, entry.message);
}
