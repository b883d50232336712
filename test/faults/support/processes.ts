// Real hookflow processes for the fault suite: `hookflow api|worker|migrate` from the working tree,
// configured only through env vars, exactly as in production. Every child is tracked so `after` hooks can kill
// it and prove it is gone.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..', '..');
// What bin/hookflow.js runs when nothing is built. Not bin/hookflow.js itself: it prefers dist/, and a
// dist/ left from an earlier build would put old code under test (it once hid a protocol change).
const CLI_SOURCE = path.join(ROOT, 'src', 'cli', 'index.ts');
const TAIL_LINES = 200;

export type Role = 'api' | 'worker' | 'migrate';

export interface HookflowProcess {
  role: Role;
  pid: number;
  /** The last lines the process wrote (stdout and stderr), for failure messages. */
  tail: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  running(): boolean;
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<string>;
  /** SIGKILL, then waits until the pid no longer exists. */
  kill9(): Promise<void>;
  /** SIGTERM (graceful drain), SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

const live = new Set<HookflowProcess>();
// A crashed test must not leave processes behind; exit handlers can only do synchronous work.
process.once('exit', () => {
  for (const p of live) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
});

/** The environment a child gets: nothing from the test runner except what a process needs to run. */
function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { NODE_ENV: 'test' };
  for (const k of ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ']) if (process.env[k]) base[k] = process.env[k];
  return { ...base, ...env };
}

/** `script`: a TypeScript entry point run instead of `hookflow <role>` (a test's other build). */
export function spawnHookflow(role: Role, env: Record<string, string>, script?: string): HookflowProcess {
  const args = script ? ['--import', 'tsx', script] : ['--import', 'tsx', CLI_SOURCE, role];
  const child = spawn(process.execPath, args, { cwd: ROOT, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid === undefined) throw new Error(`could not spawn hookflow ${role}`);
  const tail: string[] = [];
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  let partial = '';
  const onData = (chunk: Buffer): void => {
    const lines = (partial + chunk.toString('utf8')).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.trim()) continue;
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
      for (const w of waiters.slice()) {
        if (w.pattern.test(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  };
  // Always drained: a child blocked on a full pipe would look like a hang.
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  let done = false;
  void exited.then(() => {
    done = true;
    live.delete(proc);
  });

  const proc: HookflowProcess = {
    role,
    pid: child.pid,
    tail,
    exited,
    running: () => !done,
    waitForLine(pattern, timeoutMs) {
      const seen = tail.find((l) => pattern.test(l));
      if (seen) return Promise.resolve(seen);
      return new Promise<string>((resolve, reject) => {
        const waiter = { pattern, resolve: (l: string) => (clearTimeout(timer), resolve(l)) };
        const fail = (why: string) => {
          const i = waiters.indexOf(waiter);
          if (i < 0) return;
          waiters.splice(i, 1);
          reject(new Error(`hookflow ${role} (pid ${child.pid}) ${why} before logging ${pattern}:\n${tail.slice(-30).join('\n')}`));
        };
        const timer = setTimeout(() => fail(`did not log within ${timeoutMs} ms`), timeoutMs);
        waiters.push(waiter);
        void exited.then(({ code, signal }) => {
          clearTimeout(timer);
          fail(`exited (code ${code}, signal ${signal})`);
        });
      });
    },
    async kill9() {
      if (!done) child.kill('SIGKILL');
      await exited;
      await assertGone(child.pid!, `hookflow ${role}`);
    },
    async stop(graceMs = 10_000) {
      if (done) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
      await assertGone(child.pid!, `hookflow ${role}`);
    },
  };
  live.add(proc);
  return proc;
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Waits (bounded) until `pid` is gone, so a leftover process fails the test that left it. */
export async function assertGone(pid: number, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (pidAlive(pid)) {
    if (Date.now() > deadline) throw new Error(`${what} (pid ${pid}) is still running ${timeoutMs} ms after it was stopped`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Resident memory of a process in MB, from /proc/<pid>/status; undefined once it is gone. */
export function rssMb(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Samples a process's RSS every `everyMs` until stopped; reports the peak. */
export function sampleRss(pid: () => number | undefined, everyMs = 100): { peakMb(): number; samples(): number; stop(): void } {
  let peak = 0;
  let count = 0;
  const timer = setInterval(() => {
    const p = pid();
    const mb = p === undefined ? undefined : rssMb(p);
    if (mb === undefined) return;
    count += 1;
    peak = Math.max(peak, mb);
  }, everyMs);
  // Never what keeps a test process alive after a failure.
  timer.unref();
  return { peakMb: () => peak, samples: () => count, stop: () => clearInterval(timer) };
}

/** Every hookflow child still running: `after` hooks use this to prove nothing was left behind. */
export function liveProcesses(): HookflowProcess[] {
  return [...live];
}
