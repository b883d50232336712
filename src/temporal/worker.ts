import { DefaultLogger, NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Logger } from 'pino';
import type { Client } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import type { Dispatcher } from 'undici';
import { createActivities } from '../../activities';
import type { Config } from '../config';
import type { Db } from '../db/pool';

export interface WorkerDeps {
  config: Config;
  db: Db;
  temporal: Client;
  http: Dispatcher;
  dataConverter?: DataConverter;
  /** A prebuilt bundle (tests build one once); otherwise the worker bundles workflows/ itself. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  tuning?: Partial<Pick<WorkerOptions, 'maxConcurrentActivityTaskExecutions' | 'maxConcurrentWorkflowTaskExecutions'>>;
  /** A connection shared with an in-process client (see connectShared); the worker then leaves closing it to its owner. */
  connection?: NativeConnection;
}

export const WORKFLOWS_PATH = require.resolve('../../workflows');

/**
 * Routes the SDK's own logs (and activity `log` calls) into our pino logger at warn and above, so
 * the console shows problems rather than bundler chatter. Runtime can be installed once per process.
 */
function installRuntimeLogging(log: Logger | undefined): void {
  if (Runtime._instance || !log) return;
  Runtime.install({
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
  installRuntimeLogging(log);
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
    ...(deps.workflowBundle ? { workflowBundle: deps.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    activities: createActivities({ db: deps.db, http: deps.http, config: deps.config, temporal: deps.temporal }),
    dataConverter: deps.dataConverter,
    // Deliveries are I/O-bound: many concurrent HTTP attempts cost little CPU.
    maxConcurrentActivityTaskExecutions: 200,
    shutdownGraceTime: '20s',
    ...deps.tuning,
  });
  return { worker, connection, ownsConnection: !deps.connection };
}
