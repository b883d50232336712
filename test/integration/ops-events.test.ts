// Operational webhooks through hookflow's own pipeline: an operator subscribes to hookflow.* in the
// default tenant and receives, signed and verified with the `standardwebhooks` package, exactly one
// event per thing that happened to a customer's deliveries; its own failing endpoints produce none.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertProblem, createSubscription } from '../support/api';
import { receiverPool, type Receiver } from '../support/receiver';
import { startStack, waitFor, type Stack } from '../support/stack';
import { createTenant } from '../support/tenants';

const OPS = ['hookflow.subscription.disabled', 'hookflow.delivery.dead_lettered', 'hookflow.delivery.failing', 'hookflow.delivery.recovered', 'hookflow.ping'];

void describe('operational events (hookflow.*)', () => {
  let stack: Stack;
  const pool = receiverPool();

  before(async () => {
    // Failing after 2 failed attempts in a row; 4 attempts a round; auto-disable after 2 dead letters.
    stack = await startStack({ HOOKFLOW_FAILING_AFTER: '2', HOOKFLOW_RETRY_MAX_ATTEMPTS: '4', HOOKFLOW_AUTO_DISABLE_AFTER: '2' });
  });
  after(async () => {
    await stack?.stop();
    await pool.closeAll();
  });

  void test('POST /v1/events and the batch route refuse the reserved hookflow. prefix with a 400 naming the type', async () => {
    for (const type of OPS) assertProblem(await stack.call('POST', '/v1/events', { type, data: {} }), 400, ['body.type']);
    assertProblem(await stack.call('POST', '/v1/events', { type: 'hookflow.anything', data: {} }), 400, ['body.type']);
    assertProblem(
      await stack.call('POST', '/v1/events/batch', { events: [{ type: 'ok.type', data: 1 }, { type: 'hookflow.ping', data: 1 }] }),
      400,
      ['body.events.1.type'],
    );
    // Names that merely contain the word are ordinary types.
    assert.equal((await stack.call('POST', '/v1/events', { type: 'myhookflow.thing', data: {} })).status, 202);
    const stored = await stack.db.query("SELECT 1 FROM events WHERE type LIKE 'hookflow.%'");
    assert.equal(stored.rowCount, 0);
  });

  void test('the OpenAPI document lists each operational event with its payload schema, and the reserved prefix', async () => {
    const doc: any = await (await fetch(`${stack.url}/docs/json`)).json();
    assert.deepEqual(Object.keys(doc['x-webhooks']).sort(), [...OPS].sort());
    for (const type of OPS) {
      const ref = doc['x-webhooks'][type].post.requestBody.content['application/json'].schema.$ref as string;
      const schema = doc.components.schemas[ref.replace('#/components/schemas/', '')];
      assert.deepEqual(schema.properties.type.enum, [type]);
      assert.ok(schema.properties.data.properties.tenantId, `${type} names the tenant`);
    }
    const typeDoc = doc.paths['/v1/events'].post.requestBody.content['application/json'].schema.properties.type.description as string;
    assert.match(typeDoc, /"hookflow\." \(in any case\) are reserved/);
  });

  void test('an operator receives dead_lettered, disabled, failing and recovered; its own failing endpoints emit nothing more', { timeout: 120_000 }, async () => {
    // The operator: one healthy endpoint, one that always fails, one that is gone; and a catch-all
    // '*' subscription in the default tenant, which must not receive reserved types.
    const operator = await pool.start(() => ({ status: 200 }));
    const operatorBroken = await pool.start(() => ({ status: 500 }));
    const operatorGone = await pool.start(() => ({ status: 410 }));
    const catchAll = await pool.start(() => ({ status: 200 }));
    const opSubs = new Map<Receiver, string>();
    for (const r of [operator, operatorBroken, operatorGone]) {
      const sub = await createSubscription(stack, { url: r.url, eventTypes: ['hookflow.*'] });
      r.secrets = [sub.secret];
      opSubs.set(r, sub.id);
    }
    catchAll.secrets = [(await createSubscription(stack, { url: catchAll.url, eventTypes: ['*'] })).secret];

    // A customer tenant with three endpoints: always 500, 410, and 500, 500, 200.
    const acme = await createTenant(stack);
    const broken = await pool.start(() => ({ status: 500 }));
    const gone = await pool.start(() => ({ status: 410 }));
    const flakyCalls = { n: 0 };
    const flaky = await pool.start(() => ({ status: ++flakyCalls.n <= 2 ? 500 : 200 }));
    const customer = new Map<string, string>();
    for (const [name, r] of [['broken', broken], ['gone', gone], ['flaky', flaky]] as const) {
      const sub = await createSubscription(stack, { tenantId: acme.id, url: r.url, eventTypes: [`shop.${name}`] });
      r.secrets = [sub.secret];
      customer.set(name, sub.id);
    }
    const deliveries = new Map<string, { eventId: string; deliveryId: string }>();
    for (const name of ['broken', 'gone', 'flaky']) {
      const res = await acme.call('POST', '/v1/events', { type: `shop.${name}`, data: { name } });
      assert.equal(res.status, 202, JSON.stringify(res.body));
      deliveries.set(name, { eventId: res.body.id, deliveryId: res.body.deliveries[0].id });
    }

    const expected = [
      ['hookflow.delivery.failing', 'broken'],
      ['hookflow.delivery.dead_lettered', 'broken'],
      ['hookflow.subscription.disabled', 'gone'],
      ['hookflow.delivery.dead_lettered', 'gone'],
      ['hookflow.delivery.failing', 'flaky'],
      ['hookflow.delivery.recovered', 'flaky'],
    ].map(([type, name]) => `${type} ${customer.get(name!)}`).sort();
    const seen = (r: Receiver) => r.received.map((q) => `${q.payload?.type} ${(q.payload?.data as any)?.subscriptionId}`).sort();
    await waitFor(() => seen(operator).length >= expected.length, `${expected.length} operational events at the operator`, 60_000);

    // Exactly these, each once, each verified by the standardwebhooks package.
    assert.deepEqual(seen(operator), expected);
    assert.ok(operator.received.every((q) => q.verified === true), operator.received.map((q) => q.verifyError).join());
    assert.equal(new Set(operator.received.map((q) => q.headers['webhook-id'])).size, expected.length);
    for (const q of operator.received) {
      const data = q.payload!.data as Record<string, any>;
      assert.equal(data.tenantId, acme.id, 'the payload names the affected tenant');
      assert.match(String(q.headers['webhook-id']), /^hfop_[0-9a-f]{40}$/);
      if (q.payload!.type !== 'hookflow.subscription.disabled') {
        const name = [...customer].find(([, id]) => id === data.subscriptionId)![0];
        assert.equal(data.deliveryId, deliveries.get(name)!.deliveryId);
        assert.equal(data.eventId, deliveries.get(name)!.eventId);
        assert.equal(data.eventType, `shop.${name}`);
      }
    }
    const byType = (type: string) => operator.received.filter((q) => q.payload!.type === type).map((q) => q.payload!.data as Record<string, any>);
    assert.deepEqual(byType('hookflow.subscription.disabled').map((d) => [d.reason, d.url, d.deliveryId]), [['gone', gone.url, deliveries.get('gone')!.deliveryId]]);
    assert.deepEqual(byType('hookflow.delivery.failing').map((d) => [d.failedAttempts, d.lastStatusCode, d.round]), [[2, 500, 1], [2, 500, 1]]);
    assert.deepEqual(byType('hookflow.delivery.recovered').map((d) => [d.attempt, d.statusCode]), [[3, 200]]);
    assert.deepEqual(byType('hookflow.delivery.dead_lettered').map((d) => d.lastStatusCode).sort(), [410, 500]);
    // The customer's own endpoints got their events; the catch-all got none of the reserved ones.
    assert.equal(gone.received.length, 1);
    assert.equal(flaky.received.length, 3);
    assert.equal(broken.received.length, 4);
    assert.equal(catchAll.received.filter((q) => q.payload?.type.startsWith('hookflow.')).length, 0);

    // The operator's broken endpoint dead-letters every one of its operational deliveries (and is
    // auto-disabled after two), the gone one is disabled by its 410. Wait until every one of those
    // deliveries has ended and its dead letter was reported, then check nothing more was emitted.
    const ended = async (subscriptionId: string) => {
      const { rows } = await stack.db.query<{ delivery_id: string }>('SELECT delivery_id FROM event_deliveries WHERE subscription_id = $1', [subscriptionId]);
      const states = await Promise.all(rows.map(async (r) => (await stack.call('GET', `/v1/deliveries/${r.delivery_id}`)).body.state as string));
      return { count: rows.length, done: states.every((s) => s === 'dead_lettered' || s === 'discarded'), deadLettered: states.filter((s) => s === 'dead_lettered').length };
    };
    const deadLetterTotal = async (subscriptionId: string) => {
      const h = stack.temporal.client.workflow.getHandle(`dead-letters-${subscriptionId}`);
      return ((await h.query('status').catch(() => ({ total: 0 }))) as { total: number }).total;
    };
    for (const r of [operatorBroken, operatorGone]) {
      const id = opSubs.get(r)!;
      await waitFor(async () => {
        const e = await ended(id);
        return e.count > 0 && e.done && (await deadLetterTotal(id)) === e.deadLettered;
      }, `operator subscription ${id}'s deliveries to end and be reported`, 60_000);
    }
    const subsNow = await stack.db.query<{ id: string; active: boolean }>('SELECT id, active FROM subscriptions WHERE id = ANY($1)', [[opSubs.get(operatorBroken), opSubs.get(operatorGone)]]);
    assert.ok(subsNow.rows.every((s) => !s.active), 'both failing operator subscriptions ended up disabled');
    assert.ok(operatorBroken.received.length >= 2 * 4, 'the broken operator endpoint was tried (2 dead letters × 4 attempts at least)');

    const { rows } = await stack.db.query<{ type: string; sub: string }>("SELECT type, data->>'subscriptionId' AS sub FROM events WHERE type LIKE 'hookflow.%'");
    assert.deepEqual(rows.map((r) => `${r.type} ${r.sub}`).sort(), expected, 'no operational event about an operational delivery');
    assert.equal(operator.received.length, expected.length);
  });
});
