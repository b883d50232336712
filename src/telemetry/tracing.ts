// OpenTelemetry tracing, off unless an OTLP endpoint is configured (OTEL_EXPORTER_OTLP_ENDPOINT or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT). Off, nothing of the SDK is loaded and no hook is installed:
// every hook point in hookflow takes an optional `Tracing` and does nothing without one.
import type { WorkflowClientInterceptor } from '@temporalio/client';
import type { WorkerOptions } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config';
import type { AttemptTracer } from './attempt-spans';
import type { FanoutTracer } from './fanout-spans';

export interface Tracing {
  /** For every Temporal client of the process: a workflow start is a span, and carries the trace in its headers. */
  clientInterceptors: { workflow: WorkflowClientInterceptor[] };
  /** For Worker.create: activity spans and the sink that exports the workflows' spans. */
  worker: Required<Pick<WorkerOptions, 'interceptors' | 'sinks'>>;
  /** Must be bundled with the workflows (bundleWorkflowCode's workflowInterceptorModules). */
  workflowInterceptorModules: string[];
  /** A server span around every /v1 request. */
  instrumentApi(app: FastifyInstance): void;
  fanout: FanoutTracer;
  attempt: AttemptTracer;
  /** Exports what is buffered now (the batch processor otherwise sends every few seconds). */
  flush(): Promise<void>;
  /** Exports what is still buffered and stops; for the end of the process. */
  shutdown(): Promise<void>;
}

let started: Tracing | undefined;

/**
 * The process's tracing, or undefined when it is off. One tracer provider per process (an API and a
 * worker in one process share it), registered globally so the Temporal interceptors find it.
 */
export function startTracing(config: Pick<Config, 'tracing'>): Tracing | undefined {
  if (!config.tracing) return undefined;
  // Required here, not imported above: with tracing off the SDK is never loaded.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createTracing } = require('./sdk') as typeof import('./sdk');
  started ??= createTracing(config.tracing);
  return started;
}
