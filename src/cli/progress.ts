// A progress bar for jobs that run on the server (bulk redelivery, recovery): the command polls
// until the job ends or its --timeout passes. Drawn on stderr, so --json output stays clean.
import { SingleBar } from 'cli-progress';
import { setTimeout as sleep } from 'node:timers/promises';
import { CliError } from './errors';

export interface JobProgress {
  done: number;
  total: number;
  finished: boolean;
  /** Shown after the counts, e.g. "2 succeeded, 1 dead-lettered again". */
  note?: string;
}

export async function trackJob(opts: {
  label: string;
  timeoutMs: number;
  intervalMs?: number;
  quiet?: boolean;
  poll: () => Promise<JobProgress>;
}): Promise<JobProgress> {
  const bar = opts.quiet
    ? undefined
    : new SingleBar({
        format: `${opts.label} [{bar}] {value}/{total} {note}`,
        stream: process.stderr,
        // Off a terminal (CI, a pipe, a test) a line every second instead of redrawing one.
        noTTYOutput: true,
        notTTYSchedule: 1000,
        hideCursor: true,
        barsize: 30,
      });
  const deadline = Date.now() + opts.timeoutMs;
  let last: JobProgress | undefined;
  try {
    for (;;) {
      last = await opts.poll();
      if (bar && !bar.isActive) bar.start(last.total, last.done, { note: last.note ?? '' });
      bar?.setTotal(last.total);
      bar?.update(last.done, { note: last.note ?? '' });
      if (last.finished) return last;
      if (Date.now() >= deadline) {
        throw new CliError(`${opts.label}: still running after the timeout (${last.done} of ${last.total} done); it goes on on the server`);
      }
      await sleep(Math.min(opts.intervalMs ?? 500, Math.max(0, deadline - Date.now())));
    }
  } finally {
    bar?.stop();
  }
}
