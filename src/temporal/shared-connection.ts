import { Client, type ClientInterceptors } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import type { NativeConnection } from '@temporalio/worker';
import type { Logger } from 'pino';
import type { Config } from '../config';
import { connectNative } from './native-connection';

export interface SharedTemporalHandle {
  client: Client;
  /** Also the worker's connection: pass it to startWorker. */
  connection: NativeConnection;
}

/**
 * A client on the worker's own native connection, for a process that runs API and worker together
 * (`hookflow dev`). Only such a client can request eager workflow start: the server hands the first
 * workflow task back in the start response, to the worker beside it, skipping a matching round trip.
 */
export async function connectShared(
  config: Pick<Config, 'temporal'>,
  dataConverter: DataConverter | undefined,
  log: Logger,
  interceptors?: ClientInterceptors,
): Promise<SharedTemporalHandle> {
  const connection = await connectNative(config, log);
  const client = new Client({ connection, namespace: config.temporal.namespace, dataConverter, interceptors });
  return { client, connection };
}
