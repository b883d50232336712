import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import type { Logger } from 'pino';
import type { Config } from '../config';
import { freePort } from '../net/free-port';
import { sdkMetricsExporter } from '../metrics/temporal-sdk';
import { routeSdkLog } from './sdk-log';
import { connectionOptions } from './connection-options';

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
    logger: new DefaultLogger('WARN', (entry) => routeSdkLog(log, entry)),
  });
}

/** A native connection; the SDK runtime (and our logging) must be installed before the first one. */
export async function connectNative(config: Pick<Config, 'temporal'>, log?: Logger): Promise<NativeConnection> {
  await installRuntime(log);
  return NativeConnection.connect(connectionOptions(config.temporal));
}
