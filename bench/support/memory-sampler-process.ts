// Samples the watched processes' memory once a second in a process of its own: reading
// /proc/<pid>/smaps_rollup of every PostgreSQL backend and scanning /proc for them costs kernel time
// in the reader (measured 1.3 s of the API + worker process's 12.9 s busy during a quick sustained
// run), which, in the bench process, would be counted as hookflow's CPU per delivery.
// Talks to bench/support/proc-stats.ts's MemorySampler over IPC (bench/support/ipc-child.ts).
import { serveIpc } from './ipc-child';
import { peakKb, type Watched } from './proc-stats';

let peaks = new Map<string, number>();
let timer: NodeJS.Timeout | undefined;
let watched: Watched[] = [];

function sample(): void {
  for (const w of watched) peaks.set(w.name, Math.max(peaks.get(w.name) ?? 0, peakKb(w)));
}

serveIpc({
  start(a: { watched: Watched[]; everyMs: number }) {
    watched = a.watched;
    peaks = new Map();
    sample();
    timer = setInterval(sample, a.everyMs);
  },
  stop() {
    clearInterval(timer);
    sample();
    return Object.fromEntries(peaks);
  },
});
