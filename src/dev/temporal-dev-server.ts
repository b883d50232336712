// Runs `temporal server start-dev` as a child process and tells us only once it really serves gRPC.
import { spawn, type ChildProcess } from 'node:child_process';
import { Connection } from '@temporalio/client';
import { openChildLog } from './child-log';
import { freePort } from '../net/free-port';
import { checkPortFree, holdersOf } from './ports';
import { isListening } from './proc';
import { StartError } from './start-error';
import type { ResolvedTemporalCli } from './temporal-cli-binary';
import { explainDevServerExit } from './temporal-explain';

export interface DevServerOptions {
  cli: ResolvedTemporalCli;
  /** Persistent SQLite file; omit for an in-memory server. */
  dbFilename?: string;
  ip?: string;
  /** 0 or omitted: pick a free port. */
  port?: number;
  /** 0: pick a free port. Omitted: port + 1000 when port is fixed, else a free port. */
  uiPort?: number;
  headless?: boolean;
  namespace?: string;
  /** `Name=Keyword` pairs. */
  searchAttributes: string[];
  codecEndpoint?: string;
  /** Passed as `--sqlite-pragma KEY=VALUE`, e.g. { journal_mode: 'wal', synchronous: 'normal' }. */
  sqlitePragmas?: Record<string, string>;
  /** Values are JSON literals: { 'limit.x': '100', 'some.key': '"text"' }. */
  dynamicConfig?: Record<string, string>;
  logLevel?: string;
  onLog?: (line: string) => void;
  /** Send the server's output to <logDir>/temporal.log instead of a pipe (see child-log.ts). */
  logDir?: string;
  /** Names the settings that chose fixed ports, for the "port in use" message. */
  portSettings?: { port: string; uiPort: string };
  readyTimeoutMs?: number;
}

export interface DevServer {
  address: string;
  uiUrl?: string;
  pid?: number;
  /** Resolves with a sentence once the server process exits, for whatever reason. */
  exited?: Promise<string>;
  stop(): Promise<void>;
}

const STOP_GRACE_MS = 10_000;

const hostPort = (ip: string, port: number): string => (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);

function commonArgs(o: DevServerOptions): string[] {
  const args: string[] = [];
  if (o.dbFilename) args.push('--db-filename', o.dbFilename);
  if (o.namespace && o.namespace !== 'default') args.push('--namespace', o.namespace);
  for (const sa of o.searchAttributes) args.push('--search-attribute', sa);
  if (o.codecEndpoint) args.push('--ui-codec-endpoint', o.codecEndpoint);
  for (const [k, v] of Object.entries(o.sqlitePragmas ?? {})) args.push('--sqlite-pragma', `${k}=${v}`);
  for (const [k, v] of Object.entries(o.dynamicConfig ?? {})) args.push('--dynamic-config-value', `${k}=${v}`);
  return args;
}

/**
 * Starts a dev server. The child is killed on stop() and on normal process exit; callers that handle
 * SIGINT/SIGTERM must call stop() themselves (an uncaught signal skips 'exit' handlers).
 */
export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  if (!('path' in opts.cli)) return startViaSdk(opts);
  const ip = opts.ip ?? '127.0.0.1';
  // Ports we picked can be stolen between close() and the server's bind: one retry with fresh ports.
  const pickedPorts = !opts.port || (!opts.headless && !opts.uiPort);
  for (let attempt = 1; ; attempt++) {
    try {
      return await spawnOnce(opts.cli.path, ip, opts);
    } catch (err) {
      if (attempt >= 2 || !pickedPorts || !/address already in use/i.test(String(err))) throw err;
    }
  }
}

