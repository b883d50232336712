import { onShutdown } from '../../server/shutdown';
import { startWorker } from '../../server/worker-process';
import { openBackends } from './backends';

export async function runWorker(): Promise<void> {
  const { config, log, db, temporal, tracing } = await openBackends(['DATABASE_URL', 'TEMPORAL_ADDRESS']);
  const worker = await startWorker({ config, db, temporal: temporal.client, log, tracing });
  log.info({ taskQueue: config.temporal.taskQueue }, 'hookflow worker running');
  await Promise.race([worker.done, onShutdown(log, [['worker', () => worker.stop()]])]);
  await Promise.all([temporal.connection.close(), db.end(), tracing?.shutdown()]);
}
