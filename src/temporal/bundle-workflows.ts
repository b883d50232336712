import { execFile } from 'node:child_process';

// Runs in a fresh `node`: the SDK's bundler (webpack) compiles the TypeScript workflows itself.
const CHILD_SCRIPT = `
const [workerModule, workflowsPath, interceptorModules, preloadModules] = process.argv.slice(1);
const { bundleWorkflowCode, DefaultLogger } = require(workerModule);
const workflowInterceptorModules = JSON.parse(interceptorModules);
bundleWorkflowCode({ workflowsPath, workflowInterceptorModules, preloadModules: JSON.parse(preloadModules), logger: new DefaultLogger('WARN') }).then(
  (bundle) => process.stdout.write(bundle.code),
  (err) => { process.stderr.write(String(err && err.stack || err)); process.exit(1); },
);`;

/**
 * Modules evaluated once per reusable V8 context instead of once for every new workflow: the
 * workflow entry (every module under it) and the SDK's workflow API. Without it, each delivery
 * re-ran the module bodies of every workflow module and of the SDK's index (`__webpack_require__`,
 * 3.4% of the workflow thread's busy time in a sustained-delivery profile). A preloaded module is
 * shared by every workflow in the context and frozen, so modules under workflows/ keep no state
 * at module scope: everything per workflow lives in the workflow function's own scope (a unit test
 * checks for top-level `let`/`var`).
 */
export function workflowPreloadModules(workflowsPath: string): string[] {
  return ['@temporalio/workflow', workflowsPath];
}

/**
 * Bundles the workflows in a short-lived child process. Webpack's working memory (about 75 MiB
 * measured at Worker.create) is never handed back to the OS by V8, so bundling in the worker's own
 * process would keep it in the worker's resident memory for its whole life.
 */
export function bundleWorkflowsInChild(workflowsPath: string, interceptorModules: string[] = []): Promise<{ code: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['-e', CHILD_SCRIPT, require.resolve('@temporalio/worker'), workflowsPath, JSON.stringify(interceptorModules), JSON.stringify(workflowPreloadModules(workflowsPath))],
      { maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`bundling the workflows failed: ${stderr.trim() || err.message}`));
        else resolve({ code: stdout });
      },
    );
  });
}
