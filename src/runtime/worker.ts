import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { Config } from '../config';
import type { Db } from '../db/pool';
import { urlPolicy } from '../security/policy-from-config';
import { createDeliveryDispatcher } from '../security/guarded-dispatcher';
import { createDataConverter } from '../temporal/payload-codec';
import { createWorker, type WorkerDeps } from '../temporal/worker';

export interface RunningWorker {
  /** Resolves when the worker has stopped (after stop(), or on a fatal error). */
  done: Promise<void>;
  stop(): Promise<void>;
}

export async function startWorker(deps: {
  config: Config;
  db: Db;
  temporal: Client;
  log: Logger;
  workflowBundle?: WorkerDeps['workflowBundle'];
  connection?: WorkerDeps['connection'];
}): Promise<RunningWorker> {
  const http = createDeliveryDispatcher({
    policy: urlPolicy(deps.config),
    connectTimeoutMs: Math.min(10_000, deps.config.requestTimeoutMs),
    keepAliveTimeoutMs: 30_000,
  });
  const { worker, connection, ownsConnection } = await createWorker({ ...deps, http, dataConverter: createDataConverter(deps.config) });
  const done = worker.run().finally(async () => {
    if (ownsConnection) await connection.close();
    await http.close();
  });
  return {
    done,
    async stop() {
      // shutdown() stops polling and lets in-flight activities finish within shutdownGraceTime.
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
    },
  };
}
