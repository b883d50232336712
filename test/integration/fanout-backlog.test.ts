// PostgreSQL is the fan-out's inbox: when the in-memory queue is full, accepted events wait in the
// database, not in memory, and the queue refills from it. Real Temporal, PostgreSQL and receiver;
// the sweeper's grace is an hour, so only the refill can have started the waiting events.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { acceptEvents } from '../../src/db/repos/events';
import { Fanout } from '../../src/dispatch/fanout';
import { newId } from '../../src/db/ids';
import { createSubscription } from '../support/api';
import { startReceiver, type Receiver } from '../support/receiver';
import { startStack, waitFor, type Stack } from '../support/stack';

void describe('fan-out backlog: a full queue leaves events in PostgreSQL and refills from it', () => {
  let stack: Stack;
  let receiver: Receiver;
  before(async () => {
    [stack, receiver] = await Promise.all([startStack({ HOOKFLOW_SWEEP_GRACE_MS: '3600000' }), startReceiver()]);
  });
  after(async () => {
    await Promise.all([stack?.stop(), receiver?.close()]);
  });

  /** Twelve accepted events of a new type with one subscription, all enqueued on a fan-out of one lane and a queue bounded at 2. */
  async function enqueueTwelve() {
    const type = `backlog.${newId('evt')}`;
    await createSubscription(stack, { url: receiver.url, eventTypes: [type] });
    const accepted = [];
    for (let i = 0; i < 12; i++) {
      const dataJson = JSON.stringify({ i });
      const [a] = await acceptEvents(stack.db, [
        { id: newId('evt'), tenantId: 'default', type, dataJson, idempotencyKey: null, requestHash: createHash('sha256').update(dataJson).digest('hex') },
      ]);
      accepted.push(a!);
    }
    const fanout = new Fanout({
      db: stack.db,
      temporal: stack.temporal.client,
      settings: stack.config,
      concurrency: 1,
      log: pino({ level: 'silent' }),
      maxQueuedStarts: 2,
    });
    for (const a of accepted) fanout.enqueue({ tenantId: a.event.tenant_id, eventId: a.event.id }, a.deliveries.map((d) => ({ ...d, eventType: type, retryPolicy: null })));
    return { fanout, ids: accepted.map((a) => a.event.id) };
  }

  void test('12 events through a queue bounded at 2 starts: each delivered once, every event marked dispatched', async () => {
    const { fanout, ids } = await enqueueTwelve();
    // Queued plus in flight: at most 2 waiting and the one lane's start; the other 9 or more wait in PostgreSQL.
    assert.ok(fanout.queuedStarts <= 3, `the fan-out held ${fanout.queuedStarts} starts; the bound is 2 queued + 1 in flight`);

    await waitFor(() => ids.every((id) => receiver.received.some((r) => r.headers['webhook-id'] === id)), 'every event delivered', 30_000);
    await waitFor(async () => {
      const { rows } = await stack.db.query<{ n: number }>('SELECT count(*)::int AS n FROM events WHERE id = ANY($1) AND dispatched_at IS NOT NULL', [ids]);
      return rows[0]!.n === ids.length;
    }, 'every event marked dispatched');
    await fanout.idle();
    for (const id of ids) assert.equal(receiver.received.filter((r) => r.headers['webhook-id'] === id).length, 1, `${id} arrived once`);
  });

  void test('dropQueued forgets the starts not made yet, as a killed process would: those events stay undispatched for the sweeper', async () => {
    const { fanout, ids } = await enqueueTwelve();
    fanout.dropQueued();
    await fanout.idle();
    assert.equal(fanout.queuedStarts, 0);
    const { rows } = await stack.db.query<{ id: string }>('SELECT id FROM events WHERE id = ANY($1) AND dispatched_at IS NULL', [ids]);
    const started = ids.filter((id) => !rows.some((r) => r.id === id));
    // The one lane's start was already under way; nothing else was started or marked.
    assert.ok(started.length <= 1, `started ${started.length} of 12 after the drop`);
    assert.ok(rows.length >= 11, `${rows.length} events left undispatched`);
  });
});
