import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { buildServer } from '../api/server';
import type { Config } from '../config';
import type { Db } from '../db/pool';
import { FanoutDispatcher } from '../dispatch/fanout';
import { Sweeper } from '../dispatch/sweeper';

export interface RunningApi {
  app: FastifyInstance;
  fanout: FanoutDispatcher;
  sweeper: Sweeper;
  url: string;
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
}): Promise<RunningApi> {
  const { config, db, temporal, log } = deps;
  const fanout = new FanoutDispatcher({
    db,
    temporal,
    settings: { ...config, eagerStart: deps.eagerStart },
    concurrency: config.dispatchConcurrency,
    log,
  });
  const sweeper = new Sweeper({ db, fanout, graceMs: config.sweepGraceMs, intervalMs: config.sweepIntervalMs, log });
  const app = await buildServer({ config, db, temporal, fanout, logger: log });
  const address = await app.listen({ host: config.host, port: config.port });
  sweeper.start();
  // Pick up whatever a previous process accepted but did not finish dispatching.
  void sweeper.sweepOnce();
  return {
    app,
    fanout,
    sweeper,
    url: address,
    async stop() {
      await app.close();
      await sweeper.stop();
      await fanout.idle();
    },
  };
}
