import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Logger } from 'pino';
import type { Client } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import type { Dispatcher } from 'undici';
import { createActivities } from '../../activities';
import type { Config } from '../config';
import type { Db } from '../db/pool';
import type { WorkerObservability } from '../../activities';
import { bundleWorkflowsInChild } from '../temporal/bundle-workflows';
import { connectNative } from '../temporal/native-connection';
import type { Tracing } from '../telemetry/tracing';

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
  /** Tracing, when on: a given workflowBundle must then include its workflowInterceptorModules. */
  tracing?: Tracing;
}

export const WORKFLOWS_PATH = require.resolve('../../workflows');

export async function createWorker(
  deps: WorkerDeps & { log?: Logger },
): Promise<{ worker: Worker; connection: NativeConnection; ownsConnection: boolean }> {
  const connection = deps.connection ?? (await connectNative(deps.config, deps.log));
  const worker = await Worker.create({
    connection,
    namespace: deps.config.temporal.namespace,
    taskQueue: deps.config.temporal.taskQueue,
    workflowBundle: deps.workflowBundle ?? (await bundleWorkflowsInChild(WORKFLOWS_PATH, deps.tracing?.workflowInterceptorModules)),
    activities: createActivities({
      db: deps.db,
      http: deps.http,
      config: deps.config,
      temporal: deps.temporal,
      observability: deps.observability,
      stopping: deps.stopping,
      trace: deps.tracing?.attempt,
    }),
    ...deps.tracing?.worker,
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
