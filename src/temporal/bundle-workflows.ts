import { execFile } from 'node:child_process';

// Runs in a fresh `node`: the SDK's bundler (webpack) compiles the TypeScript workflows itself.
const CHILD_SCRIPT = `
const [workerModule, workflowsPath, interceptorModules] = process.argv.slice(1);
const { bundleWorkflowCode, DefaultLogger } = require(workerModule);
const workflowInterceptorModules = JSON.parse(interceptorModules);
bundleWorkflowCode({ workflowsPath, workflowInterceptorModules, logger: new DefaultLogger('WARN') }).then(
  (bundle) => process.stdout.write(bundle.code),
  (err) => { process.stderr.write(String(err && err.stack || err)); process.exit(1); },
);`;

/**
 * Bundles the workflows in a short-lived child process. Webpack's working memory (about 75 MiB
 * measured at Worker.create) is never handed back to the OS by V8, so bundling in the worker's own
 * process would keep it in the worker's resident memory for its whole life.
 */
export function bundleWorkflowsInChild(workflowsPath: string, interceptorModules: string[] = []): Promise<{ code: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['-e', CHILD_SCRIPT, require.resolve('@temporalio/worker'), workflowsPath, JSON.stringify(interceptorModules)],
      { maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`bundling the workflows failed: ${stderr.trim() || err.message}`));
        else resolve({ code: stdout });
      },
    );
  });
}
