import { styleText } from 'node:util';
import { HookflowApiError } from '../client';
import { ConfigError } from '../errors/config-error';
import { StartError } from '../dev/start-error';

/** A mistake the user can fix, said in one sentence; no stack trace. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}

// Exit codes: 1 for an error answer or a job that failed, 2 for a command typed wrong (as commander's own usage errors).
export const EXIT_USAGE = 2;

const red = (s: string) => (process.stderr.isTTY ? styleText('red', s) : s);

/** Prints an error for a person and returns the exit code. */
export function reportError(err: unknown, apiUrl?: string): number {
  const say = (line: string) => process.stderr.write(`${line}\n`);
  if (err instanceof HookflowApiError) {
    // A validation error's detail restates its fields; those are listed one a line below.
    const restated = err.errors.some((e) => err.detail.includes(`${e.path}: ${e.message}`));
    say(red(`error: ${err.title} (${err.status})${err.detail && !restated ? `: ${err.detail}` : ''}`));
    for (const e of err.errors) say(`  ${e.path}: ${e.message}`);
    return 1;
  }
  if (err instanceof CliError) {
    say(red(`error: ${err.message}`));
    return err.exitCode;
  }
  // Already told in words (what failed, why, what to do); a stack would only bury it.
  if (err instanceof ConfigError || err instanceof StartError) {
    say(red(err.message));
    return 1;
  }
  const unreachable = connectionProblem(err);
  if (unreachable) {
    say(red(`error: cannot reach the hookflow API at ${apiUrl ?? 'HOOKFLOW_URL'} (${unreachable})`));
    say('  is `npm start` running? set HOOKFLOW_URL to point elsewhere');
    return 1;
  }
  say(red('error: unexpected failure'));
  console.error(err);
  return 1;
}

/** fetch reports a refused connection or a timeout as a TypeError / TimeoutError with the reason in `cause`. */
function connectionProblem(err: unknown): string | undefined {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError') return 'no answer in time';
  if (e?.name === 'TypeError' && e.message === 'fetch failed') return e.cause?.code ?? e.cause?.message ?? 'connection failed';
  return undefined;
}
