// `npm start` (= `hookflow dev`) as a user runs it, in its own process group so a test can kill the
// whole group, on free ports and a scratch data directory so it never meets another stack on this
// machine. What it started is read back from its run.json, and "nothing left" is checked by session:
// every child of hookflow dev runs in a session of its own, which outlives re-parenting.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { freePort } from '../../../src/net/free-port';
import { portListeners, processesInSessions, readStat } from '../../../src/dev/proc';
import { parseRunState, type RunState } from '../../../src/dev/run-state';
import { ROOT } from './processes';

export const DEV_API_KEY = 'faults-dev-key-0123456789abcdef';
const TAIL_LINES = 400;

export interface DevPorts {
  api: number;
  temporal: number;
  ui: number;
  postgres: number;
}

export async function freeDevPorts(): Promise<DevPorts> {
  const ports = new Set<number>();
  // Distinct, and none of them 1000 apart from another (the UI port is chosen explicitly anyway).
  while (ports.size < 4) ports.add(await freePort());
  const [api, temporal, ui, postgres] = [...ports] as [number, number, number, number];
  return { api, temporal, ui, postgres };
}

export interface DevRun {
  /** npm's pid, which is also the process group id. */
  pid: number;
  lines: string[];
  startedAt: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Every writer of its output is gone (npm may exit before the hookflow process it started). */
  closed: Promise<void>;
  running(): boolean;
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<string>;
}

export function devEnv(dataDir: string, ports: DevPorts, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { NODE_ENV: 'development', npm_config_update_notifier: 'false' };
  for (const k of ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ', 'TEMPORAL_CLI_PATH']) if (process.env[k]) env[k] = process.env[k];
  return {
    ...env,
    HOOKFLOW_DATA_DIR: dataDir,
    PORT: String(ports.api),
    HOOKFLOW_DEV_TEMPORAL_PORT: String(ports.temporal),
    HOOKFLOW_DEV_UI_PORT: String(ports.ui),
    HOOKFLOW_DEV_POSTGRES_PORT: String(ports.postgres),
    HOOKFLOW_API_KEYS: DEV_API_KEY,
    HOOKFLOW_ALLOW_PRIVATE_URLS: 'true',
    LOG_LEVEL: 'warn',
    ...extra,
  };
}

/** Runs `npm start` in the project root with the given environment. */
export function startDev(env: NodeJS.ProcessEnv, args: string[] = ['start']): DevRun {
  const startedAt = Date.now();
  const child = spawn('npm', args, { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid === undefined) throw new Error('could not spawn npm start');
  const lines: string[] = [];
  const waiters: { pattern: RegExp; resolve: (l: string) => void }[] = [];
  const feed = (chunk: Buffer): void => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line.trim()) continue;
      lines.push(line);
      if (lines.length > TAIL_LINES) lines.shift();
      for (const w of waiters.slice()) {
        if (!w.pattern.test(line)) continue;
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  };
  // Always drained: a child blocked on a full pipe would look like a hang.
  child.stdout.on('data', feed);
  child.stderr.on('data', feed);
  let done = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      done = true;
      resolve({ code, signal });
    }),
  );
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  return {
    pid: child.pid,
    lines,
    startedAt,
    exited,
    closed,
    running: () => !done,
    waitForLine(pattern, timeoutMs) {
      const seen = lines.find((l) => pattern.test(l));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`npm start did not log ${pattern} within ${timeoutMs} ms:\n${lines.slice(-40).join('\n')}`)), timeoutMs);
        waiters.push({ pattern, resolve: (l) => (clearTimeout(timer), resolve(l)) });
        void exited.then(({ code, signal }) => {
          clearTimeout(timer);
          reject(new Error(`npm start exited (code ${code}, signal ${signal}) before logging ${pattern}:\n${lines.slice(-40).join('\n')}`));
        });
      });
    },
  };
}

export function runState(dataDir: string): RunState {
  const s = parseRunState(readFileSync(path.join(dataDir, 'run.json'), 'utf8'));
  if (!s) throw new Error(`no readable run.json in ${dataDir}`);
  return s;
}

/** The sessions that hold everything one run started: npm's (hookflow itself), the watchdog's, each child's. */
export function sessionsOf(run: DevRun, state: RunState): Set<number> {
  const pids = [run.pid, state.watchdog?.pid, state.children.temporal?.pid, state.children.postgres?.pid];
  const sessions = new Set<number>();
  for (const pid of pids) {
    const s = pid === undefined ? undefined : readStat(pid)?.session;
    if (s !== undefined) sessions.add(s);
  }
  return sessions;
}

/** Processes still alive in those sessions and ports still listened on, polled until none or the deadline. */
export async function leftAfter(sessions: Set<number>, ports: DevPorts, withinMs: number): Promise<{ pids: number[]; ports: number[]; ms: number }> {
  const began = Date.now();
  for (;;) {
    const pids = processesInSessions(sessions);
    const busy = Object.values(ports).filter((p) => portListeners(p)?.busy);
    if ((pids.length === 0 && busy.length === 0) || Date.now() - began > withinMs) return { pids, ports: busy, ms: Date.now() - began };
    await new Promise((r) => setTimeout(r, 50));
  }
}
