import { Command } from '@commander-js/extra-typings';

export const workerCommand = () =>
  new Command('worker')
    .summary('run the Temporal worker that delivers webhooks')
    .description('Run the Temporal worker that delivers webhooks. Needs DATABASE_URL and TEMPORAL_ADDRESS.')
    .action(async () => {
      // Required when run, not imported: the server's modules would add about a second to every other command's start.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { runWorker } = require('../server/start-worker') as typeof import('../server/start-worker');
      await runWorker();
    });
