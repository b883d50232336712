import { Command, InvalidArgumentError } from '@commander-js/extra-typings';

const batchSize = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new InvalidArgumentError('must be an integer from 1 to 10000');
  return n;
};

export const rotateSecretKeysCommand = () =>
  new Command('rotate-secret-keys')
    .summary('re-encrypt every stored signing secret under the first key of HOOKFLOW_SECRET_KEYS')
    .description(
      'After a new key was put first in HOOKFLOW_SECRET_KEYS (old keys kept after it), re-encrypt every stored ' +
        'signing secret under it, in batches, with progress. Resumable; exits 1 while rows are left under other keys. Needs DATABASE_URL.',
    )
    .option('--batch-size <n>', 'rows per transaction', batchSize, 500)
    .action(async (opts) => {
      // Required when run, not imported: the server's modules would add about a second to every other command's start.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { runRotateSecretKeys } = require('../server/rotate-secret-keys') as typeof import('../server/rotate-secret-keys');
      await runRotateSecretKeys(opts.batchSize);
    });
