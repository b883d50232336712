// Queue depth: while Temporal is down, events keep being accepted (PostgreSQL has them) but their
// fan-out cannot finish, so the gauges the sweeper's work is measured by rise; once Temporal is back
// the sweeper starts them and the gauges fall to zero.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { scrape, total } from '../support/metrics';
import { API_KEY, startStack, type Stack } from '../support/stack';
import { report, scratchDir, sleep, startOwnTemporal, waitFor, type OwnTemporal } from './support/backends';

const EVENTS_WHILE_DOWN = 12;

void describe('fault: queue depth while Temporal is unreachable', () => {
  const scratch = scratchDir('queue-depth');
  let server: OwnTemporal | undefined;
  let stack: Stack | undefined;

  before(async () => {
    server = await startOwnTemporal(scratch.dir);
    // No worker: the fan-out's job ends when the workflows are started.
    stack = await startStack({ TEMPORAL_ADDRESS: server.address, HOOKFLOW_SWEEP_INTERVAL_MS: '500', HOOKFLOW_SWEEP_GRACE_MS: '300' }, { worker: false });
  });
  after(async () => {
    await stack?.stop();
    await server?.stop();
    scratch.remove();
  });

  void test('hookflow_fanout_pending_events rises while Temporal is down and events arrive, and falls after it returns', { timeout: 180_000 }, async () => {
    const s = stack!;
    const gauges = async () => {
      const { samples } = await scrape(`${s.url}/metrics`, API_KEY);
      return { pending: total(samples, 'hookflow_fanout_pending_events'), oldest: total(samples, 'hookflow_fanout_oldest_pending_age_seconds') };
    };
    const sub = await s.call('POST', '/v1/subscriptions', { url: 'http://127.0.0.1:9/never', eventTypes: ['depth.*'] });
    assert.equal(sub.status, 201);
    assert.deepEqual(await gauges(), { pending: 0, oldest: 0 });

    await server!.kill9();
    const rising: number[] = [];
    for (let i = 0; i < EVENTS_WHILE_DOWN; i++) {
      assert.equal((await s.call('POST', '/v1/events', { type: 'depth.tick', data: { i } })).status, 202, 'ingest keeps accepting');
      if (i % 4 === 3) {
        await sleep(1_100); // past the gauges' one-second cache
        rising.push((await gauges()).pending);
      }
    }
    assert.deepEqual(rising, [4, 8, 12], 'every accepted event is pending while Temporal is down');
    await sleep(1_500);
    const down = await gauges();
    assert.equal(down.pending, EVENTS_WHILE_DOWN);
    assert.ok(down.oldest >= 3, `oldest pending event is ${down.oldest} s old`);

    const restartedAt = Date.now();
    await server!.restart();
    await waitFor(async () => (await gauges()).pending === 0, 'the backlog to drain after Temporal returns', 90_000, 250);
    assert.equal((await gauges()).oldest, 0);
    report('queue-depth', { eventsWhileDown: EVENTS_WHILE_DOWN, samplesWhileDown: rising, oldestWhileDownS: down.oldest, drainedInMs: Date.now() - restartedAt });
  });
});
