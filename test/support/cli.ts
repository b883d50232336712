// Runs the `hookflow` CLI from source as a real subprocess against a test stack.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { API_KEY, waitFor, type Stack } from './stack';

const ROOT = path.join(__dirname, '..', '..');
const ENTRY = path.join(ROOT, 'src', 'cli', 'index.ts');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Only what the CLI should see: the stack's URL and key, nothing inherited that could point it elsewhere. */
export function cliEnv(stack: Pick<Stack, 'url'>, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, HOOKFLOW_URL: stack.url, HOOKFLOW_API_KEY: API_KEY, ...extra };
}

export function spawnCli(args: string[], env: NodeJS.ProcessEnv, cwd = ROOT): ChildProcess & { output: CliResult } {
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', ENTRY, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: CliResult = { code: null, stdout: '', stderr: '' };
  child.stdout.on('data', (c: Buffer) => (output.stdout += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (output.stderr += c.toString('utf8')));
  return Object.assign(child, { output });
}

export function exited(child: ChildProcess & { output: CliResult }, timeoutMs: number): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`hookflow ${child.spawnargs.slice(3).join(' ')} did not exit within ${timeoutMs} ms\nstdout: ${child.output.stdout}\nstderr: ${child.output.stderr}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      child.output.code = code;
      resolve(child.output);
    });
  });
}

/** One command to its end. */
export function runCli(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 60_000, cwd?: string): Promise<CliResult> {
  return exited(spawnCli(args, env, cwd), timeoutMs);
}

/** Waits until the process has printed a match on stdout (or stderr); fails if it exits first. */
export function waitForOutput(child: ChildProcess & { output: CliResult }, pattern: RegExp, what: string, timeoutMs = 20_000): Promise<RegExpMatchArray> {
  return waitFor(() => {
    if (child.exitCode !== null) throw new Error(`exited ${child.exitCode} before ${what}: ${child.output.stdout}${child.output.stderr}`);
    return pattern.exec(child.output.stdout) ?? pattern.exec(child.output.stderr) ?? undefined;
  }, what, timeoutMs);
}
