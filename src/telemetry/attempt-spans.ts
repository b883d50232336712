import { SpanKind, SpanStatusCode, context, trace, type Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

export interface TracedAttempt {
  url: string;
  /** The subscription asked for a `traceparent` header (off by default: the customer's trace is theirs). */
  traceparent: boolean;
  deliveryId: string;
  attempt: number;
}

export interface AttemptTracer {
  /** One attempt's HTTP request as a client span; `send` gets the headers to send (a traceparent added when asked for). */
  send<T extends { statusCode: number }>(attempt: TracedAttempt, headers: Record<string, string>, send: (headers: Record<string, string>) => Promise<T>): Promise<T>;
}

const w3c = new W3CTraceContextPropagator();

export function attemptTracer(tracer: Tracer): AttemptTracer {
  return {
    async send(attempt, headers, send) {
      const url = new URL(attempt.url);
      // Not url.full: a query string or user info may hold the customer's credentials.
      const span = tracer.startSpan('POST', {
        kind: SpanKind.CLIENT,
        attributes: {
          'http.request.method': 'POST',
          'server.address': url.hostname,
          'server.port': Number(url.port) || (url.protocol === 'https:' ? 443 : 80),
          'url.scheme': url.protocol.slice(0, -1),
          'hookflow.delivery_id': attempt.deliveryId,
          'hookflow.attempt': attempt.attempt,
        },
      });
      const ctx = trace.setSpan(context.active(), span);
      let sent = headers;
      if (attempt.traceparent) {
        // traceparent alone: no baggage and no tracestate (a caller's vendor data) leave for a customer's endpoint.
        const carrier: Record<string, string> = {};
        w3c.inject(ctx, carrier, { set: (c: Record<string, string>, k: string, v: string) => void (c[k] = v) });
        if (carrier.traceparent) sent = { ...headers, traceparent: carrier.traceparent };
      }
      try {
        const res = await context.with(ctx, () => send(sent));
        span.setAttribute('http.response.status_code', res.statusCode);
        // For a client, 4xx and 5xx are errors (OpenTelemetry's HTTP conventions).
        if (res.statusCode >= 400) span.setStatus({ code: SpanStatusCode.ERROR });
        return res;
      } catch (err) {
        const e = err as { name?: string; code?: string };
        span.setAttribute('error.type', e?.code ?? e?.name ?? 'Error');
        span.recordException(err as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error)?.message });
        throw err;
      } finally {
        span.end();
      }
    },
  };
}
