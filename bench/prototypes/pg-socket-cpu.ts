// Node CPU per PostgreSQL statement over loopback TCP and over a Unix socket: one prepared statement
// of the size of a small target read, 5,000 times in a row on each, interleaved, three rounds. Asks
// whether the co-located database of `npm start` would cost the API + worker process less over a
// socket (docs/performance.md).
//   npx tsx bench/prototypes/pg-socket-cpu.ts
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { postgresBinary } from '../../src/dev/embedded-postgres';
import { freePort } from '../../src/net/free-port';

const N = 5_000;
const ROUNDS = 3;

async function main() {
  const bin = path.dirname(await postgresBinary());
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hookflow-pg-socket-'));
  chmodSync(dir, 0o777);
  const data = path.join(dir, 'data');
  // initdb and postgres refuse to run as root: as root, run them as the postgres user.
  const asRoot = process.getuid?.() === 0;
  const run = (cmd: string) => (asRoot ? ['su', ['postgres', '-s', '/bin/sh', '-c', cmd]] : ['/bin/sh', ['-c', cmd]]) as [string, string[]];
  execFileSync(...run(`${bin}/initdb -D ${data} -U postgres --auth=trust -E UTF8 >/dev/null`), { stdio: 'inherit' });
  const port = await freePort();
  const server = spawn(...run(`exec ${bin}/postgres -D ${data} -p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${dir}`), { stdio: 'ignore' });
  try {
    const connect = async (host: string) => {
      for (let i = 0; i < 50; i++) {
        const c = new Client({ host, port, user: 'postgres', database: 'postgres' });
        try {
          await c.connect();
          return c;
        } catch {
          await sleep(200);
        }
      }
      throw new Error(`PostgreSQL did not answer on ${host}`);
    };
    const q = { name: 'q', text: 'SELECT $1::int + 1 AS x, repeat($2::text, 20) AS y', values: [1, 'abcdefgh'] };
    for (let round = 1; round <= ROUNDS; round++) {
      for (const [label, host] of [['tcp 127.0.0.1', '127.0.0.1'], ['unix socket', dir]] as const) {
        const c = await connect(host);
        for (let i = 0; i < 500; i++) await c.query(q);
        const cpu0 = process.cpuUsage();
        const t0 = performance.now();
        for (let i = 0; i < N; i++) await c.query(q);
        const cpu = process.cpuUsage(cpu0);
        const us = (v: number) => (v / N).toFixed(1);
        console.log(`round ${round} ${label}: CPU ${us(cpu.user + cpu.system)} µs per statement (user ${us(cpu.user)}, system ${us(cpu.system)}), wall ${(((performance.now() - t0) * 1000) / N).toFixed(1)} µs`);
        await c.end();
      }
    }
  } finally {
    server.kill('SIGINT');
    await new Promise((resolve) => server.once('exit', resolve));
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
