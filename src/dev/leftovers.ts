// A previous `hookflow dev` that died together with its watchdog (or an older hookflow without one)
// can leave its Temporal dev server and PostgreSQL running. At start they are recognised by what
// only they can have in common with us: the same binary (real path of /proc/<pid>/exe) serving the
// same data (the SQLite file / data directory on its command line). Those are stopped; anything
// else, even on our ports, is a stranger and is never signalled (ports.ts names it instead).
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { cmdline, exePath, realPath } from './proc';
import type { RunState } from './run-state';
import { StartError } from './start-error';
import { stopProcess, type StopStep } from './stop-process';

export interface Identity {
  name: string;
  exe: string;
  /** The flag that names the data on the command line: `--db-filename`, `-D`. */
  dataFlag: string;
  data: string;
  steps: StopStep[];
}

/** Whether a command line serves `data` through `flag` (as "flag value" or "flag=value"). */
export function servesData(args: string[], flag: string, data: string): boolean {
  const want = path.resolve(data);
  for (let i = 0; i < args.length; i++) {
    if (args[i] === flag && args[i + 1] !== undefined && path.resolve(args[i + 1]!) === want) return true;
    if (args[i]!.startsWith(`${flag}=`) && path.resolve(args[i]!.slice(flag.length + 1)) === want) return true;
  }
  return false;
}

export function isOurs(pid: number, id: Identity): boolean {
  const exe = exePath(pid);
  if (!exe || exe !== realPath(id.exe)) return false;
  const args = cmdline(pid);
  return args !== undefined && servesData(args, id.dataFlag, id.data);
}

/** Every live process that is one of ours by identity. Empty off Linux (nothing is guessed there). */
export function findLeftovers(ids: Identity[]): { id: Identity; pid: number }[] {
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return [];
  }
  const found: { id: Identity; pid: number }[] = [];
  for (const name of names) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    for (const id of ids) if (isOurs(Number(name), id)) found.push({ id, pid: Number(name) });
  }
  return found;
}

/** Stops our leftovers and says so in one line; a leftover that will not stop is a StartError. */
export async function stopLeftovers(ids: Identity[], previous: RunState | undefined, say: (line: string) => void): Promise<void> {
  const found = findLeftovers(ids);
  if (found.length === 0) return;
  const began = Date.now();
  const results = await Promise.all(found.map(async (f) => ({ ...f, stopped: await stopProcess(f.pid, undefined, f.id.steps) })));
  const stuck = results.filter((r) => !r.stopped);
  if (stuck.length > 0) {
    throw new StartError({
      what: `could not stop ${stuck.map((s) => `${s.id.name} (pid ${s.pid})`).join(' and ')} left running by an earlier hookflow dev`,
      why: 'it survived SIGTERM/SIGINT and SIGKILL (a process in uninterruptible I/O, or one owned by another user)',
      todo: `stop it by hand (kill -9 ${stuck.map((s) => s.pid).join(' ')}) and start again`,
    });
  }
  const who = previous && !found.some((f) => f.pid === previous.owner.pid) ? `an earlier hookflow dev (pid ${previous.owner.pid})` : 'an earlier hookflow dev';
  const what = results.map((r) => `${r.id.name} (pid ${r.pid})`).join(' and ');
  say(`${who} left ${what} running on this data directory; stopped ${results.length > 1 ? 'them' : 'it'} in ${((Date.now() - began) / 1000).toFixed(1)} s`);
}
