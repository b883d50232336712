// `npm start` survives its own crash (issue #17). The whole stack (`hookflow dev`: API, worker,
// Temporal dev server, PostgreSQL) runs as a subprocess, exactly as a user starts it, on free
// ports and a scratch data directory. Events are accepted, and mid-delivery:
//   1. the node process is killed -9;        2. its whole process group is killed -9;
//   3. the Temporal dev server alone is killed -9 while hookflow dev runs;
//   4. the node process and its watchdog are killed -9 together (orphans, as before the fix).
// After 1 and 2 nothing of the run may be left within 5 s; after 4 the next start must take the
// orphans over. Each time `npm start` is run again with no manual step and must be ready within
// 10 s, and every accepted event must be delivered, duplicates only from attempts at risk at a kill.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { describePid, isAlive } from '../../src/dev/proc';
import { callApi } from '../support/call-api';
import { deliveryStates, notInState, report, scratchDir, temporalClient, waitFor } from './support/backends';
import { DEV_API_KEY, devEnv, freeDevPorts, leftAfter, runState, sessionsOf, startDev, type DevPorts, type DevRun } from './support/dev-stack';
import { atRiskAt, ledger, pairKey, type KillWindow, type Receiver, startReceivers, unexplainedDuplicates } from './support/receivers';

const EVENTS = Number(process.env.HOOKFLOW_FAULTS_DEV_EVENTS ?? 1_000);
const ORPHAN_EVENTS = 200;
const READY_LIMIT_MS = 10_000;
const GONE_LIMIT_MS = 5_000;
// A 2xx written this long before a kill may not have been reported to Temporal yet.
const REPORT_WINDOW_MS = 3_000;
const READY = /\[hookflow\] ready/;

