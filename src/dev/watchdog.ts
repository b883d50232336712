// Why a watchdog, and why it holds under SIGKILL.
//
// `hookflow dev` starts the Temporal dev server and PostgreSQL in their own sessions (so a
// terminal's Ctrl-C reaches only hookflow, which stops them last, after the worker has drained).
// The price: nothing in the kernel stops them when hookflow dies. A SIGKILL runs no handler, and
// Node offers no prctl(PR_SET_PDEATHSIG). So hookflow starts one more small process, the watchdog,
// with a pipe as its stdin whose only write end is held by hookflow:
//   - When hookflow dies, however it dies (SIGKILL included), the kernel closes all of its file
//     descriptors as part of process exit. With the last write end closed, the watchdog's read
//     returns end-of-file; no code in the dying process has to run.
//   - The write end is close-on-exec (libuv opens every pipe with O_CLOEXEC), so neither Temporal
//     nor PostgreSQL inherits a copy that could keep the pipe open.
//   - The watchdog has its own session too, so killing hookflow's whole process group (or closing
//     its terminal) does not take the watchdog with it.
// On end-of-file the watchdog stops what it was told to watch (SIGTERM / PostgreSQL's fast
// shutdown, SIGKILL after a few seconds), each only if its pid still names the same process.
// If the watchdog itself is killed together with hookflow, the next `hookflow dev` finds the
// leftovers by their data directory and binary and stops them (see leftovers.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { readStat } from './proc';
import type { StopStep } from './stop-process';
import { encodeMessage, type Watched, type WatchdogMessage } from './watchdog-protocol';

const MAIN = path.join(__dirname, `watchdog-main${path.extname(__filename)}`);
// A watchdog that dies is replaced, a few times at most.
const MAX_RESPAWNS = 3;

export class Watchdog {
  private child?: ChildProcess;
  private readonly watched = new Map<number, Watched>();
  private respawns = 0;
  private closed = false;

  constructor(private readonly warn: (line: string) => void) {
    this.spawn();
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  watch(name: string, pid: number | undefined, steps: StopStep[]): void {
    if (pid === undefined) return;
    const child: Watched = { name, pid, startTicks: readStat(pid)?.startTicks, steps };
    this.watched.set(pid, child);
    this.send({ op: 'watch', child });
  }

  unwatch(pid: number | undefined): void {
    if (pid === undefined || !this.watched.delete(pid)) return;
    this.send({ op: 'unwatch', pid });
  }

  /** Clean shutdown: everything was stopped in order already; the watchdog exits with nothing to do. */
  close(): void {
    this.closed = true;
    for (const pid of [...this.watched.keys()]) this.unwatch(pid);
    this.child?.stdin?.end();
  }

  private send(m: WatchdogMessage): void {
    const stdin = this.child?.stdin;
    if (stdin && !stdin.destroyed) stdin.write(encodeMessage(m));
  }

  private spawn(): void {
    // Under tsx (npm start) the watchdog is TypeScript too and needs the same loader.
    const loader = MAIN.endsWith('.ts') ? ['--require', require.resolve('tsx/cjs')] : [];
    const child = spawn(process.execPath, [...loader, MAIN, String(process.pid)], {
      detached: true,
      stdio: ['pipe', 'inherit', 'inherit'],
    });
    this.child = child;
    child.stdin?.on('error', () => undefined);
    child.once('error', (err) => this.warn(`could not start the watchdog (${err.message}); a crash of hookflow dev may leave Temporal and PostgreSQL running until the next start`));
    child.once('exit', (code, signal) => {
      if (this.closed) return;
      if (this.respawns >= MAX_RESPAWNS) {
        this.warn(`the watchdog exited (code ${code}, signal ${signal}) ${this.respawns + 1} times; not restarting it`);
        return;
      }
      this.respawns += 1;
      this.warn(`the watchdog exited (code ${code}, signal ${signal}); starting a new one`);
      this.spawn();
      for (const w of this.watched.values()) this.send({ op: 'watch', child: w });
    });
  }
}
