// `npx tsx src/dev/install-temporal-cli.ts`: makes sure the Temporal CLI is available (building or
// downloading it if needed) and prints where it is. Used by CI before the tests start.
import { resolveTemporalCli } from './temporal-cli-binary';

resolveTemporalCli({ onProgress: (line) => console.log(`[temporal-cli] ${line}`) }).then(
  (cli) => console.log(`[temporal-cli] ${'path' in cli ? `${cli.path} (${cli.source})` : 'will be downloaded by the Temporal SDK'}`),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
