// `hookflow worker` of the next build: the released worker process (same configuration, activities,
// metrics and shutdown) running the workflow module of next-build/workflows.ts.
import { onShutdown } from '../../../../src/server/shutdown';
import { startWorker } from '../../../../src/server/worker-process';
import { openBackends } from '../../../../src/cli/server/backends';
import { bundleWorkflowsInChild } from '../../../../src/temporal/bundle-workflows';

async function main(): Promise<void> {
  const { config, log, db, temporal } = await openBackends(['DATABASE_URL', 'TEMPORAL_ADDRESS']);
  const workflowBundle = await bundleWorkflowsInChild(require.resolve('./workflows'));
  const worker = await startWorker({ config, db, temporal: temporal.client, log, workflowBundle });
  log.info({ taskQueue: config.temporal.taskQueue, build: 'next' }, 'hookflow worker running');
  await Promise.race([worker.done, onShutdown(log, [['worker', () => worker.stop()]])]);
  await Promise.all([temporal.connection.close(), db.end()]);
}

// Explicit exit, as the released CLI: keep-alive sockets must not hold a stopped worker open.
main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
