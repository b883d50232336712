// Backends for the fault suite. Scenarios that only crash hookflow processes use the shared Temporal
// dev server and PostgreSQL from test/run.ts (with their own database and task queue); scenarios that
// kill a backend start their own, so the other files running beside them are not disturbed.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client as PgClient } from 'pg';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../../../src/dev/embedded-postgres';
import { resolveTemporalCli } from '../../../src/dev/temporal-cli-binary';
import { connectClient, type TemporalClientHandle } from '../../../src/temporal/client';
import { freePort } from '../../../src/net/free-port';
import { startDevServer, type DevServer } from '../../../src/dev/temporal-dev-server';
import { searchAttributeFlags } from '../../../workflows/search-attributes';
import { DEV_SERVER_TUNING } from '../../../src/dev/temporal-dev-server-tuning';
import { assertGone, pidAlive } from './processes';

export function sharedTemporalAddress(): string {
  const v = process.env.HOOKFLOW_TEST_TEMPORAL_ADDRESS;
  if (!v) throw new Error('HOOKFLOW_TEST_TEMPORAL_ADDRESS is not set: run through "npm test" or "npm run test:faults"');
  return v;
}

/** A scratch directory the `postgres` user (initdb runs as it when we are root) can enter. */
export function scratchDir(label: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), `hookflow-faults-${label}-`));
  chmodSync(dir, 0o755);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface OwnTemporal {
  address: string;
  pid(): number | undefined;
  kill9(): Promise<void>;
  /** Starts it again on the same port and database file. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** A Temporal dev server of our own, with a persistent SQLite file, that a scenario may kill. */
export async function startOwnTemporal(dir: string): Promise<OwnTemporal> {
  const cli = await resolveTemporalCli({ allowBuild: false });
  if (!('path' in cli)) throw new Error('no local Temporal CLI (set TEMPORAL_CLI_PATH, or run "npm run test:faults")');
  const port = await freePort();
  const dbFilename = path.join(dir, 'temporal.db');
  const start = () =>
    startDevServer({
      cli,
      dbFilename,
      port,
      headless: true,
      searchAttributes: searchAttributeFlags(),
      // As `hookflow dev` runs it.
      ...DEV_SERVER_TUNING,
      logLevel: 'error',
    });
  let server: DevServer = await start();
  let pid = server.pid;
  return {
    address: server.address,
    pid: () => pid,
    async kill9() {
      if (pid === undefined) return;
      process.kill(pid, 'SIGKILL');
      await assertGone(pid, 'Temporal dev server');
    },
    async restart() {
      server = await start();
      pid = server.pid;
    },
    async stop() {
      await server.stop();
      if (pid !== undefined) await assertGone(pid, 'Temporal dev server');
    },
  };
}

export interface OwnPostgres {
  url: string;
  /** The postmaster's pid, from postmaster.pid; undefined while stopped. */
  pid(): number | undefined;
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** An embedded PostgreSQL of our own (persistent data dir) that a scenario may stop and start. */
export async function startOwnPostgres(dir: string): Promise<OwnPostgres> {
  const port = await freePort();
  const dataDir = path.join(dir, 'pg');
  const start = () => startEmbeddedPostgres({ dataDir, port, persistent: true });
  let handle: EmbeddedPostgresHandle | undefined = await start();
  const pid = () => {
    const file = path.join(dataDir, 'postmaster.pid');
    if (!existsSync(file)) return undefined;
    const n = Number(readFileSync(file, 'utf8').split('\n')[0]);
    return Number.isFinite(n) && pidAlive(n) ? n : undefined;
  };
  return {
    url: handle.url,
    pid,
    async stop() {
      const before = pid();
      await handle?.stop();
      handle = undefined;
      if (before !== undefined) await assertGone(before, 'PostgreSQL');
    },
    async start() {
      if (!handle) handle = await start();
    },
  };
}

/** A fresh database on the shared PostgreSQL from test/run.ts. */
export function sharedDatabase(): Promise<string> {
  const admin = process.env.HOOKFLOW_TEST_DATABASE_URL;
  if (!admin) throw new Error('HOOKFLOW_TEST_DATABASE_URL is not set: run through "npm test" or "npm run test:faults"');
  return freshDatabase(admin, `faults_${randomBytes(6).toString('hex')}`);
}

/** A fresh database on an admin URL (the shared server's, or our own). */
export async function freshDatabase(adminUrl: string, name: string): Promise<string> {
  const admin = new PgClient({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function temporalClient(address: string): Promise<TemporalClientHandle> {
  return connectClient({ temporal: { address, namespace: 'default', taskQueue: 'unused' } });
}

export interface WorkflowState {
  hookflowStatus: string;
  executionStatus: string;
}

/** Every delivery workflow on a task queue, from Temporal visibility, by workflow ID (= delivery ID). */
export async function deliveryStates(temporal: TemporalClientHandle, taskQueue: string): Promise<Map<string, WorkflowState>> {
  const states = new Map<string, WorkflowState>();
  const query = `WorkflowType = 'deliveryWorkflow' AND TaskQueue = '${taskQueue}'`;
  let count = 0;
  for await (const wf of temporal.client.workflow.list({ query, pageSize: 1000 })) {
    // A delivery that continued as new is represented by its latest run.
    if (wf.status.name === 'CONTINUED_AS_NEW') continue;
    const status = wf.searchAttributes?.HookflowStatus;
    states.set(wf.workflowId, {
      hookflowStatus: String(Array.isArray(status) ? status[0] : (status ?? '')),
      executionStatus: wf.status.name,
    });
    // Bounded: no test here makes more than 10,000 deliveries.
    if (++count > 20_000) break;
  }
  return states;
}

/** Delivery IDs not (yet) in the wanted state, for failure messages and polling. */
export function notInState(states: Map<string, WorkflowState>, ids: Iterable<string>, hookflowStatus: string, executionStatus: string): string[] {
  const out: string[] = [];
  for (const id of ids) {
    const s = states.get(id);
    if (!s || s.hookflowStatus !== hookflowStatus || s.executionStatus !== executionStatus) out.push(id);
  }
  return out;
}

// The fault scenarios poll with the shared, bounded helper.
export { sleep, waitFor } from '../../support/wait';

/** One-line JSON figures for the report (grep for FAULTS-REPORT). */
export function report(scenario: string, figures: Record<string, unknown>): void {
  console.log(`FAULTS-REPORT ${JSON.stringify({ scenario, ...figures })}`);
}
