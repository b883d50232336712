// The watchdog process (see watchdog.ts for why it exists and why it holds under SIGKILL).
// argv[2]: the pid of the `hookflow dev` that started it. It reads watch/unwatch lines on stdin
// and, once that stdin reaches end-of-file (or it is re-parented), stops whatever is still
// watched and exits.
import { applyMessage, type Watched } from './watchdog-protocol';
import { stopProcess } from './stop-process';

const parentPid = Number(process.argv[2]);
const watched = new Map<number, Watched>();
let finishing = false;

// Its output is the parent's terminal or pipe, which may be gone by now; never die of EPIPE.
process.stdout.on('error', () => undefined);
process.stderr.on('error', () => undefined);
// Its own session already keeps a terminal's Ctrl-C and hangup away; these are belt and braces.
process.on('SIGINT', () => undefined);
process.on('SIGHUP', () => undefined);

async function finish(why: string): Promise<void> {
  if (finishing) return;
  finishing = true;
  const children = [...watched.values()];
  if (children.length > 0) {
    const results = await Promise.all(children.map(async (c) => [c, await stopProcess(c.pid, c.startTicks, c.steps).catch(() => false)] as const));
    const stopped = results.filter(([, ok]) => ok).map(([c]) => `${c.name} (pid ${c.pid})`);
    const left = results.filter(([, ok]) => !ok).map(([c]) => `${c.name} (pid ${c.pid})`);
    let line = `[hookflow] watchdog: hookflow dev (pid ${parentPid}) ${why}; stopped ${stopped.join(' and ') || 'nothing'}`;
    if (left.length > 0) line += `; could NOT stop ${left.join(' and ')}: the next start will name them`;
    process.stdout.write(`${line}\n`);
  }
  process.exit(0);
}

let buffered = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk: string) => {
  const lines = (buffered + chunk).split('\n');
  buffered = lines.pop() ?? '';
  for (const line of lines) if (line.trim()) applyMessage(watched, line);
});
process.stdin.on('end', () => void finish('is gone'));
process.stdin.on('error', () => void finish('is gone (its pipe broke)'));

// Second line of defence: a parent that died leaves us re-parented even if, somehow, a copy of the
// pipe's write end lived on elsewhere.
const timer = setInterval(() => {
  if (process.ppid !== parentPid) void finish('is gone (watchdog re-parented)');
}, 500);
timer.unref();
