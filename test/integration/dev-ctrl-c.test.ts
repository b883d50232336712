// `npm start` (hookflow dev) stops within 5 s of one Ctrl-C, with nothing left running, even while
// deliveries wait on an endpoint that takes 30 s to answer (before issue #14 the worker's drain waited
// for them: 18 s and more). A second Ctrl-C forces an exit at once. The stack runs as a user runs it:
// `npm start` in its own process group, on free ports and a scratch data directory; the signal goes
// to the whole group, as a terminal sends it.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { describePid, isAlive } from '../../src/dev/proc';
import { callApi } from '../support/call-api';
import { receiverPool, type Receiver } from '../support/receiver';
import { waitFor } from '../support/wait';
import { scratchDir } from '../faults/support/backends';
import { DEV_API_KEY, devEnv, freeDevPorts, leftAfter, runState, sessionsOf, startDev, type DevPorts, type DevRun } from '../faults/support/dev-stack';

const GONE_LIMIT_MS = 5_000;
const READY = /\[hookflow\] ready/;
const IN_FLIGHT = 3;

void describe('npm start: one Ctrl-C stops everything within 5 s', { timeout: 300_000 }, () => {
  const scratch = scratchDir('ctrl-c');
  const pool = receiverPool();
  const sessions = new Set<number>();
  const usedPorts: DevPorts[] = [];
  let ports: DevPorts;
  let dataDir: string;
  let run: DevRun | undefined;

  const api = (method: string, p: string, body?: unknown) => callApi(`http://127.0.0.1:${ports.api}`, DEV_API_KEY, method, p, body);

  /** Starts the stack and leaves IN_FLIGHT deliveries waiting on an endpoint that answers after 30 s. */
  async function startWithSlowDeliveries(): Promise<{ run: DevRun; slow: Receiver; owner: number }> {
    // Fresh ports and data each time: on a shared machine a port free a minute ago may not be now.
    ports = await freeDevPorts();
    usedPorts.push(ports);
    dataDir = path.join(scratch.dir, `data-${usedPorts.length}`);
    const started = startDev(devEnv(dataDir, ports, { LOG_LEVEL: 'info' }));
    run = started;
    // The first start also runs initdb.
    await started.waitForLine(READY, 120_000);
    // The banner names the operator's own key (HOOKFLOW_API_KEYS) without printing it.
    const keyLine = await started.waitForLine(/\[hookflow\]\s+API key/, 10_000);
    assert.match(keyLine, /API key\s+faul… from HOOKFLOW_API_KEYS \(key_[0-9a-f]{12}; not shown\)/);
    assert.deepEqual(started.lines.filter((l) => l.includes(DEV_API_KEY)), [], 'no output line holds the API key');
    const state = runState(dataDir);
    sessionsOf(started, state).forEach((s) => sessions.add(s));
    const slow = await pool.start(() => ({ status: 200, delayMs: 30_000 }));
    const sub = await api('POST', '/v1/subscriptions', { url: slow.url, eventTypes: ['slow.*'] });
    assert.equal(sub.status, 201, JSON.stringify(sub.body));
    const sent = await api('POST', '/v1/events/batch', { events: Array.from({ length: IN_FLIGHT }, (_, i) => ({ type: 'slow.tick', data: { i } })) });
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
    await waitFor(() => slow.received.length >= IN_FLIGHT, `${IN_FLIGHT} deliveries in flight`, 30_000);
    return { run: started, slow, owner: state.owner.pid };
  }

  after(async () => {
    if (run?.running()) {
      try {
        process.kill(-run.pid, 'SIGKILL');
      } catch {
        /* gone already */
      }
    }
    // Whatever a failed test left is ours: these sessions were started by this file.
    // leftAfter reads only the values: every port of every start.
    const allPorts = Object.fromEntries(usedPorts.flatMap((p, i) => Object.entries(p).map(([k, v]) => [`${k}${i}`, v]))) as unknown as DevPorts;
    const left = await leftAfter(sessions, allPorts, 10_000);
    for (const pid of left.pids) process.kill(pid, 'SIGKILL');
    await pool.closeAll();
    scratch.remove();
  });

  void test('one SIGINT to the process group while deliveries hang on a slow endpoint: every process gone within 5 s', async () => {
    const { run: dev, owner } = await startWithSlowDeliveries();
    const mine = sessionsOf(dev, runState(dataDir));
    const sentAt = Date.now();
    process.kill(-dev.pid, 'SIGINT');
    const left = await leftAfter(mine, ports, GONE_LIMIT_MS + 5_000);
    const goneMs = Date.now() - sentAt;
    assert.deepEqual(left.pids.map(describePid), [], 'processes left after Ctrl-C');
    assert.deepEqual(left.ports, [], 'ports still listened on');
    assert.equal(isAlive(owner), false);
    assert.ok(goneMs <= GONE_LIMIT_MS, `everything stopped ${goneMs} ms after Ctrl-C (limit ${GONE_LIMIT_MS} ms)`);
    await Promise.race([dev.closed, new Promise((_, rej) => setTimeout(() => rej(new Error('hookflow still writing 10 s after Ctrl-C')), 10_000))]);
    assert.ok(dev.lines.some((l) => l.includes('[hookflow] stopped')), `an ordered stop, not a kill:\n${dev.lines.slice(-20).join('\n')}`);
    assert.deepEqual(runState(dataDir).children, {}, 'run.json lists no children after a clean stop');
    console.log(`[dev-ctrl-c] ${IN_FLIGHT} deliveries in flight on a 30 s endpoint: all processes gone ${goneMs} ms after one SIGINT`);
  });

  void test('a second Ctrl-C during the stop forces an exit at once; nothing is left', async () => {
    const { run: dev, owner } = await startWithSlowDeliveries();
    const mine = sessionsOf(dev, runState(dataDir));
    process.kill(-dev.pid, 'SIGINT');
    // Past the echo window (a wrapper relaying the same keypress), inside the drain's grace time.
    await new Promise((r) => setTimeout(r, 800));
    const secondAt = Date.now();
    process.kill(-dev.pid, 'SIGINT');
    await waitFor(() => !isAlive(owner), 'the hookflow process to exit after the second Ctrl-C', 3_000, 20);
    const exitMs = Date.now() - secondAt;
    const left = await leftAfter(mine, ports, GONE_LIMIT_MS);
    assert.deepEqual(left.pids.map(describePid), [], 'processes left after a forced exit');
    await Promise.race([dev.closed, new Promise((r) => setTimeout(r, 10_000))]);
    assert.ok(dev.lines.some((l) => /second signal: exiting now/.test(l)), dev.lines.slice(-20).join('\n'));
    assert.ok(!dev.lines.some((l) => l.includes('[hookflow] stopped')), 'it did not wait for the ordered stop');
    console.log(`[dev-ctrl-c] second SIGINT: hookflow exited ${exitMs} ms later, children gone ${left.ms} ms after that`);
  });
});
