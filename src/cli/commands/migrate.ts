import { Command } from '@commander-js/extra-typings';

export const migrateCommand = () =>
  new Command('migrate')
    .summary('apply migrations, encrypt stored signing secrets, register search attributes, set retentions, then exit')
    .description("Apply database migrations, encrypt signing secrets still stored in plain text (HOOKFLOW_SECRET_KEYS), register Temporal search attributes, set the namespace's retention (HOOKFLOW_TEMPORAL_RETENTION) and the daily purge schedule, then exit. Needs DATABASE_URL and TEMPORAL_ADDRESS.")
    .action(async () => {
      // Required when run, not imported: the server's modules would add about a second to every other command's start.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { runMigrate } = require('../server/migrate') as typeof import('../server/migrate');
      await runMigrate();
    });
