import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { acceptEvents } from '../../src/db/repos/events';
import { newId } from '../../src/db/ids';
import { assertProblem, createSubscription, dbFingerprint, sleep, waitForListed } from '../support/api';
import { startReceiver, type Receiver } from '../support/receiver';
import { startStack, waitFor, type Stack } from '../support/stack';

const uniqueType = (base: string) => `${base}_${randomBytes(4).toString('hex')}`;

void describe('API: events', () => {
  let stack: Stack;
  let receiver: Receiver;

  before(async () => {
    [stack, receiver] = await Promise.all([startStack({ HOOKFLOW_MAX_PAYLOAD_BYTES: '2048' }), startReceiver()]);
  });
  after(async () => {
    await Promise.all([stack?.stop(), receiver?.close()]);
  });

  const countFor = async (eventId: string) =>
    (await stack.db.query<{ n: number }>('SELECT count(*)::int AS n FROM event_deliveries WHERE event_id = $1', [eventId])).rows[0]!.n;

  void test('POST /v1/events answers 202 with the event and its planned deliveries', async () => {
    const type = uniqueType('shape');
    const sub = await createSubscription(stack, { url: receiver.url, eventTypes: [`${type}.created`] });
    const res = await stack.call('POST', '/v1/events', { type: `${type}.created`, data: { a: 1 } });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.deepEqual(Object.keys(res.body).sort(), ['createdAt', 'deliveries', 'id', 'tenantId', 'type']);
    assert.match(res.body.id, /^evt_[0-9a-z]{26}$/);
    assert.equal(res.body.type, `${type}.created`);
    assert.ok(Math.abs(Date.parse(res.body.createdAt) - Date.now()) < 60_000);
    assert.equal(res.body.deliveries.length, 1);
    assert.deepEqual(Object.keys(res.body.deliveries[0]).sort(), ['id', 'subscriptionId']);
    assert.equal(res.body.deliveries[0].subscriptionId, sub.id);
    assert.equal(res.headers.get('idempotent-replayed'), null);
    await waitFor(() => receiver.received.some((r) => r.headers['webhook-id'] === res.body.id), 'the delivery');
  });

  void test('Idempotency-Key: same body replays the first answer and creates nothing; a different body is 409', async () => {
    const type = uniqueType('idem');
    await createSubscription(stack, { url: receiver.url, eventTypes: [`${type}.*`] });
    const key = `key-${randomBytes(6).toString('hex')}`;
    const body = { type: `${type}.paid`, data: { amount: 10, nested: { z: 1, a: [1, 2] } } };
    const first = await stack.call('POST', '/v1/events', body, { 'idempotency-key': key });
    assert.equal(first.status, 202);
    assert.equal(first.headers.get('idempotent-replayed'), null);
    const deliveryId = first.body.deliveries[0].id;
    await waitFor(() => receiver.received.filter((r) => r.headers['webhook-id'] === first.body.id).length === 1, 'first delivery');
    const runId = (await stack.temporal.client.workflow.getHandle(deliveryId).describe()).runId;
    const before = await dbFingerprint(stack.db);

    for (let i = 0; i < 3; i++) {
      const again = await stack.call('POST', '/v1/events', body, { 'idempotency-key': key });
      assert.equal(again.status, 202);
      assert.deepEqual(again.body, first.body);
      assert.equal(again.headers.get('idempotent-replayed'), 'true');
    }
    const conflict = await stack.call('POST', '/v1/events', { ...body, data: { amount: 11 } }, { 'idempotency-key': key });
    assertProblem(conflict, 409);
    assert.match(conflict.body.detail, /Idempotency-Key/);
    assertProblem(await stack.call('POST', '/v1/events', { ...body, type: `${type}.other` }, { 'idempotency-key': key }), 409);

    await sleep(1500);
    assert.deepEqual(await dbFingerprint(stack.db), before, 'no new rows');
    assert.equal((await stack.temporal.client.workflow.getHandle(deliveryId).describe()).runId, runId, 'no new workflow run');
    await waitForListed(stack, `eventId=${first.body.id}`, 1);
    assert.equal(receiver.received.filter((r) => r.headers['webhook-id'] === first.body.id).length, 1, 'delivered once');

    for (const bad of ['', 'has space', 'ü', 'x'.repeat(256)]) {
      assertProblem(await stack.call('POST', '/v1/events', body, { 'idempotency-key': bad }), 400, ['headers.idempotency-key']);
    }
  });

  void test('concurrent requests with one Idempotency-Key store one event and all get its answer', async () => {
    const type = uniqueType('race');
    const key = `race-${randomBytes(6).toString('hex')}`;
    const body = { type, data: { n: 1 } };
    const answers = await Promise.all(Array.from({ length: 8 }, () => stack.call('POST', '/v1/events', body, { 'idempotency-key': key })));
    assert.deepEqual(answers.map((a) => a.status), Array(8).fill(202));
    assert.equal(new Set(answers.map((a) => a.body.id)).size, 1);
    assert.equal(answers.filter((a) => a.headers.get('idempotent-replayed') === null).length, 1, 'exactly one created it');
    const { rows } = await stack.db.query('SELECT id FROM events WHERE idempotency_key = $1', [key]);
    assert.equal(rows.length, 1);
  });

  void test('a client-supplied id is idempotent the same way', async () => {
    const type = uniqueType('cid');
    await createSubscription(stack, { url: receiver.url, eventTypes: [type] });
    const id = `order-${randomBytes(4).toString('hex')}:v1`;
    const first = await stack.call('POST', '/v1/events', { id, type, data: [1, 'two'] });
    assert.equal(first.status, 202);
    assert.equal(first.body.id, id);
    const before = await dbFingerprint(stack.db);
    const again = await stack.call('POST', '/v1/events', { id, type, data: [1, 'two'] });
    assert.equal(again.status, 202);
    assert.deepEqual(again.body, first.body);
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    const conflict = await stack.call('POST', '/v1/events', { id, type, data: [1, 'three'] });
    assertProblem(conflict, 409);
    assert.match(conflict.body.detail, /\bid\b/);
    assert.deepEqual(await dbFingerprint(stack.db), before);
    assertProblem(await stack.call('POST', '/v1/events', { id: 'bad id!', type, data: 1 }), 400, ['body.id']);
    await waitFor(() => receiver.received.some((r) => r.headers['webhook-id'] === id), 'delivery of the client-named event');
  });

  void test('event types, missing data, unknown fields and oversized payloads are refused naming the field', async () => {
    const before = await dbFingerprint(stack.db);
    for (const type of ['', 'a..b', '.a', 'a.', 'a b', 'a.*', 'ü', 'x'.repeat(201), 7]) {
      assertProblem(await stack.call('POST', '/v1/events', { type, data: {} }), 400, ['body.type']);
    }
    assertProblem(await stack.call('POST', '/v1/events', { type: 'a.b' }), 400, ['body.data']);
    assertProblem(await stack.call('POST', '/v1/events', { type: 'a.b', data: 1, extra: true }), 400, ['body.extra']);
    const big = await stack.call('POST', '/v1/events', { type: 'a.b', data: { blob: 'x'.repeat(2100) } });
    assertProblem(big, 413, ['body.data']);
    // Far beyond the cap, the body limit stops it before it is parsed.
    assertProblem(await stack.call('POST', '/v1/events', { type: 'a.b', data: 'x'.repeat(200_000) }), 413);
    const batchBig = await stack.call('POST', '/v1/events/batch', { events: [{ type: 'a.b', data: 1 }, { type: 'a.b', data: 'y'.repeat(2100) }] });
    assertProblem(batchBig, 413, ['body.events.1.data']);
    assert.deepEqual(await dbFingerprint(stack.db), before);
    // Exactly at the cap is accepted.
    const atCap = await stack.call('POST', '/v1/events', { type: uniqueType('cap'), data: 'x'.repeat(2046) });
    assert.equal(atCap.status, 202, JSON.stringify(atCap.body));
  });

  void test('the batch endpoint accepts up to 100 events and refuses 101', async () => {
    const type = uniqueType('batch');
    const sub = await createSubscription(stack, { url: receiver.url, eventTypes: [`${type}.*`] });
    const res = await stack.call('POST', '/v1/events/batch', {
      events: [{ type: `${type}.a`, data: 1 }, { type: `${type}.b`, data: { x: true } }, { type: 'nobody.listens', data: null }],
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.equal(res.body.data.length, 3);
    assert.deepEqual(res.body.data.map((e: any) => e.deliveries.length), [1, 1, 0]);
    assert.ok(res.body.data.slice(0, 2).every((e: any) => e.deliveries[0].subscriptionId === sub.id));
    for (const e of res.body.data.slice(0, 2)) {
      await waitFor(() => receiver.received.some((r) => r.headers['webhook-id'] === e.id), `delivery of ${e.id}`);
    }
    const before = await dbFingerprint(stack.db);
    const tooMany = Array.from({ length: 101 }, (_, i) => ({ type: `${type}.a`, data: i }));
    assertProblem(await stack.call('POST', '/v1/events/batch', { events: tooMany }), 400, ['body.events']);
    assertProblem(await stack.call('POST', '/v1/events/batch', { events: [] }), 400, ['body.events']);
    assertProblem(await stack.call('POST', '/v1/events/batch', { events: [{ type: 'ok', data: 1 }, { type: '!', data: 1 }] }), 400, ['body.events.1.type']);
    assert.deepEqual(await dbFingerprint(stack.db), before, 'a refused batch stores nothing');
    const hundred = Array.from({ length: 100 }, (_, i) => ({ type: 'nobody.listens', data: i }));
    assert.equal((await stack.call('POST', '/v1/events/batch', { events: hundred })).status, 202);
  });

  void test('a batch that repeats an event ID stores it once; a repeat with another body is 409 and stores nothing', async () => {
    const type = uniqueType('repeat');
    const sub = await createSubscription(stack, { url: receiver.url, eventTypes: [type] });
    const id = `evt_repeat_${Date.now()}`;
    const res = await stack.call('POST', '/v1/events/batch', { events: [{ id, type, data: { n: 1 } }, { type, data: { n: 2 } }, { id, type, data: { n: 1 } }] });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const [first, other, repeat] = res.body.data;
    assert.equal(first.id, id);
    assert.deepEqual(repeat, first, 'the repeat answers with the stored event and its plan');
    assert.notEqual(other.id, id);
    assert.deepEqual([first, other].map((e: any) => e.deliveries.map((d: any) => d.subscriptionId)), [[sub.id], [sub.id]]);
    await waitFor(() => receiver.received.filter((r) => r.headers['webhook-id'] === other.id).length === 1, 'the other event');
    await waitFor(() => receiver.received.some((r) => r.headers['webhook-id'] === id), 'the repeated event');
    await sleep(500);
    assert.equal(receiver.received.filter((r) => r.headers['webhook-id'] === id).length, 1, 'delivered once');

    const before = await dbFingerprint(stack.db);
    const id2 = `evt_clash_${Date.now()}`;
    const clash = await stack.call('POST', '/v1/events/batch', { events: [{ type, data: 'fresh' }, { id: id2, type, data: 1 }, { id: id2, type, data: 2 }] });
    assertProblem(clash, 409);
    assert.deepEqual(await dbFingerprint(stack.db), before, 'a conflicting batch stores none of its events');
  });

  void test('fan-out follows exact, *, prefix-wildcard filters and skips non-matching and inactive subscriptions', async () => {
    const type = uniqueType('fan');
    const receivers = await Promise.all(Array.from({ length: 6 }, () => startReceiver()));
    const subs: any[] = [];
    try {
      const filters = [[`${type}.invoice.paid`], ['*'], [`${type}.invoice.*`], [`${type}.order.*`, `${type}.invoice`], [`${type}.invoice.paid`], [`${type}.invoicex.*`]];
      for (const [i, eventTypes] of filters.entries()) subs.push(await createSubscription(stack, { url: receivers[i]!.url, eventTypes }));
      assert.equal((await stack.call('PATCH', `/v1/subscriptions/${subs[4].id}`, { active: false })).status, 200);

      const evt = await stack.call('POST', '/v1/events', { type: `${type}.invoice.paid`, data: { n: 1 } });
      assert.equal(evt.status, 202);
      const targeted = evt.body.deliveries.map((d: any) => d.subscriptionId);
      const expected = [subs[0].id, subs[1].id, subs[2].id];
      // Other tests' "*" subscriptions get it too; ours must be exactly these three.
      assert.deepEqual(targeted.filter((id: string) => subs.some((s) => s.id === id)).sort(), expected.sort());
      await waitFor(() => [0, 1, 2].every((i) => receivers[i]!.received.length >= 1), 'the three matching receivers');
      await sleep(1000);
      assert.deepEqual(receivers.map((r) => r.received.length), [1, 1, 1, 0, 0, 0]);
      assert.ok(receivers.slice(0, 3).every((r) => r.received[0]!.headers['webhook-id'] === evt.body.id));

      // GET /v1/events/:id shows the data and each delivery, eventually succeeded.
      const detail = await waitFor(async () => {
        const r = await stack.call('GET', `/v1/events/${evt.body.id}`);
        return r.body.deliveries?.every((d: any) => d.status === 'succeeded') ? r : undefined;
      }, 'every delivery succeeded');
      assert.equal(detail.status, 200);
      assert.deepEqual(detail.body.data, { n: 1 });
      assert.equal(detail.body.type, `${type}.invoice.paid`);
      assert.equal(detail.body.createdAt, evt.body.createdAt);
      assert.ok(detail.body.dispatchedAt);
      assert.deepEqual(detail.body.deliveries.map((d: any) => d.id).sort(), evt.body.deliveries.map((d: any) => d.id).sort());
    } finally {
      // The "*" one would otherwise take every later event in this file.
      for (const s of subs) await stack.call('DELETE', `/v1/subscriptions/${s.id}`);
      await Promise.all(receivers.map((r) => r.close()));
    }
  });

  void test('GET /v1/events/:id is 404 for an unknown event and 400 for a malformed id', async () => {
    const res = await stack.call('GET', '/v1/events/evt_unknown');
    assertProblem(res, 404);
    assert.match(res.body.detail, /evt_unknown/);
    assertProblem(await stack.call('GET', `/v1/events/${'x'.repeat(129)}`), 400, ['params.id']);
    assertProblem(await stack.call('GET', `/v1/events/${'x'.repeat(5000)}`), 414);
    assertProblem(await stack.call('GET', '/v1/events/%E0%A4%A'), 400);
    assertProblem(await stack.call('GET', '/v1/events/a%20b'), 400, ['params.id']);
  });

  void test('the sweeper dispatches an event that was stored but never started (API died after commit)', async () => {
    const type = uniqueType('swept');
    const sub = await createSubscription(stack, { url: receiver.url, eventTypes: [type] });
    const id = newId('evt');
    const dataJson = JSON.stringify({ swept: true });
    const [accepted] = await acceptEvents(stack.db, [
      { id, tenantId: 'default', type, dataJson, idempotencyKey: null, requestHash: createHash('sha256').update(dataJson).digest('hex') },
    ]);
    assert.equal(accepted!.created, true);
    assert.equal(accepted!.deliveries.length, 1);
    assert.equal(accepted!.deliveries[0]!.subscriptionId, sub.id);
    assert.equal(accepted!.event.dispatched_at, null);
    assert.equal(await countFor(id), 1);

    const got = await waitFor(() => receiver.received.find((r) => r.headers['webhook-id'] === id), 'the swept delivery', 15_000);
    assert.deepEqual(JSON.parse(got.body).data, { swept: true });
    const dispatched = await waitFor(async () => {
      const { rows } = await stack.db.query<{ dispatched_at: Date | null }>('SELECT dispatched_at FROM events WHERE id = $1', [id]);
      return rows[0]?.dispatched_at;
    }, 'dispatched_at to be set');
    assert.ok(dispatched.getTime() >= accepted!.event.created_at.getTime());
    // Several sweep intervals later it is still delivered exactly once.
    await sleep(2000);
    assert.equal(receiver.received.filter((r) => r.headers['webhook-id'] === id).length, 1);
    const detail = await stack.call('GET', `/v1/events/${id}`);
    assert.equal(detail.body.deliveries[0].id, accepted!.deliveries[0]!.deliveryId);
  });
});
