// Pure logic behind `hookflow dev`'s crash handling: /proc parsing, the watchdog's protocol,
// run.json and postmaster.pid parsing, leftover identity, and the wording of start errors.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { servesData } from '../../src/dev/leftovers';
import { parsePostmasterPid } from '../../src/dev/postgres-stale';
import { explainPostgresExit } from '../../src/dev/postgres-explain';
import { parseListeningInodes, parseStat } from '../../src/dev/proc';
import { parseRunState } from '../../src/dev/run-state';
import { describeError, formatProblem, StartError } from '../../src/dev/start-error';
import { explainDevServerExit } from '../../src/dev/temporal-explain';
import { applyMessage, encodeMessage, type Watched } from '../../src/dev/watchdog-protocol';

void test('parseStat: a command name with spaces and parentheses, start time and session', () => {
  const rest = ['S', '10', '20', '30', ...Array.from({ length: 15 }, () => '0'), '987654', '0'];
  const s = parseStat(`4242 (tricky (name) x) ${rest.join(' ')}`);
  assert.deepEqual(s, { comm: 'tricky (name) x', state: 'S', ppid: 10, pgrp: 20, session: 30, startTicks: 987654 });
  assert.equal(parseStat('garbage'), undefined);
  assert.equal(parseStat('1 (x) S 1'), undefined);
});

void test('parseListeningInodes: only LISTEN sockets on the port, IPv4 and IPv6 layouts', () => {
  const header = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';
  const table = [
    header,
    '   0: 0100007F:1C41 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1111 1 0 100 0 0 10 0',
    '   1: 0100007F:1C41 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 2222 1 0 20 4 30 10 -1',
    '   2: 00000000:1C42 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 3333 1 0 100 0 0 10 0',
    '   3: 00000000000000000000000001000000:1C41 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 4444 1',
  ].join('\n');
  assert.deepEqual(parseListeningInodes(table, 0x1c41), [1111, 4444]);
  assert.deepEqual(parseListeningInodes(table, 0x1c42), [3333]);
  assert.deepEqual(parseListeningInodes(header, 7233), []);
});

void test('watchdog protocol: watch and unwatch round-trip; dangerous or malformed lines are refused', () => {
  const watched = new Map<number, Watched>();
  const child: Watched = { name: 'PostgreSQL', pid: 1234, startTicks: 99, steps: [['SIGINT', 3000], ['SIGKILL', 500]] };
  assert.ok(applyMessage(watched, encodeMessage({ op: 'watch', child })));
  assert.deepEqual(watched.get(1234), child);
  for (const bad of [
    'not json',
    '{"op":"watch","child":{"name":"x","pid":1,"steps":[["SIGTERM",1]]}}',
    '{"op":"watch","child":{"name":"x","pid":-5,"steps":[["SIGTERM",1]]}}',
    '{"op":"watch","child":{"name":"x","pid":77,"steps":[]}}',
    '{"op":"watch","child":{"name":"x","pid":77,"steps":[["SIGHUP",1]]}}',
    '{"op":"watch","child":{"name":"x","pid":77,"steps":[["SIGTERM",-1]]}}',
    '{"op":"explode"}',
  ]) {
    assert.equal(applyMessage(watched, bad), false, bad);
  }
  assert.ok(applyMessage(watched, encodeMessage({ op: 'unwatch', pid: 1234 })));
  assert.equal(watched.size, 0);
});

void test('run.json: a file cut short or malformed reads as nothing; bad children are dropped', () => {
  assert.equal(parseRunState('{"owner": {"pid": 12'), undefined);
  assert.equal(parseRunState('{"owner": {"pid": 1}, "children": {}}'), undefined);
  const s = parseRunState(
    JSON.stringify({
      owner: { pid: 100, startTicks: 5, startedAt: 'now' },
      watchdog: { pid: 'x' },
      children: { temporal: { pid: 101, exe: '/bin/temporal', ports: [7233], data: '/d/temporal.db' }, postgres: { pid: 102 } },
    }),
  );
  assert.ok(s);
  assert.equal(s.children.temporal?.pid, 101);
  assert.equal(s.children.postgres, undefined);
  assert.equal(s.watchdog, undefined);
});

