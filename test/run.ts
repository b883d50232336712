// `npm test`: starts ONE real Temporal dev server and ONE real PostgreSQL for the whole run, bundles
// the workflows once, then runs the test files with node:test. Each test file gets its own
// database and task queue (test/support/stack.ts), so files can run side by side.
import { spawn } from 'node:child_process';
import { chmodSync, closeSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { startEmbeddedPostgres } from '../src/dev/embedded-postgres';
import { DEV_SERVER_TUNING } from '../src/dev/temporal-dev-server-tuning';
import { resolveTemporalCli } from '../src/dev/temporal-cli-binary';
import { freePort } from '../src/net/free-port';
import { startDevServer } from '../src/dev/temporal-dev-server';
import { searchAttributeFlags } from '../workflows/search-attributes';
import { WORKFLOWS_PATH } from '../src/server/temporal-worker';
import { workflowPreloadModules } from '../src/temporal/bundle-workflows';

const suites: Record<string, string[]> = {
  unit: ['test/unit'],
  all: ['test/unit', 'test/integration', 'test/faults'],
  integration: ['test/integration'],
  faults: ['test/faults'],
};

// As `hookflow dev`, plus two settings: Temporal carries out `workflow delete` of a closed workflow
// only after its task queues record their acknowledged progress, every 30 s by default (measured:
// 32-35 s per delete, 0.1-5 s with 1 s). The history tests delete closed workflows, as namespace
// retention would, and wait for them to be gone.
const TEST_DYNAMIC_CONFIG = { ...DEV_SERVER_TUNING.dynamicConfig, 'history.visibilityProcessorUpdateAckInterval': '"1s"', 'history.transferProcessorUpdateAckInterval': '"1s"' };

const files = (dirs: string[]) =>
  dirs.flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.test.ts')).sort().map((f) => path.join(d, f)));

async function main(): Promise<number> {
  // `npm test [suite] [files...] [--node-test-flags]`: a first argument that is a file is not a suite.
  const args = process.argv.slice(2);
  const suite = args[0] !== undefined && args[0] in suites ? args.shift()! : 'all';
  // Flags (e.g. --test-name-pattern=...) go to node:test; other arguments name test files.
  const nodeTestFlags = args.filter((a) => a.startsWith('--'));
  const only = args.filter((a) => !a.startsWith('--'));
  const selected = only.length > 0 ? only : files(suites[suite]!);
  const needsBackends = selected.some((f) => !f.includes(`${path.sep}unit${path.sep}`) && !f.startsWith('test/unit'));
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'test' };
  const cleanups: (() => Promise<unknown>)[] = [];
  const work = mkdtempSync(path.join(tmpdir(), 'hookflow-test-'));
  // embedded-postgres runs initdb as a separate `postgres` user when we are root: it must reach the data dir.
  chmodSync(work, 0o755);
  cleanups.push(async () => rmSync(work, { recursive: true, force: true }));

  try {
    if (needsBackends) {
      const t0 = Date.now();
      const cli = await resolveTemporalCli({ onProgress: (l) => console.log(`[temporal-cli] ${l}`) });
      const [temporal, pg, bundle] = await Promise.all([
        // Same dynamic config as `hookflow dev`, so tests exercise the eager-activity path users run.
        startDevServer({ cli, headless: true, searchAttributes: searchAttributeFlags(), dynamicConfig: TEST_DYNAMIC_CONFIG, logLevel: 'error' }),
        freePort().then((port) => startEmbeddedPostgres({ dataDir: path.join(work, 'pg'), port, persistent: false })),
        bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, preloadModules: workflowPreloadModules(WORKFLOWS_PATH), logger: quietLogger }),
      ]);
      cleanups.unshift(() => pg.stop(), () => temporal.stop());
      const bundlePath = path.join(work, 'workflow-bundle.js');
      writeFileSync(bundlePath, bundle.code);
      Object.assign(env, {
        HOOKFLOW_TEST_TEMPORAL_ADDRESS: temporal.address,
        HOOKFLOW_TEST_DATABASE_URL: pg.url,
        HOOKFLOW_TEST_WORKFLOW_BUNDLE: bundlePath,
        TEMPORAL_CLI_PATH: 'path' in cli ? cli.path : '',
      });
      console.log(`[test] Temporal ${temporal.address}, PostgreSQL ${pg.url.replace(/:[^:@]*@/, ':***@')}, ready in ${Date.now() - t0} ms`);
    }
    // Fault tests measure recovery times (restart → ready within 10 s, ...) and load the machine
    // themselves (10,000 deliveries); side by side on 2 cores one would time the other's load. So they
    // run one at a time, after the rest, on the same Temporal and PostgreSQL. Those whose assertions
    // hold at any speed of the box (order, counts, exactly-once; no time bound) run last, and the API
    // fuzz run, when asked for, shares the box with them alone.
    const isFault = (f: string) => f.split(/[\\/]/).includes('faults');
    const isUntimed = (f: string) => UNTIMED_FAULTS.includes(path.basename(f, '.test.ts'));
    const phases = [
      { files: selected.filter((f) => !isFault(f)), concurrency: 2 },
      { files: selected.filter((f) => isFault(f) && !isUntimed(f)), concurrency: 1 },
      { files: selected.filter((f) => isFault(f) && isUntimed(f)), concurrency: 1 },
    ].filter((p) => p.files.length > 0);
    const fuzz = process.env.HOOKFLOW_TEST_API_FUZZ === '1';
    let code = 0;
    for (const [i, p] of phases.entries()) {
      const beside = fuzz && i === phases.length - 1 && p.files.some(isUntimed) ? startApiFuzz(work, 'beside the untimed fault tests') : undefined;
      code = (await runNodeTest(p.files, env, nodeTestFlags, p.concurrency)) || code;
      if (beside) code = (await beside) || code;
    }
    if (fuzz && !phases.at(-1)?.files.some(isUntimed)) code = (await startApiFuzz(work, 'after the tests')) || code;
    return code;
  } finally {
    for (const c of cleanups) await c().catch((err: unknown) => console.error('[test] cleanup failed', err));
  }
}

