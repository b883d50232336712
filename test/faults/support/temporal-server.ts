// The real Temporal server (not the CLI's dev server) for the scenarios that need one: the server
// binary on its own PostgreSQL, started by bench/temporal-server/setup.sh (which builds the server
// once per machine and caches it beside the Temporal CLI) and stopped by stop.sh. Every port is
// picked free here, so a benchmark's server on the default ports is left alone.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { freePort } from '../../../src/net/free-port';
import { assertGone, pidAlive, ROOT } from './processes';
import { scratchDir } from './backends';

const SCRIPTS = path.join(ROOT, 'bench', 'temporal-server');
// Set-up with the server already built: PostgreSQL init, two schemas, the server and its namespace.
// A first build on a bare machine takes minutes more; CI builds ahead (BUILD_ONLY=1 in .ci/run).
const SETUP_TIMEOUT_MS = 15 * 60_000;

export interface RealTemporal {
  address: string;
  /** The server process (all four services in one). */
  pid: number;
  logs: string;
  stop(): Promise<void>;
}

function run(script: string, args: string[], env: Record<string, string>, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('bash', [path.join(SCRIPTS, script), ...args], { env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${script} failed: ${err.message}\n${stderr.slice(-3000)}`));
      else resolve(stdout);
    });
  });
}

const listenable = (port: number) =>
  new Promise<boolean>((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });

/** A membership base B whose ports B0..B3 are all free (the config template appends the digit). */
async function membershipBase(): Promise<string> {
  for (let i = 0; i < 50; i++) {
    const base = 2000 + Math.floor(Math.random() * 1200); // ports 20000..31999, below the ephemeral range
    const ok = await Promise.all([0, 1, 2, 3].map((d) => listenable(base * 10 + d)));
    if (ok.every(Boolean)) return String(base);
  }
  throw new Error('no four free membership ports in 20000..31999');
}

export async function startRealTemporal(label: string): Promise<RealTemporal> {
  const cli = process.env.TEMPORAL_CLI_PATH;
  if (!cli) throw new Error('TEMPORAL_CLI_PATH is not set: run through "npm test" or "npm run test:faults"');
  const scratch = scratchDir(`server-${label}`);
  const work = scratch.dir;
  const [pg, frontend, http, history, matching, worker] = await Promise.all(Array.from({ length: 6 }, () => freePort()));
  const env = {
    PG_PORT: String(pg),
    FRONTEND_PORT: String(frontend),
    HTTP_PORT: String(http),
    HISTORY_PORT: String(history),
    MATCHING_PORT: String(matching),
    WORKER_PORT: String(worker),
    MEMBERSHIP_BASE: await membershipBase(),
    TEMPORAL_CLI: cli,
  };
  const stop = async () => {
    const pid = readPid(work);
    await run('stop.sh', [work], {}, 120_000);
    if (pid !== undefined) await assertGone(pid, 'Temporal server');
    scratch.remove();
  };
  try {
    await run('setup.sh', [work], env, SETUP_TIMEOUT_MS);
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
  const pid = readPid(work);
  if (pid === undefined || !pidAlive(pid)) throw new Error(`the Temporal server is not running after setup (see ${work}/logs)`);
  // setup.sh detaches both (setsid, pg_ctl): a test process that dies without its `after` hook must
  // not leave them running. Exit handlers are synchronous, so signals only.
  const postmaster = readPid(path.join(work, 'pg'), 'postmaster.pid');
  const onExit = () => {
    for (const [p, sig] of [[pid, 'SIGKILL'], [postmaster, 'SIGQUIT']] as const) {
      try {
        if (p !== undefined) process.kill(p, sig);
      } catch {
        /* already gone */
      }
    }
  };
  process.once('exit', onExit);
  return {
    address: `127.0.0.1:${frontend}`,
    pid,
    logs: path.join(work, 'logs'),
    async stop() {
      process.removeListener('exit', onExit);
      await stop();
    },
  };
}

function readPid(dir: string, file = 'server.pid'): number | undefined {
  try {
    const n = Number(readFileSync(path.join(dir, file), 'utf8').split('\n')[0]!.trim());
    return Number.isFinite(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}
