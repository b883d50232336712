import { Command, type CommandUnknownOpts } from '@commander-js/extra-typings';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { apiCommand } from './commands/api';
import { deliveriesCommand } from './commands/deliveries';
import { devCommand } from './commands/dev';
import { eventTypesCommand } from './commands/event-types';
import { listenCommand } from './commands/listen';
import { migrateCommand } from './commands/migrate';
import { pingCommand } from './commands/ping';
import { recoverCommand } from './commands/recover';
import { redeliverCommand } from './commands/redeliver';
import { rotateSecretKeysCommand } from './commands/rotate-secret-keys';
import { sendCommand } from './commands/send';
import { statsCommand } from './commands/stats';
import { workerCommand } from './commands/worker';

// From src/cli/ and from dist/src/cli/ alike, package.json is found by walking up.
function version(): string {
  for (let dir = __dirname, i = 0; i < 5; i++, dir = path.dirname(dir)) {
    try {
      return (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string }).version;
    } catch {
      // not here; one level up
    }
  }
  return 'unknown';
}

export function buildProgram() {
  const program = new Command('hookflow')
    .description(
      'Durable webhooks on Temporal.\n\n' +
        'Server commands (dev, api, worker, migrate, rotate-secret-keys) read the environment described in the README. ' +
        'The others talk to a running API: HOOKFLOW_URL (default http://localhost:$PORT, or :3000) and ' +
        'HOOKFLOW_API_KEY (default: .hookflow/dev-api-key, written by `npm start`). ' +
        'Exit codes: 0 done, 1 an error answer or a failed job, 2 a command typed wrong.',
    )
    .version(version())
    .addCommand(devCommand())
    .addCommand(apiCommand())
    .addCommand(workerCommand())
    .addCommand(migrateCommand())
    .addCommand(rotateSecretKeysCommand())
    .addCommand(listenCommand())
    .addCommand(sendCommand())
    .addCommand(pingCommand())
    .addCommand(deliveriesCommand())
    .addCommand(statsCommand())
    .addCommand(eventTypesCommand())
    .addCommand(redeliverCommand())
    .addCommand(recoverCommand());
  // addCommand does not pass settings down; these hold for every level.
  const everywhere = (c: CommandUnknownOpts) => {
    c.showHelpAfterError('(add --help for usage)').exitOverride();
    for (const sub of c.commands) everywhere(sub);
  };
  everywhere(program);
  return program;
}
