// What a PostgreSQL data directory says about the server that last ran on it, read before starting
// a new one. A server killed with SIGKILL leaves postmaster.pid behind. PostgreSQL handles a dead
// pid in it by itself (it checks its shared memory, then replays WAL); what it cannot handle is a
// pid that now belongs to some other process ("lock file already exists"), which after a reboot or
// a busy day is likely. Only that file is ever removed here, and only when no process is still
// working in the data directory.
import { readFileSync, rmSync } from 'node:fs';
import { readdirSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { describePid, exePath, isAlive, readStat, realPath } from './proc';

export interface PidFile {
  pid: number;
  dataDir?: string;
  port?: number;
}

/** postmaster.pid: line 1 pid, line 2 data directory, line 4 port (PostgreSQL's own layout). */
export function parsePostmasterPid(text: string): PidFile | undefined {
  const lines = text.split('\n');
  const pid = Number(lines[0]);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  const port = Number(lines[3]);
  return { pid, dataDir: lines[1] || undefined, port: Number.isInteger(port) && port > 0 ? port : undefined };
}

export function readPostmasterPid(dataDir: string): PidFile | undefined {
  try {
    return parsePostmasterPid(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Processes running the given postgres binary with their working directory in `dataDir`: every
 * PostgreSQL process (postmaster and backends) chdirs into its data directory. Undefined off Linux.
 */
export function postgresProcessesIn(dataDir: string, postgresBin: string): number[] | undefined {
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return undefined;
  }
  const want = realPath(dataDir);
  const bin = realPath(postgresBin);
  const out: number[] = [];
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    try {
      if (readlinkSync(`/proc/${pid}/cwd`) === want && exePath(pid) === bin && isAlive(pid)) out.push(pid);
    } catch {
      /* gone, or not ours to read */
    }
  }
  return out;
}

export type StaleVerdict =
  | { kind: 'clean' }
  /** The server was killed; PostgreSQL recovers by itself (the file stays for its own checks). */
  | { kind: 'crashed'; pid: number }
  /** The pid in the file now names another program: PostgreSQL would refuse; the file was removed. */
  | { kind: 'removed'; pid: number; now: string }
  /** PostgreSQL processes still work in the directory. */
  | { kind: 'busy'; pids: number[] };

/** Looks at postmaster.pid and the processes in the data directory; removes the file only when safe. */
export function checkStaleState(dataDir: string, postgresBin: string): StaleVerdict {
  const users = postgresProcessesIn(dataDir, postgresBin);
  if (users && users.length > 0) return { kind: 'busy', pids: users };
  const file = readPostmasterPid(dataDir);
  if (!file) return { kind: 'clean' };
  if (!isAlive(file.pid)) return { kind: 'crashed', pid: file.pid };
  // Alive: ours only if it is a postgres in this very directory, which `users` would have listed.
  if (users === undefined) return { kind: 'busy', pids: [file.pid] };
  const now = describePid(file.pid);
  const isPostgres = readStat(file.pid)?.comm === 'postgres' || exePath(file.pid) === realPath(postgresBin);
  if (isPostgres && file.dataDir && realPath(file.dataDir) === realPath(dataDir)) return { kind: 'busy', pids: [file.pid] };
  rmSync(path.join(dataDir, 'postmaster.pid'), { force: true });
  return { kind: 'removed', pid: file.pid, now };
}
