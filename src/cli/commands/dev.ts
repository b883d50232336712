import { Command } from '@commander-js/extra-typings';

export const devCommand = () =>
  new Command('dev')
    .summary('the whole stack on one machine (npm start)')
    .description('The whole stack on one machine: an embedded Temporal dev server and PostgreSQL (unless TEMPORAL_ADDRESS / DATABASE_URL are set), migrations, worker and API. State lives in .hookflow/ (HOOKFLOW_DATA_DIR).')
    .action(async () => {
      // Required when run, not imported: the server's modules would add about a second to every other command's start.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { runDev } = require('../server/dev') as typeof import('../server/dev');
      await runDev();
    });