void describe('fault: npm start survives its own crash', { timeout: 600_000 }, () => {
  const scratch = scratchDir('dev');
  const dataDir = path.join(scratch.dir, 'data');
  const receivers: Receiver[] = [];
  const sessions = new Set<number>();
  let ports: DevPorts;
  let env: NodeJS.ProcessEnv;
  let run: DevRun;

  const api = (method: string, p: string, body?: unknown) => callApi(`http://127.0.0.1:${ports.api}`, DEV_API_KEY, method, p, body);
  const remember = () => sessionsOf(run, runState(dataDir)).forEach((s) => sessions.add(s));

  /** `npm start` again, as a user would; returns how long it took to print "ready". */
  async function restart(): Promise<number> {
    run = startDev(env);
    await run.waitForLine(READY, 60_000);
    remember();
    return Date.now() - run.startedAt;
  }

  before(async () => {
    ports = await freeDevPorts();
    env = devEnv(dataDir, ports, {
      HOOKFLOW_RETRY_INITIAL_INTERVAL_MS: '200',
      HOOKFLOW_RETRY_MAX_INTERVAL_MS: '1000',
      HOOKFLOW_RETRY_BACKOFF_COEFFICIENT: '2',
      HOOKFLOW_RETRY_MAX_ATTEMPTS: '30',
      // Bounds how long Temporal waits for an attempt a dead worker held (timeout + 15 s).
      HOOKFLOW_REQUEST_TIMEOUT_MS: '1000',
    });
    run = startDev(env);
    // The first start also runs initdb.
    await run.waitForLine(READY, 120_000);
    remember();
  });

  after(async () => {
    if (run?.running()) {
      try {
        process.kill(-run.pid, 'SIGINT');
      } catch {
        /* the group is gone already */
      }
      await Promise.race([run.exited, new Promise((r) => setTimeout(r, 30_000))]);
    }
    // Whatever a failed test left: it is ours (these sessions were started by this file).
    const left = await leftAfter(sessions, ports, 10_000);
    for (const pid of left.pids) process.kill(pid, 'SIGKILL');
    await Promise.all(receivers.map((r) => r.close()));
    scratch.remove();
    assert.deepEqual(left.pids, [], 'processes left after the last graceful stop');
  });

  /** A receiver of its own, a subscription for `type.*`, and `n` accepted events; returns the expected pairs. */
  async function load(name: string, n: number): Promise<{ receiver: Receiver; expected: Set<string>; deliveryIds: string[] }> {
    const receiver = (await startReceivers({ [name]: () => ({ status: 200, delayMs: 20 }) }))[name]!;
    receivers.push(receiver);
    const sub = await api('POST', '/v1/subscriptions', { url: receiver.url, eventTypes: [`${name}.*`] });
    assert.equal(sub.status, 201, JSON.stringify(sub.body));
    receiver.secret = sub.body.secret;
    const expected = new Set<string>();
    const deliveryIds: string[] = [];
    for (let i = 0; i < n; i += 100) {
      const events = Array.from({ length: Math.min(100, n - i) }, (_, j) => ({ type: `${name}.tick`, data: { i: i + j } }));
      const res = await api('POST', '/v1/events/batch', { events });
      assert.equal(res.status, 202, JSON.stringify(res.body));
      for (const e of res.body.data as { id: string; deliveries: { id: string }[] }[]) {
        assert.equal(e.deliveries.length, 1);
        expected.add(pairKey(name, e.id));
        deliveryIds.push(e.deliveries[0]!.id);
      }
    }
    return { receiver, expected, deliveryIds };
  }

  const midDelivery = (r: Receiver, n: number) =>
    waitFor(() => r.hits.length >= n && r.inFlight() > 0, `${n} arrivals with requests in flight`, 60_000, 5);

  /** Every accepted event acknowledged, every delivery workflow succeeded; duplicates only at risk. */
  async function assertAllDelivered(r: Receiver, expected: Set<string>, deliveryIds: string[], kills: KillWindow[]) {
    await waitFor(() => ledger(expected, [r]).lost === 0, 'every accepted event acknowledged', 120_000, 100).catch((err: Error) => {
      throw new Error(`${err.message}; lost ${ledger(expected, [r]).lost}, e.g. ${ledger(expected, [r]).lostKeys.slice(0, 3).join(', ')}`);
    });
    const temporal = await temporalClient(`127.0.0.1:${ports.temporal}`);
    try {
      await waitFor(
        async () => notInState(await deliveryStates(temporal, 'hookflow-deliveries'), deliveryIds, 'succeeded', 'COMPLETED').length === 0,
        'every delivery workflow listed as succeeded',
        60_000,
        1_000,
      );
    } finally {
      await temporal.connection.close();
    }
    const l = ledger(expected, [r]);
    const atRisk = kills.reduce((s, k) => s + atRiskAt([r], k, REPORT_WINDOW_MS), 0);
    assert.equal(l.lost, 0);
    assert.equal(l.unverified, 0);
    assert.deepEqual(unexplainedDuplicates([r], kills, REPORT_WINDOW_MS), [], 'a duplicate whose first delivery was not at risk at a kill');
    assert.ok(l.duplicated <= atRisk, `duplicated ${l.duplicated} > attempts at risk ${atRisk}`);
    return { ...l, atRisk, lastArrival: Math.max(...r.hits.map((h) => h.arrivedAt)) };
  }

  async function crashAndRecover(name: string, kill: 'node' | 'group') {
    const { receiver, expected, deliveryIds } = await load(name, EVENTS);
    await midDelivery(receiver, Math.floor(EVENTS * 0.3));
    const state = runState(dataDir);
    const mine = sessionsOf(run, state);
    const killAt = Date.now();
    const inFlight = receiver.inFlight();
    const arrived = receiver.hits.length;
    process.kill(kill === 'node' ? state.owner.pid : -run.pid, 'SIGKILL');

    const left = await leftAfter(mine, ports, GONE_LIMIT_MS);
    assert.deepEqual(left.pids.map(describePid), [], `processes of the killed run still alive ${GONE_LIMIT_MS} ms after the kill`);
    assert.deepEqual(left.ports, [], 'ports still held after the kill');
    await run.exited;

    const restartAt = Date.now();
    const readyMs = await restart();
    assert.ok(run.lines.some((l) => /previous hookflow dev \(pid \d+\) ended without stopping/.test(l)), 'the restart says the last run crashed');
    assert.ok(readyMs <= READY_LIMIT_MS, `restart took ${readyMs} ms to be ready (limit ${READY_LIMIT_MS} ms)`);
    const figures = await assertAllDelivered(receiver, expected, deliveryIds, [{ at: killAt, until: restartAt }]);
    report(`dev-crash-${kill}`, {
      events: EVENTS,
      arrivedBeforeKill: arrived,
      inFlightAtKill: inFlight,
      goneAfterKillMs: left.ms,
      lost: figures.lost,
      duplicated: figures.duplicated,
      atRiskAtKill: figures.atRisk,
      restartToReadyMs: readyMs,
      restartToLastArrivalMs: figures.lastArrival - run.startedAt,
    });
  }

  void test('SIGKILL to the node process: nothing left within 5 s, restart ready within 10 s, nothing lost', { timeout: 240_000 }, () =>
    crashAndRecover('nodekill', 'node'),
  );

  void test('SIGKILL to the whole process group: the same', { timeout: 240_000 }, () => crashAndRecover('groupkill', 'group'));

  void test('the Temporal dev server alone killed -9: hookflow dev restarts it, nothing lost', { timeout: 240_000 }, async () => {
    // While it runs, a second start on the same data directory is refused and touches nothing.
    const owner = runState(dataDir).owner.pid;
    const second = startDev(env);
    const { code } = await second.exited;
    assert.notEqual(code, 0);
    const said = second.lines.join('\n');
    assert.match(said, new RegExp(`another hookflow dev is already running[\\s\\S]*pid ${owner}`));
    assert.ok(run.running() && isAlive(owner), 'the first run is untouched');

    const { receiver, expected, deliveryIds } = await load('temporalkill', EVENTS);
    await midDelivery(receiver, Math.floor(EVENTS * 0.3));
    const old = runState(dataDir).children.temporal!.pid;
    const killAt = Date.now();
    process.kill(old, 'SIGKILL');
    const back = await run.waitForLine(/Temporal dev server is back \(pid \d+\)/, 30_000);
    const backAt = Date.now();
    assert.ok(run.running(), 'hookflow dev kept running');
    // hookflow itself kept running, so nothing arriving after a kill was sent by a dead process.
    const figures = await assertAllDelivered(receiver, expected, deliveryIds, [killAt, backAt].map((t) => ({ at: t, until: t })));
    const now = runState(dataDir).children.temporal!.pid;
    assert.notEqual(now, old);
    assert.match(back, new RegExp(`pid ${now}`));
    report('dev-temporal-killed', {
      events: EVENTS,
      lost: figures.lost,
      duplicated: figures.duplicated,
      atRisk: figures.atRisk,
      killToBackMs: backAt - killAt,
      backToLastArrivalMs: figures.lastArrival - backAt,
    });

    // The watchdog follows the new server: a crash now still leaves nothing behind.
    const mine = sessionsOf(run, runState(dataDir));
    process.kill(runState(dataDir).owner.pid, 'SIGKILL');
    const left = await leftAfter(mine, ports, GONE_LIMIT_MS);
    assert.deepEqual(left.pids.map(describePid), [], 'the restarted server outlived a crash');
    await run.exited;
    await restart();
  });

  void test('node and watchdog killed together: the orphans are taken over by the next start', { timeout: 240_000 }, async () => {
    const { receiver, expected, deliveryIds } = await load('orphans', ORPHAN_EVENTS);
    await midDelivery(receiver, Math.floor(ORPHAN_EVENTS * 0.3));
    const state = runState(dataDir);
    const orphans = [state.children.temporal!.pid, state.children.postgres!.pid];
    const killAt = Date.now();
    // Watchdog first: killed second, it could read end-of-file and stop the servers in between.
    process.kill(state.watchdog!.pid, 'SIGKILL');
    process.kill(state.owner.pid, 'SIGKILL');
    await run.exited;
    await new Promise((r) => setTimeout(r, 1_000));
    assert.ok(orphans.every(isAlive), 'with the watchdog gone too, Temporal and PostgreSQL are orphans');

    const restartAt = Date.now();
    const readyMs = await restart();
    const line = run.lines.find((l) => /left Temporal dev server \(pid \d+\) and PostgreSQL \(pid \d+\) running/.test(l) || /left .* running on this data directory/.test(l));
    assert.ok(line, `the restart names the leftovers it stopped:\n${run.lines.join('\n')}`);
    for (const pid of orphans) assert.match(line, new RegExp(`pid ${pid}\\b`));
    assert.ok(!orphans.some(isAlive), 'the orphans are stopped');
    assert.ok(readyMs <= READY_LIMIT_MS, `restart took ${readyMs} ms to be ready (limit ${READY_LIMIT_MS} ms)`);
    const figures = await assertAllDelivered(receiver, expected, deliveryIds, [{ at: killAt, until: restartAt }]);
    report('dev-orphans-taken-over', { events: ORPHAN_EVENTS, lost: figures.lost, duplicated: figures.duplicated, restartToReadyMs: readyMs, restartToLastArrivalMs: figures.lastArrival - run.startedAt });

    // And Ctrl-C still stops everything, in order.
    const mine = sessionsOf(run, runState(dataDir));
    process.kill(-run.pid, 'SIGINT');
    const { code, signal } = await run.exited;
    // npm itself dies of the SIGINT it was sent, possibly before hookflow has finished stopping;
    // what hookflow did is in its output, complete once every writer of it is gone.
    assert.ok(code === 0 || signal === 'SIGINT', `npm start ended with code ${code}, signal ${signal}`);
    await Promise.race([run.closed, new Promise((_, rej) => setTimeout(() => rej(new Error('hookflow still writing 30 s after Ctrl-C')), 30_000))]);
    assert.ok(run.lines.some((l) => l.includes('[hookflow] stopped')), run.lines.slice(-20).join('\n'));
    assert.ok(!run.lines.some((l) => l.startsWith('hookflow dev:')), 'no error on the way down');
    const left = await leftAfter(mine, ports, GONE_LIMIT_MS);
    assert.deepEqual(left.pids.map(describePid), [], 'processes left after Ctrl-C');
    assert.deepEqual(runState(dataDir).children, {}, 'run.json lists no children after a clean stop');
  });
});
