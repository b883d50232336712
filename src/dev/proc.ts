// What the kernel says about a process and a port, read from /proc (Linux). `hookflow dev` uses it
// to tell its own leftovers from a stranger's process before it stops anything, and to check that
// the server answering on a port is the child it started. Elsewhere every lookup answers
// "unknown" (undefined), and callers fall back to weaker checks that never kill by guess.
import { readFileSync, readdirSync, readlinkSync, realpathSync } from 'node:fs';

export interface ProcStat {
  comm: string;
  state: string;
  ppid: number;
  pgrp: number;
  session: number;
  /** Clock ticks after boot: with the pid, identifies one process across pid reuse. */
  startTicks: number;
}

/** Parses /proc/<pid>/stat. The command name may hold spaces and parentheses, so split at the last ')'. */
export function parseStat(text: string): ProcStat | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const rest = text.slice(close + 2).trim().split(/\s+/);
  // rest[0] is field 3 (state); starttime is field 22.
  const nums = [1, 2, 3, 19].map((i) => Number(rest[i]));
  if (rest.length < 20 || nums.some((n) => !Number.isFinite(n))) return undefined;
  return { comm: text.slice(open + 1, close), state: rest[0]!, ppid: nums[0]!, pgrp: nums[1]!, session: nums[2]!, startTicks: nums[3]! };
}

export function readStat(pid: number): ProcStat | undefined {
  try {
    return parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** True while the process exists and has not exited (a zombie waiting to be reaped counts as gone). */
export function isAlive(pid: number): boolean {
  const stat = readStat(pid);
  if (stat) return stat.state !== 'Z' && stat.state !== 'X';
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Same pid and same start time: the very process we recorded, not a newcomer that got its pid. */
export function isSameProcess(pid: number, startTicks: number | undefined): boolean {
  if (!isAlive(pid)) return false;
  const stat = readStat(pid);
  return stat === undefined || startTicks === undefined || stat.startTicks === startTicks;
}

export function cmdline(pid: number): string[] | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return raw ? raw.replace(/\0$/, '').split('\0') : undefined;
  } catch {
    return undefined;
  }
}

/** The executable's real path; undefined when /proc is missing or the process is not ours to read. */
export function exePath(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/exe`).replace(/ \(deleted\)$/, '');
  } catch {
    return undefined;
  }
}

export function realPath(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return file;
  }
}

/** "pid 123 (temporal server start-dev --port 7233 …)", for messages. */
export function describePid(pid: number): string {
  const args = cmdline(pid);
  const comm = readStat(pid)?.comm;
  const shown = (args ? args.join(' ') : comm)?.replace(/\s+/g, ' ').trim();
  return shown ? `pid ${pid} (${shown.length > 160 ? `${shown.slice(0, 157)}…` : shown})` : `pid ${pid}`;
}

/** Socket inodes listening on `port` in one /proc/net/tcp{,6} table (any local address). */
export function parseListeningInodes(table: string, port: number): number[] {
  const out: number[] = [];
  for (const line of table.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    // f[1] local address "0100007F:1C41", f[3] state (0A = LISTEN), f[9] inode.
    if (f.length < 10 || f[3] !== '0A') continue;
    if (parseInt(f[1]!.split(':').pop()!, 16) === port) out.push(Number(f[9]));
  }
  return out.filter((n) => n > 0);
}

function listeningInodes(port: number): Set<number> | undefined {
  let any = false;
  const inodes = new Set<number>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    try {
      for (const n of parseListeningInodes(readFileSync(table, 'utf8'), port)) inodes.add(n);
      any = true;
    } catch {
      /* no IPv6, or no /proc */
    }
  }
  return any ? inodes : undefined;
}

function socketInodesOf(pid: number): Set<number> {
  const found = new Set<number>();
  let fds: string[] = [];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return found;
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) found.add(Number(m[1]));
    } catch {
      /* closed meanwhile */
    }
  }
  return found;
}

export interface PortListeners {
  /** Something listens on the port (per the kernel's socket tables). */
  busy: boolean;
  /** The processes holding those sockets that we may inspect; may be empty for another user's process. */
  pids: number[];
}

/** Who listens on a TCP port; undefined where /proc is not available. */
export function portListeners(port: number): PortListeners | undefined {
  const inodes = listeningInodes(port);
  if (inodes === undefined) return undefined;
  if (inodes.size === 0) return { busy: false, pids: [] };
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    for (const inode of socketInodesOf(pid)) {
      if (inodes.has(inode)) {
        pids.push(pid);
        break;
      }
    }
  }
  return { busy: true, pids };
}

/** Whether `pid` itself holds a socket listening on `port`; undefined where /proc is not available. */
export function isListening(pid: number, port: number): boolean | undefined {
  const inodes = listeningInodes(port);
  if (inodes === undefined) return undefined;
  for (const inode of socketInodesOf(pid)) if (inodes.has(inode)) return true;
  return false;
}

/** Every live process whose session is one of `sessions`: what a detached child and its own children leave. */
export function processesInSessions(sessions: Set<number>): number[] {
  const out: number[] = [];
  let names: string[] = [];
  try {
    names = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readStat(Number(name));
    if (stat && sessions.has(stat.session) && stat.state !== 'Z' && stat.state !== 'X') out.push(Number(name));
  }
  return out;
}
