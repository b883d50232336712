import { DefaultLogger, NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Logger } from 'pino';
import type { Client } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import type { Dispatcher } from 'undici';
import { createActivities } from '../../activities';
import type { Config } from '../config';
import type { Db } from '../db/pool';
import { sdkMetricsExporter } from '../metrics/temporal-sdk';
import type { WorkerObservability } from '../../activities';
import { bundleWorkflowsInChild } from './bundle-workflows';
import { freePort } from './dev-server';

export interface WorkerDeps {
  config: Config;
  db: Db;
  temporal: Client;
  http: Dispatcher;
  dataConverter?: DataConverter;
  /** A prebuilt bundle (tests build one once); otherwise workflows/ is bundled in a child process. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  tuning?: Partial<Pick<WorkerOptions, 'maxConcurrentActivityTaskExecutions' | 'maxConcurrentWorkflowTaskExecutions'>>;
  /** A connection shared with an in-process client (see connectShared); the worker then leaves closing it to its owner. */
  connection?: NativeConnection;
  /** Metrics and operational events for the activities. */
  observability?: WorkerObservability;
  /** Aborted when the grace time of a shutdown is over (see createActivities). */
  stopping?: AbortSignal;
}

export const WORKFLOWS_PATH = require.resolve('../../workflows');

/**
 * Routes the SDK's own logs (and activity `log` calls) into our pino logger at warn and above, so
 * the console shows problems rather than bundler chatter, and turns on Core's metrics on a private
 * loopback port that the worker's /metrics appends (src/metrics/temporal-sdk.ts). Runtime can be
 * installed once per process.
 */
async function installRuntime(log: Logger | undefined): Promise<void> {
  if (Runtime._instance || !log) return;
  const metricsPort = await freePort();
  if (Runtime._instance) return;
  Runtime.install({
    telemetryOptions: { metrics: sdkMetricsExporter(metricsPort) },
    // Our entry points own signal handling and shut down in order (API, worker drain, backends).
    shutdownSignals: [],
    logger: new DefaultLogger('WARN', (entry) => {
      const level = entry.level === 'ERROR' ? 'error' : 'warn';
      log[level]({ ...entry.meta, sdk: true }, entry.message);
    }),
  });
}

/** A native connection; the SDK runtime (and our logging) must be installed before the first one. */
export async function connectNative(config: Pick<Config, 'temporal'>, log?: Logger): Promise<NativeConnection> {
  await installRuntime(log);
  return NativeConnection.connect({ address: config.temporal.address ?? 'localhost:7233' });
}

export async function createWorker(
  deps: WorkerDeps & { log?: Logger },
): Promise<{ worker: Worker; connection: NativeConnection; ownsConnection: boolean }> {
  const connection = deps.connection ?? (await connectNative(deps.config, deps.log));
  const worker = await Worker.create({
    connection,
    namespace: deps.config.temporal.namespace,
    taskQueue: deps.config.temporal.taskQueue,
    workflowBundle: deps.workflowBundle ?? (await bundleWorkflowsInChild(WORKFLOWS_PATH)),
    activities: createActivities({ db: deps.db, http: deps.http, config: deps.config, temporal: deps.temporal, observability: deps.observability, stopping: deps.stopping }),
    dataConverter: deps.dataConverter,
    // Deliveries are I/O-bound: many concurrent HTTP attempts cost little CPU.
    maxConcurrentActivityTaskExecutions: 200,
    // Attempts still running after the grace time are cancelled (deliver aborts its request, a
    // recovery page stops between deliveries) and retried by the next worker: a slow endpoint must
    // not hold a Ctrl-C or a deploy for its whole request timeout. No shutdownForceTime: with it,
    // SDK 1.24 finalized a worker whose activity had just ended and threw "Worker still in use:
    // Expected 1 reference, but got 2" (a graceful stop in the middle of a recovery, measured).
    shutdownGraceTime: deps.config.shutdownGraceMs,
    ...deps.tuning,
  });
  return { worker, connection, ownsConnection: !deps.connection };
}
