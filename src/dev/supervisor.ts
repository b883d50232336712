// Keeps one embedded backend (Temporal dev server, PostgreSQL) running while `hookflow dev` runs:
// if it exits without being asked to, it is started again on the same port and data, a few times
// at most; after that, or when a restart fails, `onFatal` gets a StartError and hookflow dev shuts
// down with that message. Either way nothing waits forever on a server that is gone.
import { asStartError, type StartError } from './start-error';

export interface Backend {
  pid?: number;
  exited?: Promise<string>;
  stop(): Promise<void>;
}

export interface SupervisorOptions<T extends Backend> {
  name: string;
  start: () => Promise<T>;
  /** Called with each new instance (to update the watchdog and run.json). */
  onStarted: (next: T, previous: T) => void;
  say: (line: string) => void;
  onFatal: (err: StartError) => void;
  /** Its log file, named in the give-up message. */
  logFile: string;
  maxRestarts?: number;
  windowMs?: number;
}

export class Supervisor<T extends Backend> {
  private stopping = false;
  private restarts: number[] = [];
  private pending?: Promise<void>;

  constructor(
    private readonly o: SupervisorOptions<T>,
    public current: T,
  ) {
    this.watch(current);
  }

  private watch(b: T): void {
    void b.exited?.then((why) => {
      if (this.stopping || b !== this.current) return;
      this.pending = this.restart(b, why);
    });
  }

  private async restart(dead: T, why: string): Promise<void> {
    const { name, say } = this.o;
    const max = this.o.maxRestarts ?? 3;
    const windowMs = this.o.windowMs ?? 5 * 60_000;
    const now = Date.now();
    this.restarts = this.restarts.filter((t) => now - t < windowMs);
    if (this.restarts.length >= max) {
      this.o.onFatal(
        asStartError(
          new Error(`it stopped ${max + 1} times within ${windowMs / 60_000} minutes`),
          `${name} (pid ${dead.pid}) ${why}, and hookflow dev gives up restarting it`,
          `read its log (${this.o.logFile}), fix what it names, and start hookflow dev again`,
        ),
      );
      return;
    }
    this.restarts.push(now);
    say(`${name} (pid ${dead.pid}) ${why} unexpectedly; starting it again (restart ${this.restarts.length} of ${max})`);
    try {
      const next = await this.o.start();
      if (this.stopping) {
        await next.stop();
        return;
      }
      this.current = next;
      this.o.onStarted(next, dead);
      say(`${name} is back (pid ${next.pid}) after ${Date.now() - now} ms`);
      this.watch(next);
    } catch (err) {
      this.o.onFatal(asStartError(err, `${name} could not be started again after it ${why}`, 'read the message above, then start hookflow dev again'));
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.pending;
    await this.current.stop();
  }
}