async function spawnOnce(bin: string, ip: string, opts: DevServerOptions): Promise<DevServer> {
  const port = opts.port || (await freePort(ip));
  const uiPort = opts.headless ? undefined : opts.uiPort || (opts.port && opts.uiPort === undefined ? port + 1000 : await freePort(ip));
  const args = ['server', 'start-dev', '--ip', ip, '--port', String(port), '--log-level', opts.logLevel ?? 'warn', '--color', 'never'];
  args.push(...(uiPort === undefined ? ['--headless'] : ['--ui-port', String(uiPort)]), ...commonArgs(opts));
  // A fixed port someone else holds: say who, rather than letting our readiness check reach them.
  if (opts.portSettings) {
    await checkPortFree(port, 'the Temporal dev server', opts.portSettings.port);
    if (uiPort !== undefined) await checkPortFree(uiPort, 'the Temporal Web UI', opts.portSettings.uiPort);
  }

  const log = opts.logDir ? openChildLog(opts.logDir, 'temporal') : undefined;
  // Its own process group: a terminal's Ctrl-C reaches only us, and we stop the server last, after
  // the worker has drained against it.
  const child = spawn(bin, args, { stdio: log ? ['ignore', log.fd, log.fd] : ['ignore', 'pipe', 'pipe'], detached: true });
  log?.close();
  const piped: string[] = [];
  const onData = (chunk: Buffer): void => {
    for (const line of chunk.toString().split('\n')) {
      if (!line.trim()) continue;
      piped.push(line);
      if (piped.length > 30) piped.shift();
      opts.onLog?.(line);
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const tail = (): string[] => (log ? log.tail() : piped.slice(-15));
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => resolve(signal ? `was stopped by ${signal}` : `exited with code ${code}`));
    child.once('error', (err) => resolve(`could not be started: ${err.message}`));
  });
  // Synchronous kill is all an 'exit' handler can do; it keeps a forgotten server from outliving us.
  const killOnExit = (): void => void child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const stop = async (): Promise<void> => {
    process.removeListener('exit', killOnExit);
    await stopChild(child, exited);
  };

  const address = hostPort(ip, port);
  try {
    await waitUntilServing(address, child, port, exited, opts.readyTimeoutMs ?? 60_000);
  } catch (err) {
    await stop();
    const why = (err as Error).message;
    throw new StartError({ ...explainDevServerExit(why, tail(), { bin, port, uiPort, dbFilename: opts.dbFilename, settings: opts.portSettings }), logTail: tail(), logFile: log?.file });
  }
  return { address, uiUrl: uiPort === undefined ? undefined : `http://${hostPort(ip, uiPort)}`, pid: child.pid, exited, stop };
}

/**
 * Ready = the child we started is alive, answers gRPC, and is the process holding the port. A
 * server that was already on the port (a leftover) must never make a dead child look ready.
 */
async function waitUntilServing(address: string, child: ChildProcess, port: number, exited: Promise<string>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let early: string | undefined;
  void exited.then((why) => (early = why));
  let lastError = 'timeout';
  while (Date.now() < deadline) {
    if (early) throw new Error(`the Temporal dev server ${early} before it was ready`);
    // lazy + explicit close: a failed Connection.connect() would leak its gRPC channel.
    const conn = Connection.lazy({ address, connectTimeout: 1000 });
    try {
      await conn.ensureConnected();
      await conn.workflowService.getSystemInfo({});
    } catch (err) {
      lastError = (err as Error).message;
      await new Promise((r) => setTimeout(r, 200));
      continue;
    } finally {
      await conn.close();
    }
    // The exit event can trail the process's death; the kernel's view cannot.
    if (early || child.exitCode !== null || child.signalCode !== null) throw new Error(`the Temporal dev server ${early ?? 'exited'} before it was ready`);
    if (child.pid !== undefined && isListening(child.pid, port) === false) {
      const holder = holdersOf(port) ?? 'another process';
      throw new Error(`${address} answered, but port ${port} is held by ${holder}, which is not the dev server we started (pid ${child.pid})`);
    }
    return;
  }
  throw new Error(`not reachable at ${address} within ${timeoutMs} ms (${lastError})`);
}

async function stopChild(child: ChildProcess, exited: Promise<string>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}

/** No local binary: the SDK downloads (and caches) the CLI itself, which needs internet access. */
async function startViaSdk(opts: DevServerOptions): Promise<DevServer> {
  const ip = opts.ip ?? '127.0.0.1';
  const port = opts.port || (await freePort(ip));
  const uiPort = opts.headless ? undefined : opts.uiPort || (await freePort(ip));
  const extraArgs = commonArgs({ ...opts, dbFilename: undefined, namespace: undefined });
  // Lazy: @temporalio/testing pulls in the native worker runtime and is a dev dependency.
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'cached-download' },
      ip,
      port,
      ui: uiPort !== undefined,
      uiPort,
      dbFilename: opts.dbFilename,
      namespace: opts.namespace,
      log: { format: 'pretty', level: opts.logLevel ?? 'warn' },
      extraArgs,
    },
  });
  return {
    address: env.address,
    uiUrl: uiPort === undefined ? undefined : `http://${hostPort(ip, uiPort)}`,
    stop: () => env.teardown(),
  };
}
