// CPU time and memory of the processes under test, read from /proc (Linux only; elsewhere the
// figures come back as null rather than failing the run).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { startDriver, type Driver } from './driver-client';

let ticks: number | undefined;
function clockTicks(): number {
  if (ticks === undefined) {
    try {
      ticks = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

interface StatLine {
  ppid: number;
  /** Own user+system seconds. */
  own: number;
  /** Seconds of children that have exited and were waited for. */
  reaped: number;
}

function readStat(pid: number): StatLine | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may contain spaces; fields resume after the last ')'.
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const t = clockTicks();
    return { ppid: Number(f[1]), own: (Number(f[11]) + Number(f[12])) / t, reaped: (Number(f[13]) + Number(f[14])) / t };
  } catch {
    return undefined;
  }
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    if (readStat(Number(name))?.ppid === pid) out.push(Number(name));
  }
  return out;
}

/** A watched process; `tree` adds its direct children (PostgreSQL's backends). */
export interface Watched {
  name: string;
  pid: number;
  tree: boolean;
}

/** Total CPU seconds so far of the process (and, for a tree, its live and exited children). */
export function cpuSeconds(w: Watched): number | null {
  const root = readStat(w.pid);
  if (!root) return null;
  let total = root.own;
  if (w.tree) {
    total += root.reaped;
    for (const c of childrenOf(w.pid)) total += readStat(c)?.own ?? 0;
  }
  return total;
}

function statusKb(pid: number, field: string): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function pssKb(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/**
 * What one sample of a watched process's memory reads, in KiB: a single process's kernel-kept
 * high-water mark (VmHWM); for a tree, the sum of proportional set sizes, so shared buffers are
 * counted once, not per backend.
 */
export function peakKb(w: Watched): number {
  return w.tree ? [w.pid, ...childrenOf(w.pid)].reduce((sum, pid) => sum + pssKb(pid), 0) : statusKb(w.pid, 'VmHWM');
}

/**
 * Peak memory in MiB. The watched processes are sampled by a child of their own
 * (bench/support/memory-sampler-process.ts), so the /proc reading is not charged to the process
 * hosting API and worker; only that process's own heap make-up is read here (process.memoryUsage).
 */
export class MemorySampler {
  private timer?: NodeJS.Timeout;
  private child?: Driver;
  /** This process's own make-up at its highest sampled RSS (MiB): where the memory of API + worker goes. */
  private self = { rss: 0, heapTotal: 0, heapUsed: 0, external: 0 };
  /** VmHWM when sampling began: what start-up alone took (module loading, the workflow bundle). */
  startupMiB = 0;
  /** This process's highest sampled RSS and heap (MiB) per scenario, keyed by the label given to mark(). */
  readonly byScenario: Record<string, { rss: number; heapUsed: number }> = {};
  private label = 'start-up';

  constructor(private readonly watched: Watched[]) {}

  /** The sampler's own process, to be counted with the bench's processes rather than as noise. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(everyMs = 1000): Promise<void> {
    this.startupMiB = Math.round(statusKb(process.pid, 'VmHWM') / 1024);
    this.child = await startDriver(path.join(__dirname, 'memory-sampler-process.ts'));
    await this.child.call('start', { watched: this.watched, everyMs });
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
    this.timer.unref();
  }

  async stop(): Promise<Record<string, number | null>> {
    clearInterval(this.timer);
    this.sample();
    const peaks = await this.child!.call<Record<string, number>>('stop');
    await this.child!.stop();
    return Object.fromEntries(this.watched.map((w) => [w.name, peaks[w.name] ? Math.round(peaks[w.name]! / 1024) : null]));
  }

  /** Later samples count toward `label` (the scenario about to run). */
  mark(label: string): void {
    this.sample();
    this.label = label;
  }

  /** The bench process's heap make-up at its sampled RSS peak. */
  selfAtPeak(): { rss: number; heapTotal: number; heapUsed: number; external: number } {
    return this.self;
  }

  private sample(): void {
    const m = process.memoryUsage();
    const mib = (b: number) => Math.round(b / 2 ** 20);
    if (mib(m.rss) > this.self.rss) this.self = { rss: mib(m.rss), heapTotal: mib(m.heapTotal), heapUsed: mib(m.heapUsed), external: mib(m.external) };
    const cur = (this.byScenario[this.label] ??= { rss: 0, heapUsed: 0 });
    cur.rss = Math.max(cur.rss, mib(m.rss));
    cur.heapUsed = Math.max(cur.heapUsed, mib(m.heapUsed));
  }
}

/** Busy CPU seconds of the whole machine, all cores (from /proc/stat). */
export function machineBusySeconds(): number | null {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const idle = (f[3] ?? 0) + (f[4] ?? 0);
    return (f.reduce((a, b) => a + b, 0) - idle) / clockTicks();
  } catch {
    return null;
  }
}

/** CPU seconds of every watched process, for before/after deltas around a scenario. */
export function cpuSnapshot(watched: Watched[]): Record<string, number | null> {
  return { ...Object.fromEntries(watched.map((w) => [w.name, cpuSeconds(w)])), machine: machineBusySeconds() };
}

export function cpuDelta(before: Record<string, number | null>, after: Record<string, number | null>): Record<string, number | null> {
  return Object.fromEntries(
    Object.keys(after).map((k) => [k, after[k] === null || before[k] === null ? null : after[k]! - before[k]!]),
  );
}
