// The `hookflow` command (bin/hookflow.js, `npm start` = `hookflow dev`). One file per command
// under commands/; this entry maps every failure to a message and an exit code.
import { CommanderError } from '@commander-js/extra-typings';
import { EXIT_USAGE, reportError } from './errors';
import { buildProgram } from './program';

async function main(): Promise<number> {
  try {
    await buildProgram().parseAsync(process.argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander has printed the message (or the help) already.
      return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help' ? 0 : EXIT_USAGE;
    }
    return reportError(err, process.env.HOOKFLOW_URL || `http://localhost:${process.env.PORT || 3000}`);
  }
}

// Explicit exit: keep-alive sockets and the like must not hold a finished command open.
void main().then((code) => process.exit(code));