function runNodeTest(testFiles: string[], env: NodeJS.ProcessEnv, flags: string[], concurrency: number): Promise<number> {
  return new Promise((resolve) => {
    // node:test's own choice of reporter, plus a list of the slowest files at the end.
    const reporters = flags.some((f) => f.startsWith('--test-reporter'))
      ? []
      : [`--test-reporter=${process.stdout.isTTY ? 'spec' : 'tap'}`, '--test-reporter-destination=stdout', `--test-reporter=${SLOWEST_FILES_REPORTER}`, '--test-reporter-destination=stdout'];
    const child = spawn(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, ...reporters, ...flags, ...testFiles], {
      stdio: 'inherit',
      env,
    });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

// Fault test files (by name) whose every assertion is about outcomes, never about how long something
// took: they keep their meaning on a box another job is loading.
const UNTIMED_FAULTS = ['api-crash-mid-fanout', 'fifo-worker-kill', 'multi-replica', 'postgres-outage', 'queue-depth', 'rolling-deploy'];

// Schemathesis against `npm start` (test/api-fuzz/run.sh: root, its own stack in a loopback-only
// network namespace, so no port or process is shared with the tests). Its output is held back and
// printed whole when it ends, so it does not interleave with the test reporter's.
function startApiFuzz(work: string, when: string): Promise<number> {
  const log = path.join(work, 'api-fuzz.log');
  console.log(`[test] API fuzz (test/api-fuzz/run.sh) started ${when}`);
  return new Promise((resolve) => {
    const out = openSync(log, 'w');
    const child = spawn('bash', ['test/api-fuzz/run.sh'], { stdio: ['ignore', out, out] });
    child.on('error', (err) => {
      console.error('[test] API fuzz could not start', err);
      resolve(1);
    });
    child.on('exit', (code, signal) => {
      closeSync(out);
      console.log(`[test] API fuzz output:\n${readFileSync(log, 'utf8')}`);
      resolve(code ?? (signal ? 1 : 0));
    });
  });
}

const SLOWEST_FILES_REPORTER = path.join(__dirname, 'support', 'slowest-files-reporter.mjs');

const quiet = () => undefined;
const quietLogger = { trace: quiet, debug: quiet, info: quiet, warn: console.warn, error: console.error, log: quiet };

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
