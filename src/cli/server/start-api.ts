import { startApi } from '../../server/api-process';
import { onShutdown } from '../../server/shutdown';
import { openBackends } from './backends';

export async function runApi(): Promise<void> {
  const { config, log, db, temporal, tracing } = await openBackends(['DATABASE_URL', 'TEMPORAL_ADDRESS', 'HOOKFLOW_API_KEYS']);
  const api = await startApi({ config, db, temporal: temporal.client, log, tracing });
  log.info({ url: api.url }, 'hookflow API listening');
  await onShutdown(log, [
    ['api', () => api.stop()],
    ['temporal', () => temporal.connection.close()],
    ['postgres', () => db.end()],
    ['tracing', async () => tracing?.shutdown()],
  ]);
}
