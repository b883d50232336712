// "Is this port free?", answered with who holds it. Called right before a child is spawned on a
// fixed port, so a server that is already there is named instead of being mistaken for ours.
import net from 'node:net';
import { describePid, portListeners } from './proc';
import { StartError } from './start-error';

/** Sentence naming the holders of a busy port, e.g. "pid 123 (temporal server start-dev …)". */
export function holdersOf(port: number): string | undefined {
  const l = portListeners(port);
  if (!l?.busy) return undefined;
  return l.pids.length > 0 ? l.pids.map(describePid).join(', ') : 'a process hookflow may not inspect (another user?)';
}

/**
 * Throws a StartError naming the port, its holder and the setting to change when something
 * listens on `port`. Off Linux the kernel tables are not readable: a bind probe decides instead.
 */
export async function checkPortFree(port: number, what: string, setting: string): Promise<void> {
  const l = portListeners(port);
  if (l === undefined) {
    if (await bindProbe(port)) throw portBusy(port, what, setting, 'a process hookflow cannot identify on this platform');
    return;
  }
  if (l.busy) throw portBusy(port, what, setting, holdersOf(port) ?? 'an unknown process');
}

export function portBusy(port: number, what: string, setting: string, holder: string): StartError {
  return new StartError({
    what: `port ${port}, where ${what} should listen, is already in use`,
    why: `it is held by ${holder}, which this hookflow dev did not start (nothing of it was stopped)`,
    todo: `stop that process, or choose another port with ${setting}=<port>`,
  });
}

/** Off Linux: whether a bind on 127.0.0.1:port fails with EADDRINUSE. */
export function bindProbe(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'EADDRINUSE'));
    srv.listen({ port, host: '127.0.0.1', exclusive: true }, () => srv.close(() => resolve(false)));
  });
}
