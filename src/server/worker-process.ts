import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { Config } from '../config';
import type { Db } from '../db/pool';
import { Fanout } from '../dispatch/fanout';
import { serveMetrics, type MetricsListener } from '../metrics/listener';
import { sharedMetrics, type Metrics } from '../metrics/registry';
import { watchPool } from '../metrics/sources';
import { scrapeSdkMetrics, sdkMetricsEndpoint } from '../metrics/temporal-sdk';
import { OpsEvents } from '../ops-events/emitter';
import { urlPolicy } from '../security/policy-from-config';
import { createGuardedAgent } from '../security/guarded-agent';
import { EgressProxyAgent } from '../security/egress-proxy';
import { createDataConverter } from '../temporal/payload-codec';
import { createWorker, type WorkerDeps } from './temporal-worker';
import type { Tracing } from '../telemetry/tracing';

export interface RunningWorker {
  /** Resolves when the worker has stopped (after stop(), or on a fatal error). */
  done: Promise<void>;
  metrics: Metrics;
  /** The worker's keyless /metrics listener (HOOKFLOW_METRICS_PORT), when configured. */
  metricsUrl?: string;
  stop(): Promise<void>;
}

// Operational events are few; a handful of concurrent starts is plenty.
const OPS_FANOUT_CONCURRENCY = 4;

export async function startWorker(deps: {
  config: Config;
  db: Db;
  temporal: Client;
  log: Logger;
  workflowBundle?: WorkerDeps['workflowBundle'];
  connection?: WorkerDeps['connection'];
  /** Defaults to this process's shared metrics. */
  metrics?: Metrics;
  /** Tracing, when on (startTracing): the client given must carry its interceptors too. */
  tracing?: Tracing;
}): Promise<RunningWorker> {
  const metrics = (deps.metrics ?? sharedMetrics(deps.config)).withProcessMetrics();
  watchPool(metrics, deps.db);
  // The worker starts operational events' deliveries itself; the API's sweeper covers any it could not.
  const opsFanout = new Fanout({
    db: deps.db,
    temporal: deps.temporal,
    settings: deps.config,
    concurrency: OPS_FANOUT_CONCURRENCY,
    log: deps.log,
    trace: deps.tracing?.fanout,
  });
  const ops = new OpsEvents({ db: deps.db, fanout: opsFanout, metrics });
  const agentOptions = { policy: urlPolicy(deps.config), connectTimeoutMs: Math.min(10_000, deps.config.requestTimeoutMs), keepAliveTimeoutMs: 30_000 };
  const http = deps.config.egressProxy ? new EgressProxyAgent({ ...agentOptions, proxyUrl: deps.config.egressProxy }) : createGuardedAgent(agentOptions);
  const stopping = new AbortController();
  const { worker, connection, ownsConnection } = await createWorker({
    ...deps,
    stopping: stopping.signal,
    http,
    dataConverter: createDataConverter(deps.config),
    observability: { metrics, ops },
  });
  // Known once the runtime is installed (by the first native connection, just above).
  const sdk = sdkMetricsEndpoint();
  if (sdk) metrics.appendText('temporal-sdk', () => scrapeSdkMetrics(sdk));
  let listener: MetricsListener | undefined;
  if (deps.config.metricsPort !== undefined) listener = await serveMetrics(metrics, deps.config.metricsHost, deps.config.metricsPort);
  const done = worker.run().finally(async () => {
    await opsFanout.idle().catch(() => undefined);
    await listener?.close();
    if (ownsConnection) await connection.close();
    // Not close(): after a forced stop an abandoned attempt may still be waiting on its endpoint,
    // and close() would wait for it. Nothing else uses these connections any more.
    await http.destroy();
  });
  return {
    done,
    metrics,
    metricsUrl: listener?.url,
    async stop() {
      // shutdown() stops polling and lets in-flight attempts finish within HOOKFLOW_SHUTDOWN_GRACE_MS,
      // then cancels the rest (src/server/temporal-worker.ts).
      if (worker.getState() === 'RUNNING') worker.shutdown();
      const graceOver = setTimeout(() => stopping.abort(), deps.config.shutdownGraceMs);
      await done.finally(() => clearTimeout(graceOver));
    },
  };
}