void test('postmaster.pid: pid, data directory and port from their lines', () => {
  assert.deepEqual(parsePostmasterPid('4711\n/data/pg\n1700000000\n54329\n\n127.0.0.1\n  1 2\nready   \n'), { pid: 4711, dataDir: '/data/pg', port: 54329 });
  assert.equal(parsePostmasterPid(''), undefined);
  assert.equal(parsePostmasterPid('-3\n'), undefined);
});

void test('leftover identity: the data must be the value of the flag, in either spelling', () => {
  assert.ok(servesData(['temporal', 'server', 'start-dev', '--db-filename', '/d/temporal.db'], '--db-filename', '/d/temporal.db'));
  assert.ok(servesData(['temporal', '--db-filename=/d/./temporal.db'], '--db-filename', '/d/temporal.db'));
  assert.ok(!servesData(['temporal', '--db-filename', '/other/temporal.db'], '--db-filename', '/d/temporal.db'));
  assert.ok(!servesData(['postgres', '/d/pg'], '-D', '/d/pg'));
  assert.ok(servesData(['postgres', '-D', '/d/pg', '-p', '1'], '-D', '/d/pg'));
});

void test('errors are words: no "undefined", whatever was thrown', () => {
  for (const thrown of [undefined, null, '', new Error(''), {}, 42]) {
    const text = describeError(thrown);
    assert.ok(text.length > 0 && !/^undefined$|\bundefined\b/.test(text), `${JSON.stringify(thrown) ?? "undefined input"} -> ${text}`);
  }
  const withCode = Object.assign(new Error('connect failed'), { code: 'ECONNREFUSED' });
  assert.equal(describeError(withCode), 'connect failed (ECONNREFUSED)');
  const e = new StartError({ what: 'X failed', why: 'because', todo: 'do Y', logTail: ['line 1', 'line 2'], logFile: '/d/logs/x.log' });
  assert.equal(e.message, formatProblem(e.problem));
  assert.match(e.message, /^hookflow dev: X failed\n {2}why: {8}because\n {2}what to do: do Y\n {2}last lines of \/d\/logs\/x\.log:\n {4}line 1\n {4}line 2$/);
});

void test('PostgreSQL exits are explained by its own FATAL line', () => {
  const o = { dataDir: '/d/pg', port: 1, portSetting: 'HOOKFLOW_DEV_POSTGRES_PORT' };
  const lock = explainPostgresExit('PostgreSQL exited with code 1', ['LOG: starting', 'FATAL:  lock file "postmaster.pid" already exists', 'HINT:  Is another postmaster (PID 9) running'], o);
  assert.match(lock.why, /exited with code 1: another PostgreSQL claims this data directory/);
  assert.match(lock.todo, /\/d\/pg\/postmaster\.pid/);
  const bind = explainPostgresExit('PostgreSQL exited with code 1', ['LOG:  could not bind IPv4 address "127.0.0.1": Address already in use'], o);
  assert.match(bind.todo, /HOOKFLOW_DEV_POSTGRES_PORT/);
  const other = explainPostgresExit('PostgreSQL exited with code 2', ['PANIC:  something new'], o);
  assert.match(other.why, /code 2: PANIC: {2}something new/);
});

void test('Temporal dev server exits: a damaged SQLite file is named with the command that fixes it', () => {
  const o = { bin: '/b/temporal', port: 1, dbFilename: '/d/temporal.db' };
  const bad = explainDevServerExit('exited with code 1', ['level=ERROR msg="failed starting server: ... file is not a database (26)"'], o);
  assert.match(bad.todo, /mv \/d\/temporal\.db \/d\/temporal\.db\.broken/);
  assert.match(bad.why, /file is not a database/);
  const locked = explainDevServerExit('exited with code 1', ['level=ERROR msg="database is locked"'], o);
  assert.match(locked.why, /another process holds \/d\/temporal\.db/);
});
