// The embedded backends of `hookflow dev`: Temporal dev server and PostgreSQL, each started only
// where no real one is configured. Before anything starts: our own leftovers from a crashed run are
// stopped, and every fixed port is checked, so a stranger's process is named and left alone.
// Then both start side by side (restart time matters), each watched by the watchdog, recorded in
// run.json, and supervised (restarted if it dies while hookflow dev runs).
import path from 'node:path';
import type { Config } from '../config';
import { postgresBinary, startEmbeddedPostgres, type EmbeddedPostgresHandle } from './embedded-postgres';
import { resolveTemporalCli } from './temporal-cli-binary';
import { startDevServer, type DevServer } from './temporal-dev-server';
import { DEV_SERVER_TUNING } from './temporal-dev-server-tuning';
import { searchAttributeFlags } from '../../workflows/search-attributes';
import { stopLeftovers, type Identity } from './leftovers';
import { checkPortFree } from './ports';
import { readStat, realPath } from './proc';
import { writeRunState, type RunState } from './run-state';
import { asStartError, type StartError } from './start-error';
import { POSTGRES_STOP, TEMPORAL_STOP } from './stop-process';
import { Supervisor, type Backend } from './supervisor';
import type { Watchdog } from './watchdog';

export type StopStep = [string, () => Promise<unknown>];

export interface DevBackendsContext {
  config: Config;
  dataDir: string;
  previous?: RunState;
  state: RunState;
  watchdog: Watchdog;
  say: (line: string) => void;
  onFatal: (err: StartError) => void;
  /** Stop steps are appended as soon as each backend runs, so a failed start can undo them. */
  stops: StopStep[];
}

export async function startDevBackends(ctx: DevBackendsContext): Promise<{ uiUrl?: string }> {
  const { config, dataDir, say } = ctx;
  const ports = config.devPorts;
  const logDir = path.join(dataDir, 'logs');
  const dbFilename = path.join(dataDir, 'temporal.db');
  const pgDir = path.join(dataDir, 'postgres');
  const wantTemporal = !config.temporal.address;
  const wantPostgres = !config.databaseUrl;

  const cli = wantTemporal ? await resolveTemporalCli({ onProgress: (l) => say(l) }) : undefined;
  const pgBin = wantPostgres ? await postgresBinary() : undefined;
  const ids: Identity[] = [];
  if (cli && 'path' in cli) ids.push({ name: 'Temporal dev server', exe: cli.path, dataFlag: '--db-filename', data: dbFilename, steps: TEMPORAL_STOP });
  if (pgBin) ids.push({ name: 'PostgreSQL', exe: pgBin, dataFlag: '-D', data: pgDir, steps: POSTGRES_STOP });
  await stopLeftovers(ids, ctx.previous, say);

  const checks: [number, string, string][] = [];
  if (wantTemporal) checks.push([ports.temporal, 'the Temporal dev server', 'HOOKFLOW_DEV_TEMPORAL_PORT'], [ports.ui, 'the Temporal Web UI', 'HOOKFLOW_DEV_UI_PORT']);
  if (wantPostgres) checks.push([ports.postgres, 'PostgreSQL', 'HOOKFLOW_DEV_POSTGRES_PORT']);
  if (config.port !== 0) checks.push([config.port, 'the hookflow API', 'PORT']);
  for (const [port, what, setting] of checks) await checkPortFree(port, what, setting);

  const startTemporal = (): Promise<DevServer> =>
    startDevServer({
      cli: cli!,
      dbFilename,
      port: ports.temporal,
      uiPort: ports.ui,
      namespace: config.temporal.namespace,
      searchAttributes: searchAttributeFlags(),
      ...DEV_SERVER_TUNING,
      logLevel: 'warn',
      logDir,
      portSettings: { port: 'HOOKFLOW_DEV_TEMPORAL_PORT', uiPort: 'HOOKFLOW_DEV_UI_PORT' },
      // The API starts later; the UI calls this from the browser, on the same machine in dev.
      codecEndpoint: config.payloadKey ? `http://localhost:${config.port}/codec` : undefined,
    });
  const startPostgres = (): Promise<EmbeddedPostgresHandle> =>
    startEmbeddedPostgres({ dataDir: pgDir, port: ports.postgres, persistent: true, logDir, onNote: say, portSetting: 'HOOKFLOW_DEV_POSTGRES_PORT' });

  if (cli) say(`starting the Temporal dev server (${'path' in cli ? cli.path : 'SDK download'})`);
  if (wantPostgres) say('starting embedded PostgreSQL');
  const [temporal, postgres] = await Promise.allSettled([wantTemporal ? startTemporal() : undefined, wantPostgres ? startPostgres() : undefined]);
  const started = [temporal, postgres].flatMap((r) => (r.status === 'fulfilled' && r.value ? [r.value] : []));
  const failed = [temporal, postgres].flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  if (failed.length > 0) {
    await Promise.all(started.map((b) => b.stop().catch(() => undefined)));
    // Both failing is rare; the second one's story is still told.
    if (failed.length > 1) say(asStartError(failed[1], 'a second backend failed to start as well', '').message);
    throw asStartError(failed[0], 'an embedded backend did not start', 'read the message above');
  }

  let uiUrl: string | undefined;
  if (temporal.status === 'fulfilled' && temporal.value) {
    const server = temporal.value;
    config.temporal.address = server.address;
    uiUrl = server.uiUrl;
    const key = 'temporal';
    const exe = cli && 'path' in cli ? realPath(cli.path) : '';
    adopt(ctx, key, 'Temporal dev server', server, startTemporal, TEMPORAL_STOP, { exe, ports: [ports.temporal, ports.ui], data: dbFilename }, path.join(logDir, 'temporal.log'));
  }
  if (postgres.status === 'fulfilled' && postgres.value) {
    const pg = postgres.value;
    config.databaseUrl = pg.url;
    adopt(ctx, 'postgres', 'PostgreSQL', pg, startPostgres, POSTGRES_STOP, { exe: pg.binary, ports: [ports.postgres], data: pgDir }, path.join(logDir, 'postgres.log'));
  }
  return { uiUrl };
}

/** Watchdog, run.json and a supervisor for one running backend; its stop step goes first in line. */
function adopt<T extends Backend>(
  ctx: DevBackendsContext,
  key: 'temporal' | 'postgres',
  name: string,
  first: T,
  start: () => Promise<T>,
  steps: typeof TEMPORAL_STOP,
  record: { exe: string; ports: number[]; data: string },
  logFile: string,
): void {
  const track = (b: T): void => {
    ctx.watchdog.watch(name, b.pid, steps);
    if (b.pid !== undefined) ctx.state.children[key] = { pid: b.pid, startTicks: readStat(b.pid)?.startTicks, ...record };
    writeRunState(ctx.dataDir, ctx.state);
  };
  track(first);
  const supervisor = new Supervisor<T>(
    {
      name,
      start,
      logFile,
      say: ctx.say,
      onFatal: ctx.onFatal,
      onStarted: (next, previous) => {
        ctx.watchdog.unwatch(previous.pid);
        track(next);
      },
    },
    first,
  );
  ctx.stops.unshift([
    name,
    async () => {
      await supervisor.stop();
      ctx.watchdog.unwatch(supervisor.current.pid);
      delete ctx.state.children[key];
      writeRunState(ctx.dataDir, ctx.state);
    },
  ]);
}
