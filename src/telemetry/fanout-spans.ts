import { SpanStatusCode, context, trace, type Context, type Tracer } from '@opentelemetry/api';

/** One event's fan-out as a span; each workflow start runs in its context (the Temporal interceptor's span is its child). */
export interface EventFanoutSpan {
  run<T>(start: () => Promise<T>): Promise<T>;
  end(failed: number): void;
}

export interface FanoutTracer {
  /** Called where the fan-out of an event begins, in the caller's context (a traced API request's). */
  begin(event: { tenantId: string; eventId: string }, deliveries: number): EventFanoutSpan;
}

export function fanoutTracer(tracer: Tracer): FanoutTracer {
  return {
    begin(event, deliveries) {
      const span = tracer.startSpan('hookflow.fanout', {
        attributes: { 'hookflow.tenant_id': event.tenantId, 'hookflow.event_id': event.eventId, 'hookflow.deliveries': deliveries },
      });
      const ctx: Context = trace.setSpan(context.active(), span);
      return {
        run: (start) => context.with(ctx, start),
        end(failed) {
          if (failed > 0) {
            span.setAttribute('hookflow.failed_starts', failed);
            span.setStatus({ code: SpanStatusCode.ERROR, message: `${failed} workflow starts failed; the sweeper retries them` });
          }
          span.end();
        },
      };
    },
  };
}
