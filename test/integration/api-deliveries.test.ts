import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { encodeCursor } from '../../src/api/schemas/common';
import { assertProblem, assertUnauthorized, createSubscription, sleep, waitForListed, waitForState } from '../support/api';
import { startReceiver, type Receiver } from '../support/receiver';
import { startStack, waitFor, type Stack } from '../support/stack';

const uniqueType = (base: string) => `${base}_${randomBytes(4).toString('hex')}`;

void describe('API: deliveries', () => {
  let stack: Stack;
  let ok: Receiver;
  let failing: Receiver;
  let healthy = false;

  before(async () => {
    [stack, ok, failing] = await Promise.all([
      startStack({ HOOKFLOW_RETRY_MAX_ATTEMPTS: '2' }),
      startReceiver(),
      // Answers 500 until a test flips `healthy`.
      startReceiver(() => ({ status: healthy ? 200 : 500, body: healthy ? 'fine' : 'broken' })),
    ]);
  });
  after(async () => {
    await Promise.all([stack?.stop(), ok?.close(), failing?.close()]);
  });

  const post = async (type: string, data: unknown = {}) => {
    const res = await stack.call('POST', '/v1/events', { type, data });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    return res.body;
  };

  void test('list from the delivery record with each filter, newest first, paginated by cursor', async () => {
    const type = uniqueType('list');
    const subA = await createSubscription(stack, { url: ok.url, eventTypes: [`${type}.*`] });
    const subB = await createSubscription(stack, { url: ok.url, eventTypes: [`${type}.b`] });
    const e1 = await post(`${type}.a`);
    const e2 = await post(`${type}.a`);
    const e3 = await post(`${type}.b`); // to A and B
    const all = [...e1.deliveries, ...e2.deliveries, ...e3.deliveries].map((d: any) => d.id);
    assert.equal(all.length, 4);
    for (const id of all) await waitForState(stack, id, 'succeeded');

    const bySubA = await waitForListed(stack, `subscriptionId=${subA.id}&status=succeeded`, 3);
    assert.ok(bySubA.every((d) => d.subscriptionId === subA.id && d.status === 'succeeded' && d.closedAt));
    assert.deepEqual(Object.keys(bySubA[0]).sort(), ['closedAt', 'eventId', 'eventType', 'id', 'startedAt', 'status', 'subscriptionId', 'tenantId']);
    // Newest first by when the delivery was accepted (ties broken by ID), whatever order they closed in.
    const keys = bySubA.map((d) => `${d.startedAt}|${d.id}`);
    assert.deepEqual(keys, [...keys].sort().reverse(), 'newest first');
    assert.equal(bySubA[bySubA.length - 1].eventId, e1.id, 'the first event comes last');
    const bySubB = await waitForListed(stack, `subscriptionId=${subB.id}`, 1);
    assert.equal(bySubB[0].eventId, e3.id);
    const byType = await waitForListed(stack, `eventType=${type}.a`, 2);
    assert.deepEqual(byType.map((d) => d.eventId).sort(), [e1.id, e2.id].sort());
    const byEvent = await waitForListed(stack, `eventId=${e3.id}`, 2);
    assert.deepEqual(byEvent.map((d) => d.subscriptionId).sort(), [subA.id, subB.id].sort());
    await waitForListed(stack, `eventId=${e3.id}&subscriptionId=${subB.id}&eventType=${type}.b&status=succeeded`, 1);
    const byStatus = await stack.call('GET', '/v1/deliveries?status=succeeded&limit=100');
    assert.ok(byStatus.body.data.length > 0 && byStatus.body.data.every((d: any) => d.status === 'succeeded'));

    // Pages of two walk the four deliveries of this test's event type prefix exactly once.
    const seen: string[] = [];
    let cursor: string | null = null;
    const pages: number[] = [];
    do {
      const res: any = await stack.call('GET', `/v1/deliveries?subscriptionId=${subA.id}&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      pages.push(res.body.data.length);
      seen.push(...res.body.data.map((d: any) => d.id));
      cursor = res.body.nextCursor;
    } while (cursor && pages.length < 10);
    assert.equal(pages[0], 2);
    assert.equal(new Set(seen).size, 3);
    assert.deepEqual([...seen].sort(), all.filter((id) => bySubA.some((d) => d.id === id)).sort());
  });

  void test('bad list parameters are 400 naming the query field', async () => {
    assertProblem(await stack.call('GET', '/v1/deliveries?status=lost'), 400, ['query.status']);
    assertProblem(await stack.call('GET', '/v1/deliveries?eventType=a..b'), 400, ['query.eventType']);
    assertProblem(await stack.call('GET', "/v1/deliveries?subscriptionId=x'%20OR%20'1'='1"), 400, ['query.subscriptionId']);
    assertProblem(await stack.call('GET', '/v1/deliveries?eventId=a%20b'), 400, ['query.eventId']);
    assertProblem(await stack.call('GET', '/v1/deliveries?limit=0'), 400, ['query.limit']);
    assertProblem(await stack.call('GET', '/v1/deliveries?limit=101'), 400, ['query.limit']);
    for (const cursor of ['%%%', 'bm90LWpzb24', encodeCursor(42), encodeCursor('bm90IGEgdG9rZW4='), encodeCursor({ token: 'bm90IGEgdG9rZW4=', check: 'x' })]) {
      assertProblem(await stack.call('GET', `/v1/deliveries?cursor=${cursor}`), 400, ['query.cursor']);
    }
  });

  void test('GET /v1/deliveries/:id answers from the status query; /attempts pages the attempt log; unknown IDs are 404', async () => {
    const type = uniqueType('one');
    const sub = await createSubscription(stack, { url: ok.url, eventTypes: [type] });
    const evt = await post(type, { hello: 'world' });
    const id = evt.deliveries[0].id;
    const status = await waitForState(stack, id, 'succeeded');
    assert.equal(status.deliveryId, id);
    assert.equal(status.eventId, evt.id);
    assert.equal(status.subscriptionId, sub.id);
    assert.equal(status.eventType, type);
    assert.equal(status.attempts, 1);
    assert.equal(status.roundCount, 1);
    assert.equal(status.rounds[0].outcome, 'succeeded');
    assert.equal(status.lastResponse.statusCode, 200);
    assert.ok(status.completedAt);

    const attempts = await waitFor(async () => {
      const r = await stack.call('GET', `/v1/deliveries/${id}/attempts`);
      return r.body.data?.length === 1 ? r.body : undefined;
    }, 'the attempt row');
    assert.equal(attempts.nextCursor, null);
    const [a] = attempts.data;
    assert.equal(a.statusCode, 200);
    assert.equal(a.outcome, 'succeeded');
    assert.equal(a.round, 1);
    assert.equal(a.attempt, 1);
    assert.ok(Number.isInteger(a.durationMs) && a.durationMs >= 0);
    assert.equal(a.responseBody, 'ok');

    for (const path of ['dlv_unknown', 'dlv_unknown/attempts']) {
      const res = await stack.call('GET', `/v1/deliveries/${path}`);
      assertProblem(res, 404);
      assert.match(res.body.detail, /dlv_unknown/);
    }
    for (const action of ['redeliver', 'discard']) assertProblem(await stack.call('POST', `/v1/deliveries/dlv_unknown/${action}`), 404);
    assertProblem(await stack.call('GET', `/v1/deliveries/${id}/attempts?cursor=${encodeCursor(1e300)}`), 400, ['query.cursor']);
    assertProblem(await stack.call('GET', `/v1/deliveries/${id}/attempts?limit=0`), 400, ['query.limit']);
  });

  void test('single redeliver: dead letter → redeliver → succeeded, one webhook-id throughout; a closed one runs again', async () => {
    const type = uniqueType('redeliver');
    const sub = await createSubscription(stack, { url: failing.url, eventTypes: [type] });
    healthy = false;
    const evt = await post(type);
    const id = evt.deliveries[0].id;
    const dead = await waitForState(stack, id, 'dead_lettered');
    // The subscription's dead-letter workflow now runs in the same namespace; it is not a delivery.
    const dlq = `dead-letters-${sub.id}`;
    await waitFor(() => stack.temporal.client.workflow.getHandle(dlq).describe(), 'the dead-letter workflow');
    for (const path of [dlq, `${dlq}/attempts`]) assertProblem(await stack.call('GET', `/v1/deliveries/${path}`), 404);
    for (const action of ['redeliver', 'discard']) assertProblem(await stack.call('POST', `/v1/deliveries/${dlq}/${action}`), 404);
    assert.equal((await stack.temporal.client.workflow.getHandle(dlq).describe()).status.name, 'RUNNING');
    assert.equal(dead.attempts, 2);
    assert.equal(dead.lastResponse.statusCode, 500);
    assert.ok(dead.deadLetteredAt && dead.retentionEndsAt);
    assert.equal(dead.completedAt, undefined);

    const attempts = await stack.call('GET', `/v1/deliveries/${id}/attempts?limit=1`);
    assert.equal(attempts.body.data.length, 1);
    assert.equal(attempts.body.data[0].statusCode, 500);
    assert.equal(attempts.body.data[0].responseBody, 'broken');
    assert.ok(attempts.body.nextCursor);
    const page2 = await stack.call('GET', `/v1/deliveries/${id}/attempts?limit=1&cursor=${attempts.body.nextCursor}`);
    assert.equal(page2.body.data.length, 1);
    assert.equal(page2.body.data[0].attempt, 2);
    assert.equal(page2.body.nextCursor, null);

    healthy = true;
    const res = await stack.call('POST', `/v1/deliveries/${id}/redeliver`);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.deepEqual(res.body, { id, accepted: true, signal: 'redeliver', how: 'signalled' });
    const done = await waitForState(stack, id, 'succeeded');
    assert.equal(done.roundCount, 2);
    assert.equal(done.attempts, 3);
    assert.deepEqual(done.rounds.map((r: any) => r.trigger), ['initial', 'redeliver']);
    const mine = failing.received.filter((r) => r.headers['webhook-id'] === evt.id);
    assert.equal(mine.length, 3);
    const all = await stack.call('GET', `/v1/deliveries/${id}/attempts`);
    assert.deepEqual(all.body.data.map((a: any) => [a.round, a.attempt, a.statusCode]), [[1, 1, 500], [1, 2, 500], [2, 1, 200]]);

    // Closed: nothing left to discard; a redeliver resends it as a new run of the same delivery.
    const closing = await stack.call('POST', `/v1/deliveries/${id}/discard`);
    assertProblem(closing, 409);
    assert.match(closing.body.detail, /succeeded/);
    await waitFor(async () => ((await stack.temporal.client.workflow.getHandle(id).describe()).status.name === 'COMPLETED' ? true : undefined), 'the run to close');
    const again = await stack.call('POST', `/v1/deliveries/${id}/redeliver`);
    assert.equal(again.status, 202, JSON.stringify(again.body));
    assert.equal(again.body.how, 'restarted');
    await waitFor(async () => ((await stack.call('GET', `/v1/deliveries/${id}`)).body.roundCount === 3 ? true : undefined), 'a third round');
    const third = await waitForState(stack, id, 'succeeded');
    assert.deepEqual(third.rounds.map((r: any) => r.trigger), ['initial', 'redeliver', 'redeliver']);
    assert.equal(failing.received.filter((r) => r.headers['webhook-id'] === evt.id).length, 4);
  });

  void test('discard a dead letter → 202 → discarded; discarding again is a 409; a redeliver resends it', async () => {
    const type = uniqueType('discard');
    await createSubscription(stack, { url: failing.url, eventTypes: [type] });
    healthy = false;
    const id = (await post(type)).deliveries[0].id;
    await waitForState(stack, id, 'dead_lettered');
    const res = await stack.call('POST', `/v1/deliveries/${id}/discard`);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.deepEqual(res.body, { id, accepted: true, signal: 'discard' });
    const status = await waitForState(stack, id, 'discarded');
    assert.ok(status.completedAt);
    assertProblem(await stack.call('POST', `/v1/deliveries/${id}/discard`), 409);
    await waitFor(async () => ((await stack.temporal.client.workflow.getHandle(id).describe()).status.name === 'COMPLETED' ? true : undefined), 'the run to close');
    healthy = true;
    const again = await stack.call('POST', `/v1/deliveries/${id}/redeliver`);
    assert.equal(again.body.how, 'restarted', JSON.stringify(again.body));
    const resent = await waitForState(stack, id, 'succeeded');
    assert.deepEqual(resent.rounds.map((r: any) => r.outcome), ['failed', 'succeeded']);
  });

  void test('bulk redeliver signals only the dead letters that match the filter', async () => {
    const type = uniqueType('bulk');
    healthy = false;
    const subA = await createSubscription(stack, { url: failing.url, eventTypes: [`${type}.a`] });
    const subB = await createSubscription(stack, { url: failing.url, eventTypes: [`${type}.b`] });
    const events = [await post(`${type}.a`), await post(`${type}.a`), await post(`${type}.b`)];
    const ids = events.map((e) => e.deliveries[0].id as string);
    for (const id of ids) await waitForState(stack, id, 'dead_lettered');
    await waitForListed(stack, `status=dead_lettered&subscriptionId=${subA.id}`, 2);
    await waitForListed(stack, `status=dead_lettered&subscriptionId=${subB.id}`, 1);

    healthy = true;
    const res = await stack.call('POST', '/v1/deliveries/redeliver', { status: 'dead_lettered', subscriptionId: subA.id });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.deepEqual(res.body, { matched: 2, signalled: 2 });
    // Repeated at once, while visibility still says dead_lettered, it must not send a second time.
    const repeat = await stack.call('POST', '/v1/deliveries/redeliver', { status: 'dead_lettered', subscriptionId: subA.id });
    assert.equal(repeat.status, 202);
    assert.equal(repeat.body.signalled, 0, JSON.stringify(repeat.body));
    await waitForState(stack, ids[0]!, 'succeeded');
    await waitForState(stack, ids[1]!, 'succeeded');
    await sleep(1000);
    const b = await stack.call('GET', `/v1/deliveries/${ids[2]}`);
    assert.equal(b.body.state, 'dead_lettered');
    assert.equal(b.body.roundCount, 1);
    const count = (eventId: string) => failing.received.filter((r) => r.headers['webhook-id'] === eventId).length;
    assert.deepEqual(events.map((e) => count(e.id)), [3, 3, 2]);

    // The filter by event type reaches B's remaining dead letter; nothing else matches any more.
    await waitForListed(stack, `status=dead_lettered&subscriptionId=${subA.id}`, 0);
    const byType = await stack.call('POST', '/v1/deliveries/redeliver', { status: 'dead_lettered', eventType: `${type}.b` });
    assert.deepEqual(byType.body, { matched: 1, signalled: 1 });
    await waitForState(stack, ids[2]!, 'succeeded');
    const future = await stack.call('POST', '/v1/deliveries/redeliver', { status: 'dead_lettered', subscriptionId: subA.id, since: new Date(Date.now() + 60_000).toISOString() });
    assert.deepEqual(future.body, { matched: 0, signalled: 0 });
  });

  void test('bulk redeliver validates its body, naming the field', async () => {
    for (const status of ['succeeded', 'retrying', 'DEAD_LETTERED', 1]) {
      assertProblem(await stack.call('POST', '/v1/deliveries/redeliver', { status }), 400, ['body.status']);
    }
    assertProblem(await stack.call('POST', '/v1/deliveries/redeliver', {}), 400, ['body.status']);
    assertProblem(await stack.call('POST', '/v1/deliveries/redeliver', { status: 'dead_lettered', since: 'yesterday' }), 400, ['body.since']);
    assertProblem(await stack.call('POST', '/v1/deliveries/redeliver', { status: 'dead_lettered', eventType: '*' }), 400, ['body.eventType']);
    assertProblem(await stack.call('POST', '/v1/deliveries/redeliver', { status: 'dead_lettered', all: true }), 400, ['body.all']);
  });

  void test('every delivery and event route answers 401 problem+json without a valid API key', async () => {
    await assertUnauthorized(stack, [
      ['GET', '/v1/deliveries'],
      ['GET', '/v1/deliveries/dlv_x'],
      ['GET', '/v1/deliveries/dlv_x/attempts'],
      ['POST', '/v1/deliveries/dlv_x/redeliver'],
      ['POST', '/v1/deliveries/dlv_x/discard'],
      ['POST', '/v1/deliveries/redeliver'],
      ['POST', '/v1/events'],
      ['POST', '/v1/events/batch'],
      ['GET', '/v1/events/evt_x'],
    ]);
  });
});
