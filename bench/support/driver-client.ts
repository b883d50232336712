import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export interface Driver {
  pid: number;
  call<T = any>(cmd: string, args?: unknown): Promise<T>;
  stop(): Promise<void>;
}

/** Forks bench/support/driver.ts (or another serveIpc child) under tsx and speaks its { id, cmd, args } protocol. */
export async function startDriver(file = path.join(__dirname, 'driver.ts')): Promise<Driver> {
  const child: ChildProcess = fork(file, [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  let next = 1;
  child.on('message', (msg: { id: number; result?: unknown; error?: string }) => {
    const p = pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id);
    if (msg.error) p.reject(new Error(`${path.basename(file)}: ${msg.error}`));
    else p.resolve(msg.result);
  });
  child.on('exit', (code) => {
    for (const p of pending.values()) p.reject(new Error(`${path.basename(file)} exited (${code})`));
    pending.clear();
  });
  const killOnExit = () => void child.kill('SIGKILL');
  process.once('exit', killOnExit);
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  return {
    pid: child.pid!,
    call(cmd, args) {
      const id = next++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        child.send({ id, cmd, args });
      });
    },
    async stop() {
      process.removeListener('exit', killOnExit);
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
