// Ordered delivery through worker crashes: a FIFO line of 1,000 events, the worker killed with
// SIGKILL twice while it runs. The line's state lives in its workflow and each delivery's place was
// decided at acceptance, so a new worker takes up where the dead one stopped: still in order, none lost.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { orderViolations, repeatsAfter2xx, sendNumbered, startOrderedReceiver, type OrderedReceiver } from '../support/ordered-receiver';
import { report, sharedDatabase, sharedTemporalAddress, waitFor } from './support/backends';
import { Hookflow } from './support/hookflow';
import type { HookflowProcess } from './support/processes';

const EVENTS = 1_000;

void describe('fault: a FIFO line survives its worker killed -9 twice', () => {
  let hf: Hookflow;
  let worker: HookflowProcess;
  let r: OrderedReceiver;

  before(async () => {
    hf = new Hookflow({
      databaseUrl: await sharedDatabase(),
      temporalAddress: sharedTemporalAddress(),
      env: {
        // A short backoff keeps the retried events cheap.
        HOOKFLOW_RETRY_INITIAL_INTERVAL_MS: '50',
        HOOKFLOW_RETRY_MAX_INTERVAL_MS: '200',
        HOOKFLOW_RETRY_MAX_ATTEMPTS: '10',
        // Bounds how long Temporal waits for an attempt the dead worker held (timeout + 15 s).
        HOOKFLOW_REQUEST_TIMEOUT_MS: '3000',
      },
    });
    await hf.migrate();
    await hf.startApi();
    worker = await hf.startWorker();
    r = await startOrderedReceiver();
  });

  after(async () => {
    await hf?.kill();
    await r?.close();
  });

  void test('1,000 events, every seventh failing its first attempt, two SIGKILLs: every attempt of n+1 after n was answered 2xx, 0 lost', { timeout: 900_000 }, async () => {
    const sub = await hf.subscribe(`${r.url}/hook`, ['ledger.entry'], { ordering: 'fifo' });
    const started = Date.now();
    const ids = await sendNumbered((m, p, b) => hf.call(m, p, b), 'ledger.entry', EVENTS);
    assert.equal(ids.length, EVENTS);

    /** What a failure message needs: how far the line got, and what the worker said last. */
    const where = async () => {
      const line = await hf.call('GET', `/v1/subscriptions/${sub.id}/ordering`).catch((e: Error) => ({ body: e.message }));
      return `${r.delivered.size} delivered, ${r.attempts.length} attempts; line ${JSON.stringify(line.body)}; worker: ${worker.tail.slice(-15).join('\n')}`;
    };
    const kills: { at: number; delivered: number }[] = [];
    for (const mark of [250, 600]) {
      await waitFor(() => r.delivered.size >= mark, `${mark} events delivered before kill ${kills.length + 1}`, 400_000, 20).catch(async (err: Error) => {
        throw new Error(`${err.message}; ${await where()}`);
      });
      kills.push({ at: Date.now() - started, delivered: r.delivered.size });
      await worker.kill9();
      worker = await hf.startWorker();
    }
    await waitFor(() => r.delivered.size === EVENTS, `all ${EVENTS} events answered 2xx`, 600_000, 250).catch(async (err: Error) => {
      throw new Error(`${err.message}; ${await where()}`);
    });
    const seconds = (Date.now() - started) / 1000;
    const violations = orderViolations(r.attempts, EVENTS);
    const line = await hf.call('GET', `/v1/subscriptions/${sub.id}/ordering`);
    report('fifo-sigkill', {
      events: EVENTS,
      delivered: r.delivered.size,
      attempts: r.attempts.length,
      // Attempts the dead worker made whose answer it never recorded are sent again (at-least-once).
      repeatedAfter2xx: repeatsAfter2xx(r.attempts),
      kills,
      seconds,
      violations: violations.length,
      line: line.body,
    });
    assert.deepEqual(violations, []);
    assert.equal(r.delivered.size, EVENTS, 'none lost');
    await waitFor(async () => (await hf.call('GET', `/v1/subscriptions/${sub.id}/ordering`)).body.next === EVENTS + 1, 'the line to reach its end', 30_000);
  });
});
