import { Client, Connection, type ClientInterceptors } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import type { Config } from '../config';
import { connectionOptions } from './connection-options';

export interface TemporalClientHandle {
  client: Client;
  connection: Connection;
}

export async function connectClient(
  config: Pick<Config, 'temporal'>,
  dataConverter?: DataConverter,
  /** Tracing's, when it is on (src/telemetry/). */
  interceptors?: ClientInterceptors,
): Promise<TemporalClientHandle> {
  const connection = await Connection.connect(connectionOptions(config.temporal));
  const client = new Client({ connection, namespace: config.temporal.namespace, dataConverter, interceptors });
  return { client, connection };
}
