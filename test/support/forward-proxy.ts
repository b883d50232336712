// A real forward proxy for the tests: Debian's tinyproxy, started on 127.0.0.1 with its own config
// and access log, stopped by the test. Every request it forwards and every CONNECT tunnel it opens
// is a line of its log.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { closedPort } from './ports';
import { waitFor } from './wait';

export interface ForwardProxy {
  url: string;
  /** The request lines it logged: `POST http://127.0.0.1:1234/hook HTTP/1.1`, `CONNECT 127.0.0.1:443 HTTP/1.1`. */
  requests(): string[];
  stop(): Promise<void>;
}

export async function startForwardProxy(): Promise<ForwardProxy> {
  const dir = mkdtempSync(path.join(tmpdir(), 'hookflow-proxy-'));
  const log = path.join(dir, 'access.log');
  const port = await closedPort();
  writeFileSync(
    path.join(dir, 'tinyproxy.conf'),
    [`Port ${port}`, 'Listen 127.0.0.1', 'Timeout 30', `LogFile "${log}"`, 'LogLevel Connect', 'MaxClients 100', 'Allow 127.0.0.1', 'DisableViaHeader Yes', ''].join('\n'),
  );
  // -d: stay in the foreground, so the test owns the process and stops it by its PID.
  const child: ChildProcess = spawn('tinyproxy', ['-d', '-c', path.join(dir, 'tinyproxy.conf')], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const read = () => {
    try {
      return readFileSync(log, 'utf8');
    } catch {
      return '';
    }
  };
  await waitFor(async () => {
    if (child.exitCode !== null) throw new Error(`tinyproxy exited with ${child.exitCode}; install it with apt-get install tinyproxy`);
    // A bare TCP connect: an HTTP probe would be a request line in the log.
    return new Promise<true | undefined>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => resolve(true)).on('error', () => resolve(undefined));
      socket.on('connect', () => socket.end());
    });
  }, 'tinyproxy to listen', 10_000, 50);
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => [...read().matchAll(/Request \(file descriptor \d+\): (.+)$/gm)].map((m) => m[1]!.trim()),
    async stop() {
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3_000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
