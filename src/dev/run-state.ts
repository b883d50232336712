// What a `hookflow dev` run started, written under its data directory, so the next run can find a
// crashed run's leftovers even when nothing else points at them:
//   dev.lock  which hookflow dev owns this data directory now (created exclusively);
//   run.json  the owner, its watchdog and each child (pid, start time, binary, ports, data files).
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describePid, isSameProcess, readStat } from './proc';
import { StartError } from './start-error';

export interface ProcessRecord {
  pid: number;
  startTicks?: number;
}

export interface ChildRecord extends ProcessRecord {
  /** Real path of the binary, part of what makes a leftover recognisably ours. */
  exe: string;
  ports: number[];
  /** The data file or directory the child serves (SQLite file, PostgreSQL data directory). */
  data: string;
}

export interface RunState {
  owner: ProcessRecord & { startedAt: string };
  watchdog?: ProcessRecord;
  children: { temporal?: ChildRecord; postgres?: ChildRecord };
}

export const self = (): ProcessRecord => ({ pid: process.pid, startTicks: readStat(process.pid)?.startTicks });

const isRecord = (v: unknown): v is ProcessRecord =>
  typeof v === 'object' && v !== null && Number.isInteger((v as ProcessRecord).pid) && (v as ProcessRecord).pid > 1;

/** Parses run.json; anything malformed (a file cut short by a crash) reads as "nothing recorded". */
export function parseRunState(text: string): RunState | undefined {
  try {
    const s = JSON.parse(text) as RunState;
    if (!isRecord(s.owner) || typeof s.children !== 'object' || s.children === null) return undefined;
    for (const key of ['temporal', 'postgres'] as const) {
      const c = s.children[key];
      if (c !== undefined && (!isRecord(c) || typeof c.exe !== 'string' || typeof c.data !== 'string' || !Array.isArray(c.ports))) delete s.children[key];
    }
    if (s.watchdog !== undefined && !isRecord(s.watchdog)) delete s.watchdog;
    return s;
  } catch {
    return undefined;
  }
}

export function readRunState(dataDir: string): RunState | undefined {
  try {
    return parseRunState(readFileSync(path.join(dataDir, 'run.json'), 'utf8'));
  } catch {
    return undefined;
  }
}

/** Written to a temporary file and renamed, so a crash mid-write leaves the old or the new file, never half. */
export function writeRunState(dataDir: string, state: RunState): void {
  const file = path.join(dataDir, 'run.json');
  writeFileSync(`${file}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}

/**
 * Takes the data directory for this process. A lock whose owner is alive stops the start (another
 * hookflow dev is using these files; nothing of it is touched); a lock left by a dead owner is
 * taken over. Returns the release function, and the dead owner when there was one.
 */
export function acquireDevLock(dataDir: string): { release: () => void; crashedOwner?: number } {
  const file = path.join(dataDir, 'dev.lock');
  const me = self();
  let crashedOwner: number | undefined;
  // Bounded: the second pass only follows a stale lock we removed.
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(file, JSON.stringify(me), { flag: 'wx' });
      return { release: () => rmSync(file, { force: true }), crashedOwner };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let holder: ProcessRecord | undefined;
    try {
      const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
      holder = isRecord(parsed) ? parsed : undefined;
    } catch {
      /* unreadable or cut short: stale */
    }
    if (holder && holder.pid !== me.pid && isSameProcess(holder.pid, holder.startTicks)) {
      throw new StartError({
        what: `another hookflow dev is already running on the data directory ${dataDir}`,
        why: `its lock ${file} is held by ${describePid(holder.pid)}, which is alive`,
        todo: `stop that one first (Ctrl-C in its terminal, or kill ${holder.pid}), or give this one its own HOOKFLOW_DATA_DIR. Nothing of it was touched.`,
      });
    }
    crashedOwner ??= holder?.pid;
    rmSync(file, { force: true });
  }
  throw new StartError({ what: `could not take the lock ${file}`, why: 'another process keeps re-creating it', todo: 'check for another hookflow dev starting on the same data directory' });
}
