// Errors are words: every way the start path fails here prints what failed, why and what to do,
// naming the port, the pid, the file or PostgreSQL's own log line; never "undefined", never a
// stack. And stale state a killed PostgreSQL leaves behind is recovered from. Real binaries only.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { startEmbeddedPostgres } from '../../src/dev/embedded-postgres';
import { isAlive } from '../../src/dev/proc';
import { StartError } from '../../src/dev/start-error';
import { resolveTemporalCli } from '../../src/dev/temporal-cli-binary';
import { freePort } from '../../src/net/free-port';
import { startDevServer } from '../../src/dev/temporal-dev-server';
import { scratchDir } from './support/backends';
import { devEnv, freeDevPorts, startDev } from './support/dev-stack';

/** As root, PostgreSQL runs as `postgres`; otherwise as us. */
function postgresUser(): { uid: number; gid: number } | object {
  if (process.getuid?.() !== 0) return {};
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

/** A listener of the test's own on a free port: a "foreign process" that must survive. */
async function occupy(): Promise<{ port: number; server: net.Server }> {
  const port = await freePort();
  const server = net.createServer((s) => s.end());
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { port, server };
}

function assertWords(message: string): void {
  assert.doesNotMatch(message, /\bundefined\b/, message);
  assert.doesNotMatch(message, /^\s+at .+\(.+:\d+:\d+\)$/m, `a stack trace in:\n${message}`);
  assert.match(message, /why:/);
  assert.match(message, /what to do:/);
}

void describe('start errors are words', { timeout: 300_000 }, () => {
  const scratch = scratchDir('start-errors');
  const servers: net.Server[] = [];
  after(async () => {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    scratch.remove();
  });

  void test('embedded PostgreSQL on a port in use: the message names the port and the holder', async () => {
    const { port, server } = await occupy();
    servers.push(server);
    const err = await startEmbeddedPostgres({ dataDir: path.join(scratch.dir, 'pg-port'), port, persistent: true, portSetting: 'HOOKFLOW_DEV_POSTGRES_PORT' }).then(
      () => assert.fail('started on a busy port'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof StartError, String(err));
    assertWords(err.message);
    assert.match(err.message, new RegExp(`port ${port}\\b`));
    assert.match(err.message, new RegExp(`pid ${process.pid}\\b`));
    assert.match(err.message, /HOOKFLOW_DEV_POSTGRES_PORT/);
    assert.ok(server.listening, 'the holder was left alone');
  });

  void test('PostgreSQL failing for a reason of its own: its FATAL line, exit code and log file are in the message', async () => {
    const dataDir = path.join(scratch.dir, 'pg-conf');
    const port = await freePort();
    const pg = await startEmbeddedPostgres({ dataDir, port, persistent: true });
    await pg.stop();
    appendFileSync(path.join(dataDir, 'postgresql.auto.conf'), "\nshared_buffers = 'plenty'\n");
    const err = await startEmbeddedPostgres({ dataDir, port, persistent: true }).then(
      () => assert.fail('started with a broken configuration'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof StartError, String(err));
    assertWords(err.message);
    assert.match(err.message, /exited with code \d+/);
    assert.match(err.message, /shared_buffers/);
    assert.match(err.message, /FATAL/);
    assert.match(err.message, /postgres\.log/);
  });

  void test('a postmaster.pid whose pid now belongs to another program is recovered from', async () => {
    const dataDir = path.join(scratch.dir, 'pg-stale');
    const port = await freePort();
    const pg = await startEmbeddedPostgres({ dataDir, port, persistent: true });
    const pidFile = path.join(dataDir, 'postmaster.pid');
    process.kill(pg.pid, 'SIGKILL');
    await pg.exited;
    // What a reboot or a busy machine does: the recorded pid is reused by some unrelated process of
    // the same user PostgreSQL runs as (for another user's pid, kill(pid, 0) fails with EPERM and
    // PostgreSQL would recover by itself; for its own user's, it refuses: "lock file already exists").
    const stranger = spawn('sleep', ['60'], { stdio: 'ignore', ...postgresUser() });
    try {
      const text = `${stranger.pid}\n${dataDir}\n0\n${port}\n\n127.0.0.1\n 0 0\nready   \n`;
      writeFileSync(pidFile, text);
      const notes: string[] = [];
      const again = await startEmbeddedPostgres({ dataDir, port, persistent: true, onNote: (l) => notes.push(l) });
      await again.stop();
      assert.ok(notes.some((n) => n.includes(`stale postmaster.pid: its pid ${stranger.pid} now belongs to`)), notes.join('\n'));
      assert.ok(isAlive(stranger.pid!), 'the stranger was not touched');
    } finally {
      stranger.kill('SIGKILL');
    }
  });

  void test('a Temporal SQLite file that is not a database: the message names the file and how to recover', async () => {
    const cli = await resolveTemporalCli({ allowBuild: false });
    assert.ok('path' in cli, 'the fault suite has a local Temporal CLI');
    const dbFilename = path.join(scratch.dir, 'broken-temporal.db');
    writeFileSync(dbFilename, 'this is not SQLite\n'.repeat(100));
    const err = await startDevServer({ cli, dbFilename, port: await freePort(), headless: true, searchAttributes: [], logDir: path.join(scratch.dir, 'logs') }).then(
      () => assert.fail('started on a broken database file'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof StartError, String(err));
    assertWords(err.message);
    assert.ok(err.message.includes(`mv ${dbFilename} ${dbFilename}.broken`), err.message);
    assert.match(err.message, /file is not a database/);
  });

  void test('readiness counts only for our own child: a server already on the port never makes a dead child look ready', async () => {
    const cli = await resolveTemporalCli({ allowBuild: false });
    assert.ok('path' in cli, 'the fault suite has a local Temporal CLI');
    const port = await freePort();
    const old = await startDevServer({ cli, port, headless: true, searchAttributes: [] });
    try {
      // No port pre-check here (no portSettings): the new child dies of "address already in use"
      // while the old server answers every gRPC readiness probe on the same port.
      const err = await startDevServer({ cli, port, headless: true, searchAttributes: [], logDir: path.join(scratch.dir, 'logs-ready') }).then(
        (s) => (void s.stop(), assert.fail('reported ready on a port another server holds')),
        (e: unknown) => e,
      );
      assert.ok(err instanceof StartError, String(err));
      assertWords(err.message);
      assert.match(err.message, /before it was ready|not the dev server we started/);
      assert.match(err.message, new RegExp(`port ${port}\\b`));
      assert.match(err.message, new RegExp(`pid ${old.pid}\\b`), 'the holder is named');
    } finally {
      await old.stop();
    }
  });

  // The whole `npm start`: the CLI prints the StartError as is and exits 1, and the foreign holder survives.
  for (const which of ['postgres', 'temporal'] as const) {
    void test(`npm start with the ${which} port held by a stranger: exit 1, port and pid named, nothing started`, async () => {
      const { port, server } = await occupy();
      servers.push(server);
      const ports = { ...(await freeDevPorts()), [which]: port };
      const run = startDev(devEnv(path.join(scratch.dir, `data-${which}`), ports));
      const { code } = await Promise.race([run.exited, new Promise<never>((_, rej) => setTimeout(() => rej(new Error('npm start hung')), 60_000))]);
      const out = run.lines.join('\n');
      assert.notEqual(code, 0, out);
      const message = out.slice(out.indexOf('hookflow dev:'));
      assert.ok(out.includes('hookflow dev:'), out);
      assertWords(message);
      assert.match(message, new RegExp(`port ${port}\\b`));
      assert.match(message, new RegExp(`pid ${process.pid}\\b`));
      assert.match(message, which === 'postgres' ? /HOOKFLOW_DEV_POSTGRES_PORT/ : /HOOKFLOW_DEV_TEMPORAL_PORT/);
      assert.ok(!out.includes('[hookflow] starting'), 'ports are checked before anything starts');
      assert.ok(server.listening, 'the holder was left alone');
    });
  }
});
