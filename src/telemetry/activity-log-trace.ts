import { isSpanContextValid, trace } from '@opentelemetry/api';
import type { ActivityInterceptors } from '@temporalio/worker';

/**
 * Gives the worker's log lines about an attempt its trace: the SDK writes "Activity failed" after the
 * activity's span has ended and its context is gone, so the IDs are remembered while it runs (inside
 * Temporal's RunActivity span: this must come after Temporal's OpenTelemetry interceptor).
 */
export function activityLogTrace(): ActivityInterceptors {
  let fields: { trace_id: string; span_id: string } | undefined;
  return {
    inbound: {
      execute(input, next) {
        const sc = trace.getActiveSpan()?.spanContext();
        if (sc && isSpanContextValid(sc)) fields = { trace_id: sc.traceId, span_id: sc.spanId };
        return next(input);
      },
    },
    outbound: {
      getLogAttributes: (input, next) => next(fields ? { ...fields, ...input } : input),
    },
  };
}
