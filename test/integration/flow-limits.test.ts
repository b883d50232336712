import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startStack, type Stack } from '../support/stack';
import { createTenant } from '../support/tenants';

void describe('limits that keep one tenant from taking the shared workers', () => {
  let stack: Stack;

  before(async () => {
    // No worker: refusals are decided by the API, and accepted events need not be delivered here.
    stack = await startStack({ HOOKFLOW_MAX_SUBSCRIPTIONS_PER_TENANT: '3', HOOKFLOW_MAX_DELIVERIES_PER_EVENT: '2' }, { worker: false });
  });
  after(async () => {
    await stack?.stop();
  });

  const subscribe = (tenantId: string, types: string[]) =>
    stack.call('POST', '/v1/subscriptions', { tenantId, url: 'http://127.0.0.1:9/hook', eventTypes: types });

  void test('subscriptions per tenant: the one over the limit is a 422 naming the limit; other tenants and deletions free room', async () => {
    const t = await createTenant(stack, 'limits');
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await subscribe(t.id, [`a.${i}`]);
      assert.equal(res.status, 201);
      ids.push(res.body.id);
    }
    const over = await subscribe(t.id, ['a.x']);
    assert.equal(over.status, 422);
    assert.equal(over.headers.get('content-type'), 'application/problem+json; charset=utf-8');
    assert.equal(over.body.title, 'Limit Exceeded');
    assert.match(over.body.detail, /HOOKFLOW_MAX_SUBSCRIPTIONS_PER_TENANT/);
    assert.match(over.body.detail, /limit is 3/);
    assert.deepEqual(over.body.errors, [{ path: 'body.tenantId', message: 'exceeds HOOKFLOW_MAX_SUBSCRIPTIONS_PER_TENANT (3)' }]);
    const { rows } = await stack.db.query('SELECT count(*)::int AS n FROM subscriptions WHERE tenant_id = $1', [t.id]);
    assert.equal(rows[0].n, 3, 'nothing stored for the refused one');

    const other = await createTenant(stack, 'limits');
    assert.equal((await subscribe(other.id, ['a.0'])).status, 201, 'another tenant has its own allowance');
    assert.equal((await stack.call('DELETE', `/v1/subscriptions/${ids[0]}`)).status, 204);
    assert.equal((await subscribe(t.id, ['a.y'])).status, 201, 'a deleted subscription frees its place');
  });

  void test('deliveries per event: an event that would fan out beyond the limit is a 422 naming it, and nothing is stored', async () => {
    const t = await createTenant(stack, 'fanout');
    for (let i = 0; i < 3; i++) assert.equal((await subscribe(t.id, [i < 2 ? 'order.*' : 'order.big']))?.status, 201);

    const big = await stack.call('POST', '/v1/events', { tenantId: t.id, type: 'order.big', data: {} });
    assert.equal(big.status, 422);
    assert.match(big.body.detail, /matches 3 subscriptions/);
    assert.match(big.body.detail, /HOOKFLOW_MAX_DELIVERIES_PER_EVENT/);
    assert.deepEqual(big.body.errors, [{ path: 'body.type', message: 'exceeds HOOKFLOW_MAX_DELIVERIES_PER_EVENT (2)' }]);

    const batch = await stack.call('POST', '/v1/events/batch', { events: [{ tenantId: t.id, type: 'order.small', data: {} }, { tenantId: t.id, type: 'order.big', data: {} }] });
    assert.equal(batch.status, 422);
    assert.equal(batch.body.errors[0].path, 'body.events.1.type');
    const { rows } = await stack.db.query('SELECT count(*)::int AS n FROM events WHERE tenant_id = $1', [t.id]);
    assert.equal(rows[0].n, 0, 'neither event of the batch was stored');

    const small = await stack.call('POST', '/v1/events', { tenantId: t.id, type: 'order.small', data: {} });
    assert.equal(small.status, 202);
    assert.equal(small.body.deliveries.length, 2, 'at the limit is allowed');
  });
});
