// Stops a process that is not (or no longer) our child, by pid: we cannot wait() for it, so we
// poll until it is gone, escalating through the given signals. Each signal is sent only while the
// pid still belongs to the very process we mean (same start time), so a reused pid is never hit.
import { isSameProcess } from './proc';

export type StopStep = [signal: NodeJS.Signals, waitMs: number];

/** Temporal's dev server stops cleanly on SIGTERM in about a second (measured: ~1.0 s). */
export const TEMPORAL_STOP: StopStep[] = [
  ['SIGTERM', 3_000],
  ['SIGKILL', 1_000],
];

/**
 * PostgreSQL: SIGINT is its "fast" shutdown (ends sessions, writes a checkpoint); SIGQUIT the
 * "immediate" one (the next start replays WAL). The budget stays under 5 s in total.
 */
export const POSTGRES_STOP: StopStep[] = [
  ['SIGINT', 3_000],
  ['SIGQUIT', 1_000],
  ['SIGKILL', 500],
];

const POLL_MS = 25;

/** Resolves true when the process is gone, false if it outlived every step. */
export async function stopProcess(pid: number, startTicks: number | undefined, steps: StopStep[]): Promise<boolean> {
  for (const [signal, waitMs] of steps) {
    if (!isSameProcess(pid, startTicks)) return true;
    try {
      process.kill(pid, signal);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') return true;
      throw err;
    }
    const deadline = Date.now() + waitMs;
    while (Date.now() < deadline) {
      if (!isSameProcess(pid, startTicks)) return true;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }
  return !isSameProcess(pid, startTicks);
}
