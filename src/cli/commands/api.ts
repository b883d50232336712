import { Command } from '@commander-js/extra-typings';

export const apiCommand = () =>
  new Command('api')
    .summary('run the HTTP API')
    .description('Run the HTTP API. Needs DATABASE_URL, TEMPORAL_ADDRESS and HOOKFLOW_API_KEYS.')
    .action(async () => {
      // Required when run, not imported: the server's modules would add about a second to every other command's start.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { runApi } = require('../server/start-api') as typeof import('../server/start-api');
      await runApi();
    });
