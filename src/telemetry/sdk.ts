// Loaded only when tracing is on (see tracing.ts): the SDK, the OTLP exporter and Temporal's
// OpenTelemetry interceptors. The SDK is the 1.x line because @temporalio/interceptors-opentelemetry
// 1.24 hands its workflow spans to a 1.x span processor.
import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { Resource, detectResourcesSync, envDetectorSync } from '@opentelemetry/resources';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { OpenTelemetryActivityInboundInterceptor, OpenTelemetryWorkflowClientInterceptor, makeWorkflowExporter } from '@temporalio/interceptors-opentelemetry';
import type { TracingSettings } from '../config';
import { activityLogTrace } from './activity-log-trace';
import { instrumentApi } from './api-spans';
import { attemptTracer } from './attempt-spans';
import { fanoutTracer } from './fanout-spans';
import type { Tracing } from './tracing';

export const TRACER_NAME = 'hookflow';

export function createTracing(settings: TracingSettings): Tracing {
  // Headers, timeouts and compression come from the standard OTEL_EXPORTER_OTLP_* variables, read by the exporter.
  const exporter = settings.protocol === 'http/json' ? new OtlpJsonExporter({ url: settings.url }) : new OtlpProtoExporter({ url: settings.url });
  // OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME (the env detector) win over the default name.
  const resource = Resource.default()
    .merge(new Resource({ 'service.name': settings.serviceName }))
    .merge(detectResourcesSync({ detectors: [envDetectorSync] }));
  const processor = new BatchSpanProcessor(exporter);
  // The sampler (OTEL_TRACES_SAMPLER) and batching (OTEL_BSP_*) come from the environment too.
  const provider = new NodeTracerProvider({ resource, spanProcessors: [processor] });
  // Global: the AsyncLocalStorage context manager and the W3C propagator the Temporal interceptors use.
  provider.register();
  const tracer = provider.getTracer(TRACER_NAME);
  return {
    clientInterceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] },
    worker: {
      interceptors: {
        // Every attempt, local (a delivery's first) or regular, runs inside a RunActivity span; its log lines name the trace.
        activity: [(ctx) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(ctx) }), () => activityLogTrace()],
      },
      sinks: { exporter: makeWorkflowExporter(processor, resource) },
    },
    workflowInterceptorModules: [require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors')],
    instrumentApi: (app) => instrumentApi(app, tracer),
    fanout: fanoutTracer(tracer),
    attempt: attemptTracer(tracer),
    flush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}
