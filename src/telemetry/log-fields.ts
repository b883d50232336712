import { context, isSpanContextValid, trace, type Span } from '@opentelemetry/api';

// A logger that already carries the trace in its bindings (a traced request's logger).
const BOUND = Symbol('hookflow.traceBound');

/**
 * pino's mixin: a line logged while a span is active carries its trace and span IDs, as OpenTelemetry
 * names them (the same fields Temporal's interceptors give activity log lines).
 */
export function traceLogFields(_merge: object, _level: number, logger?: object): Record<string, string> {
  // A fresh object each time: pino merges the line's own fields into it.
  if (logger && (logger as Record<symbol, unknown>)[BOUND]) return {};
  const span = trace.getSpan(context.active());
  return span ? spanFields(span) : {};
}

/** A child logger bound to the span, for lines logged outside its context (a request's access line). */
export function childWithTrace<L extends object>(child: (bindings: Record<string, string>) => L, span: Span): L {
  const logger = child(spanFields(span));
  (logger as Record<symbol, unknown>)[BOUND] = true;
  return logger;
}

function spanFields(span: Span): Record<string, string> {
  const sc = span.spanContext();
  return isSpanContextValid(sc) ? { trace_id: sc.traceId, span_id: sc.spanId } : {};
}
