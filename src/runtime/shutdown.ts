import type { Logger } from 'pino';

/**
 * Runs the given stop steps in order on the first SIGINT/SIGTERM; a second signal forces exit.
 * Steps run in the order given: stop taking work, drain, then close the backends.
 */
export function onShutdown(log: Logger, steps: [string, () => Promise<unknown>][]): Promise<void> {
  return new Promise((resolve) => {
    let stopping = false;
    const handler = (signal: NodeJS.Signals) => {
      if (stopping) {
        log.warn({ signal }, 'second signal: exiting now');
        process.exit(130);
      }
      stopping = true;
      log.info({ signal }, 'shutting down');
      void (async () => {
        for (const [name, step] of steps) {
          try {
            await step();
          } catch (err) {
            log.warn({ err, step: name }, 'shutdown step failed');
          }
        }
        resolve();
      })();
    };
    process.once('SIGINT', handler);
    process.once('SIGTERM', handler);
  });
}
