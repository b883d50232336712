import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { buildServer } from '../api/server';
import type { Config } from '../config';
import type { Db } from '../db/pool';
import { Fanout } from '../dispatch/fanout';
import { Sweeper } from '../dispatch/sweeper';
import { serveMetrics, type MetricsListener } from '../metrics/listener';
import { sharedMetrics, type Metrics } from '../metrics/registry';
import { watchFanout, watchPool } from '../metrics/sources';
import { watchFlowControl } from '../throttle/flow-gauges';
import type { Tracing } from '../telemetry/tracing';
import { watchFifoLines } from '../ordering/fifo-gauges';

export interface RunningApi {
  app: FastifyInstance;
  fanout: Fanout;
  sweeper: Sweeper;
  url: string;
  metrics: Metrics;
  /** The keyless listener on HOOKFLOW_METRICS_PORT, when configured. */
  metricsUrl?: string;
  stop(): Promise<void>;
}

/** The API process: HTTP server, in-process fan-out and the crash-recovery sweeper. */
export async function startApi(deps: {
  config: Config;
  db: Db;
  temporal: Client;
  log: Logger;
  /** True when `temporal` shares a native connection with a worker in this process. */
  eagerStart?: boolean;
  /** Defaults to this process's shared metrics (an API and a worker in one process count together). */
  metrics?: Metrics;
  /** Tracing, when on (startTracing): the client given must carry its interceptors too. */
  tracing?: Tracing;
}): Promise<RunningApi> {
  const { config, db, temporal, log } = deps;
  const metrics = (deps.metrics ?? sharedMetrics(config)).withProcessMetrics();
  const fanout = new Fanout({
    db,
    temporal,
    settings: { ...config, eagerStart: deps.eagerStart },
    concurrency: config.dispatchConcurrency,
    log,
    trace: deps.tracing?.fanout,
  });
  const sweeper = new Sweeper({ db, fanout, graceMs: config.sweepGraceMs, intervalMs: config.sweepIntervalMs, log });
  watchPool(metrics, db);
  watchFanout(metrics, db, fanout);
  watchFlowControl(metrics, temporal, config.temporal.taskQueue);
  watchFifoLines(metrics, temporal, config.temporal.taskQueue);
  const app = await buildServer({ config, db, temporal, fanout, metrics, logger: log, tracing: deps.tracing });
  const address = await app.listen({ host: config.host, port: config.port });
  let listener: MetricsListener | undefined;
  if (config.metricsPort !== undefined) listener = await serveMetrics(metrics, config.metricsHost, config.metricsPort);
  sweeper.start();
  // Pick up whatever a previous process accepted but did not finish dispatching.
  void sweeper.sweepOnce();
  return {
    app,
    fanout,
    sweeper,
    url: address,
    metrics,
    metricsUrl: listener?.url,
    async stop() {
      await app.close();
      await listener?.close();
      await sweeper.stop();
      await fanout.idle();
    },
  };
}
