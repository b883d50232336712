import { Client, Connection } from '@temporalio/client';
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
): Promise<TemporalClientHandle> {
  const connection = await Connection.connect(connectionOptions(config.temporal));
  const client = new Client({ connection, namespace: config.temporal.namespace, dataConverter });
  return { client, connection };
}
