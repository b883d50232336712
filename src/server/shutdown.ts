import type { Logger } from 'pino';

// Ctrl-C in a terminal signals the whole process group, and wrappers (npm, tsx) relay it again, so
// the same keypress can arrive twice. Repeats within this window are that echo, not a second request.
// tsx relays within 30 ms (it SIGKILLs a child that does not confirm by then), so half a second covers
// the echo without swallowing a person's deliberate second Ctrl-C.
const ECHO_WINDOW_MS = 500;

/**
 * Runs the given stop steps in order on the first SIGINT/SIGTERM, or when `trigger` resolves (a
 * fatal condition found by the caller); a later signal forces exit.
 * Steps run in the order given: stop taking work, drain, then close the backends.
 */
export function onShutdown(log: Logger, steps: [string, () => Promise<unknown>][], trigger?: Promise<string>): Promise<void> {
  return new Promise((resolve) => {
    let firstAt: number | undefined;
    const handler = (signal: string) => {
      if (firstAt !== undefined) {
        if (Date.now() - firstAt < ECHO_WINDOW_MS) return;
        log.warn({ signal }, 'second signal: exiting now');
        process.exit(130);
      }
      firstAt = Date.now();
      log.info({ signal }, 'shutting down');
      void (async () => {
        for (const [name, step] of steps) {
          const began = Date.now();
          try {
            await step();
            // LOG_LEVEL=debug shows where shutdown time goes.
            log.debug({ step: name, ms: Date.now() - began }, 'shutdown step done');
          } catch (err) {
            log.warn({ err, step: name, ms: Date.now() - began }, 'shutdown step failed');
          }
        }
        process.removeListener('SIGINT', handler);
        process.removeListener('SIGTERM', handler);
        resolve();
      })();
    };
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
    void trigger?.then((why) => firstAt === undefined && handler(why));
  });
}
