// The messages `hookflow dev` sends its watchdog, one JSON object per line on the watchdog's stdin.
// Kept free of side effects so the parsing is unit-tested.
import type { StopStep } from './stop-process';

export interface Watched {
  /** For the watchdog's one line after a crash, e.g. "Temporal dev server". */
  name: string;
  pid: number;
  /** From /proc/<pid>/stat, so a reused pid is never signalled; undefined off Linux. */
  startTicks?: number;
  steps: StopStep[];
}

export type WatchdogMessage = { op: 'watch'; child: Watched } | { op: 'unwatch'; pid: number };

export const encodeMessage = (m: WatchdogMessage): string => `${JSON.stringify(m)}\n`;

const SIGNALS = new Set(['SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGKILL']);

/** Applies one line to the watch list; a malformed line is ignored (returns false) rather than trusted. */
export function applyMessage(watched: Map<number, Watched>, line: string): boolean {
  let m: unknown;
  try {
    m = JSON.parse(line);
  } catch {
    return false;
  }
  if (typeof m !== 'object' || m === null) return false;
  const msg = m as Record<string, unknown>;
  if (msg.op === 'unwatch' && Number.isInteger(msg.pid)) {
    watched.delete(msg.pid as number);
    return true;
  }
  if (msg.op !== 'watch' || typeof msg.child !== 'object' || msg.child === null) return false;
  const c = msg.child as Record<string, unknown>;
  const validSteps =
    Array.isArray(c.steps) &&
    c.steps.length > 0 &&
    c.steps.every((s) => Array.isArray(s) && SIGNALS.has(s[0] as string) && Number.isFinite(s[1]) && (s[1] as number) >= 0);
  // pid 0, 1 or negative would signal a group or init: never.
  if (typeof c.name !== 'string' || !Number.isInteger(c.pid) || (c.pid as number) <= 1 || !validSteps) return false;
  if (c.startTicks !== undefined && !Number.isFinite(c.startTicks)) return false;
  watched.set(c.pid as number, { name: c.name, pid: c.pid as number, startTicks: c.startTicks as number | undefined, steps: c.steps as StopStep[] });
  return true;
}
