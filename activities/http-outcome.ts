// Pure rules that turn an HTTP response into a retry decision: 2xx succeeds, 410 disables, other 4xx
// stop, the rest retry (429/502/503/504 honouring Retry-After).

export type ResponseVerdict =
  | { kind: 'success' }
  | { kind: 'retry'; reason: string; retryAfterMs?: number }
  | { kind: 'stop'; reason: string; disableSubscription: boolean };

// Bounds for a receiver's Retry-After: never hammer faster than 1 s, never stall a delivery
// longer than an hour on one header.
export const RETRY_AFTER_MIN_MS = 1_000;
export const RETRY_AFTER_MAX_MS = 3_600_000;

const RETRY_AFTER_STATUSES = new Set([429, 502, 503, 504]);
// 4xx codes that describe a transient condition rather than a rejected request.
const RETRYABLE_4XX = new Set([408, 425, 429]);

export function classifyResponse(statusCode: number, retryAfter: string | undefined, nowMs: number): ResponseVerdict {
  if (statusCode >= 200 && statusCode < 300) return { kind: 'success' };
  if (statusCode === 410) {
    return { kind: 'stop', reason: 'endpoint answered 410 Gone; subscription disabled', disableSubscription: true };
  }
  if (statusCode >= 400 && statusCode < 500 && !RETRYABLE_4XX.has(statusCode)) {
    return { kind: 'stop', reason: `endpoint rejected the request with ${statusCode}`, disableSubscription: false };
  }
  const reason =
    statusCode >= 300 && statusCode < 400
      ? `endpoint answered ${statusCode} redirect; redirects are not followed`
      : `endpoint answered ${statusCode}`;
  if (RETRY_AFTER_STATUSES.has(statusCode)) {
    const retryAfterMs = parseRetryAfter(retryAfter, nowMs);
    if (retryAfterMs !== undefined) {
      return { kind: 'retry', reason, retryAfterMs: clamp(retryAfterMs, RETRY_AFTER_MIN_MS, RETRY_AFTER_MAX_MS) };
    }
  }
  return { kind: 'retry', reason };
}

/** RFC 9110 Retry-After: delay-seconds or an HTTP-date. Anything else is ignored. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d{1,10}$/.test(trimmed)) return Number(trimmed) * 1000;
  // Date.parse is lenient; require the HTTP-date shape before trusting it.
  if (!/^[A-Za-z]{3}, \d{2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/.test(trimmed)) return undefined;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

function clamp(v: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, v));
}
