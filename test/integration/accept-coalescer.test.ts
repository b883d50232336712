// Group commit for single-event ingest, against real PostgreSQL: concurrent requests share
// statements, yet each keeps its own outcome, and one bad request cannot fail its neighbours.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { migrate } from '../../src/db/migrate';
import { createPool, type Db } from '../../src/db/pool';
import { AcceptCoalescer } from '../../src/dispatch/accept-events';
import { IdempotencyConflictError, UnknownTenantError, type NewEvent } from '../../src/db/repos/events';
import { deliveryIdFor, newId } from '../../src/db/ids';
import { createTestDatabase } from '../support/stack';

const event = (over: Partial<NewEvent> = {}): NewEvent => ({
  id: newId('evt'),
  tenantId: 'default',
  type: 'coalesce.test',
  dataJson: '{"n":1}',
  idempotencyKey: null,
  requestHash: 'h1',
  ...over,
});

/** The real pool, counting the statements that reach PostgreSQL. */
function counting(db: Db): { db: Db; statements: () => number } {
  let n = 0;
  const spy = new Proxy(db, {
    get(target, prop, receiver) {
      if (prop === 'query') return (...args: unknown[]) => ((n += 1), (target.query as (...a: unknown[]) => unknown).apply(target, args));
      return Reflect.get(target, prop, receiver) as unknown;
    },
  });
  return { db: spy, statements: () => n };
}

void describe('AcceptCoalescer: group commit for single-event ingest', () => {
  let db: Db;
  before(async () => {
    db = createPool(await createTestDatabase(), 8);
    await migrate(db);
    await db.query(`INSERT INTO subscriptions (id, tenant_id, url, secret, event_types) VALUES ('sub_coalesce', 'default', 'http://127.0.0.1:9/', 'x', ARRAY['coalesce.test'])`);
  });
  after(async () => {
    await db?.end();
  });

  void test('200 concurrent accepts: all stored with their plans, in fewer statements than events', async () => {
    const { db: spy, statements } = counting(db);
    const coalescer = new AcceptCoalescer(spy, { maxInFlight: 2, maxBatch: 100 });
    const events = Array.from({ length: 200 }, () => event());
    const accepted = await Promise.all(events.map((e) => coalescer.accept(e)));

    accepted.forEach((a, i) => {
      assert.equal(a.event.id, events[i]!.id, 'each request gets its own event back');
      assert.equal(a.created, true);
      assert.deepEqual(a.deliveries.map((d) => d.deliveryId), [deliveryIdFor(events[i]!.id, 'sub_coalesce')]);
    });
    const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM event_deliveries WHERE event_id = ANY($1)', [events.map((e) => e.id)]);
    assert.equal(rows[0]!.n, 200);
    assert.ok(statements() < 50, `200 events took ${statements()} statements`);
  });

  void test('alone, a request is stored at once in its own statement', async () => {
    const { db: spy, statements } = counting(db);
    const coalescer = new AcceptCoalescer(spy, { maxInFlight: 2, maxBatch: 100 });
    const a = await coalescer.accept(event());
    assert.equal(a.created, true);
    assert.equal(statements(), 1);
  });

  void test('an unknown tenant, a conflicting key and a replay each keep their own outcome', async () => {
    const first = event({ idempotencyKey: 'k-coalesce', requestHash: 'body-1' });
    const coalescer = new AcceptCoalescer(db, { maxInFlight: 1, maxBatch: 100 });
    await coalescer.accept(first);

    // One statement slot: the first call goes alone, the rest queue behind it and share the next statement.
    const calls = [
      coalescer.accept(event()),
      coalescer.accept(event({ tenantId: 'no-such-tenant' })),
      coalescer.accept(event({ idempotencyKey: 'k-coalesce', requestHash: 'body-2' })),
      coalescer.accept(event({ idempotencyKey: 'k-coalesce', requestHash: 'body-1' })),
      coalescer.accept(event()),
    ];
    const settled = await Promise.allSettled(calls);
    const value = (i: number) => {
      const r = settled[i]!;
      assert.equal(r.status, 'fulfilled', `call ${i}: ${r.status === 'rejected' ? String(r.reason) : ''}`);
      return (r).value;
    };
    const reason = (i: number) => {
      const r = settled[i]!;
      assert.equal(r.status, 'rejected', `call ${i} should have failed`);
      return (r).reason as unknown;
    };

    assert.equal(value(0).created, true);
    assert.equal(value(4).created, true);
    const unknown = reason(1);
    assert.ok(unknown instanceof UnknownTenantError);
    assert.equal(unknown.index, 0, 'the position is within its own request');
    assert.ok(reason(2) instanceof IdempotencyConflictError);
    assert.equal(value(3).created, false);
    assert.equal(value(3).event.id, first.id, 'same key and body replays the first event');
  });

  void test('a statement one event breaks is retried one by one: only that request fails', async () => {
    const coalescer = new AcceptCoalescer(db, { maxInFlight: 1, maxBatch: 100 });
    const blocker = coalescer.accept(event());
    const good = [event(), event()];
    // Not valid JSON: the ::json cast fails the whole statement it is in.
    const bad = event({ dataJson: '{"n":' });
    const results = await Promise.allSettled([coalescer.accept(good[0]!), coalescer.accept(bad), coalescer.accept(good[1]!)]);
    await blocker;

    assert.equal(results[0].status, 'fulfilled');
    assert.equal(results[2].status, 'fulfilled');
    assert.equal(results[1].status, 'rejected');
    const { rows } = await db.query<{ id: string }>('SELECT id FROM events WHERE id = ANY($1)', [[...good, bad].map((e) => e.id)]);
    assert.deepEqual(rows.map((r) => r.id).sort(), good.map((e) => e.id).sort());
  });
});
