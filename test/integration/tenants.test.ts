import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertProblem, dbFingerprint } from '../support/api';
import { callApi } from '../support/call-api';
import { attemptsOf, temporalCli, waitForState } from '../support/engine';
import { receiverPool, type Receiver } from '../support/receiver';
import { startStack, waitFor, type Stack } from '../support/stack';
import { createTenant, type TestTenant } from '../support/tenants';

let typeCounter = 0;
const uniqueType = () => `tenant_test.t${++typeCounter}`;

void describe('tenants: model, API, fan-out inside a tenant, tokens, deletion', () => {
  let stack: Stack;
  const pool = receiverPool();

  before(async () => {
    stack = await startStack({ HOOKFLOW_RETRY_MAX_ATTEMPTS: '2' });
  });
  after(async () => {
    await stack?.stop();
    await pool.closeAll();
  });

  async function subscribeAs(tenant: TestTenant | undefined, receiver: Receiver, eventTypes: string[]) {
    const res = tenant
      ? await tenant.call('POST', '/v1/subscriptions', { url: receiver.url, eventTypes })
      : await stack.call('POST', '/v1/subscriptions', { url: receiver.url, eventTypes });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    receiver.secrets = [res.body.secret];
    return res.body;
  }

  void test('CRUD: chosen and generated IDs, 409 on a taken ID, pagination, PATCH, bad IDs name the field', async () => {
    const chosen = `cust-${process.pid}-crud`;
    const created = await stack.call('POST', '/v1/tenants', { id: chosen, name: 'Customer', metadata: { plan: 'pro' } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.deepEqual(Object.keys(created.body).sort(), ['createdAt', 'id', 'metadata', 'name', 'updatedAt']);
    assert.equal(created.body.id, chosen);
    assertProblem(await stack.call('POST', '/v1/tenants', { id: chosen, name: 'again' }), 409);
    const generated = await stack.call('POST', '/v1/tenants', { name: 'Generated' });
    assert.match(generated.body.id, /^ten_[0-9a-z]{26}$/);

    assertProblem(await stack.call('POST', '/v1/tenants', { id: 'has space', name: 'x' }), 400, ['body.id']);
    assertProblem(await stack.call('POST', '/v1/tenants', { id: 'x'.repeat(129), name: 'x' }), 400, ['body.id']);
    assertProblem(await stack.call('POST', '/v1/tenants', {}), 400, ['body.name']);
    assertProblem(await stack.call('GET', '/v1/tenants/bad%20id'), 400, ['params.id']);
    assertProblem(await stack.call('GET', '/v1/tenants/nobody-here'), 404);

    const patched = await stack.call('PATCH', `/v1/tenants/${chosen}`, { name: 'Renamed' });
    assert.equal(patched.body.name, 'Renamed');
    assert.deepEqual(patched.body.metadata, { plan: 'pro' });

    // Every tenant appears exactly once across pages of 1, `default` (made by the migration) first.
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 50; i++) {
      const page: any = await stack.call('GET', `/v1/tenants?limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(page.status, 200);
      seen.push(...page.body.data.map((t: any) => t.id));
      cursor = page.body.nextCursor;
      if (!cursor) break;
    }
    assert.equal(seen[0], 'default');
    assert.ok(seen.includes(chosen) && seen.includes(generated.body.id));
    assert.equal(new Set(seen).size, seen.length);
    assertProblem(await stack.call('GET', '/v1/tenants?cursor=forged'), 400, ['query.cursor']);
    assertProblem(await stack.call('DELETE', '/v1/tenants/default'), 409);
  });

  void test("an event reaches only its own tenant's matching subscriptions: single, batch, retries and redelivery", async () => {
    const [a, b] = await Promise.all([createTenant(stack, 'a'), createTenant(stack, 'b')]);
    const type = uniqueType();
    // A's endpoint fails its first attempt, so the retry path is exercised too.
    const ra = await pool.start((_r, i) => ({ status: i === 0 ? 500 : 200 }));
    const rb = await pool.start();
    const rDefault = await pool.start();
    await subscribeAs(a, ra, [type]);
    await subscribeAs(b, rb, [type]);
    await subscribeAs(undefined, rDefault, [type]);

    const single = await stack.call('POST', '/v1/events', { type, tenantId: a.id, data: { to: 'a' } });
    assert.equal(single.status, 202, JSON.stringify(single.body));
    assert.equal(single.body.tenantId, a.id);
    assert.equal(single.body.deliveries.length, 1);
    const done = await waitForState(stack, single.body.deliveries[0].id, 'succeeded');
    assert.equal(done.tenantId, a.id);
    assert.equal(done.attempts, 2);

    // One batch, three tenants: each event fans out inside its own.
    const batch = await stack.call('POST', '/v1/events/batch', {
      events: [
        { type, tenantId: b.id, data: { to: 'b' } },
        { type, data: { to: 'default' } },
        { type, tenantId: a.id, data: { to: 'a2' } },
      ],
    });
    assert.equal(batch.status, 202, JSON.stringify(batch.body));
    assert.deepEqual(batch.body.data.map((e: any) => [e.tenantId, e.deliveries.length]), [[b.id, 1], ['default', 1], [a.id, 1]]);
    await Promise.all(batch.body.data.map((e: any) => waitForState(stack, e.deliveries[0].id, 'succeeded')));

    // Redelivery of a dead letter stays inside the tenant too.
    let bDown = true;
    rb.respond = () => ({ status: bDown ? 500 : 200 });
    const dead = await stack.call('POST', '/v1/events', { type, tenantId: b.id, data: { to: 'b-dead' } });
    const deadId = dead.body.deliveries[0].id;
    await waitForState(stack, deadId, 'dead_lettered');
    bDown = false;
    assert.equal((await b.call('POST', `/v1/deliveries/${deadId}/redeliver`)).status, 202);
    await waitForState(stack, deadId, 'succeeded');

    const bodies = (r: Receiver) => r.received.map((x) => (x.payload?.data as any)?.to);
    assert.ok(ra.received.every((x) => x.verified), 'A verifies with its own secret');
    assert.deepEqual(bodies(ra), ['a', 'a', 'a2']);
    assert.deepEqual(bodies(rb), ['b', 'b-dead', 'b-dead', 'b-dead']);
    assert.deepEqual(bodies(rDefault), ['default']);
    assert.ok(rb.received.every((x) => x.verified) && rDefault.received.every((x) => x.verified));
  });

  void test('the same idempotency key under two tenants makes two events; repeating one replays it', async () => {
    const [a, b] = await Promise.all([createTenant(stack, 'ia'), createTenant(stack, 'ib')]);
    const type = uniqueType();
    const key = { 'idempotency-key': `order-${process.pid}` };
    const ea = await a.call('POST', '/v1/events', { type, data: { n: 1 } }, key);
    const eb = await b.call('POST', '/v1/events', { type, data: { n: 1 } }, key);
    assert.equal(ea.status, 202);
    assert.equal(eb.status, 202);
    assert.notEqual(ea.body.id, eb.body.id);
    assert.deepEqual([ea.body.tenantId, eb.body.tenantId], [a.id, b.id]);
    const again = await a.call('POST', '/v1/events', { type, data: { n: 1 } }, key);
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    assert.equal(again.body.id, ea.body.id);
    // The admin key naming the tenant replays the same event.
    const admin = await stack.call('POST', '/v1/events', { type, tenantId: b.id, data: { n: 1 } }, key);
    assert.equal(admin.body.id, eb.body.id);
    assertProblem(await stack.call('POST', '/v1/events', { type, tenantId: b.id, data: { n: 2 } }, key), 409);
    // Another tenant reusing an event ID gets its own event: never a replay of someone else's, and
    // never a conflict that would tell it the ID was taken (event IDs are per tenant).
    const withId = await a.call('POST', '/v1/events', { type, id: `shared-${process.pid}`, data: {} });
    assert.equal(withId.status, 202);
    const reused = await b.call('POST', '/v1/events', { type, id: `shared-${process.pid}`, data: {} });
    assert.equal(reused.status, 202, JSON.stringify(reused.body));
    assert.equal(reused.headers.get('idempotent-replayed'), null);
    assert.deepEqual([reused.body.id, reused.body.tenantId], [`shared-${process.pid}`, b.id]);
  });

  void test('unknown or deleted tenants: 404 naming body.tenantId and nothing stored; bad IDs are 400', async () => {
    const gone = await createTenant(stack, 'gone');
    assert.equal((await stack.call('DELETE', `/v1/tenants/${gone.id}`)).status, 200);
    const before = await dbFingerprint(stack.db);
    for (const tenantId of ['never-created', gone.id]) {
      assertProblem(await stack.call('POST', '/v1/events', { type: 'x.y', tenantId, data: 1 }), 404, ['body.tenantId']);
      assertProblem(await stack.call('POST', '/v1/subscriptions', { url: 'http://127.0.0.1:9/x', tenantId }), 404, ['body.tenantId']);
      assertProblem(
        await stack.call('POST', '/v1/events/batch', { events: [{ type: 'x.y', data: 1 }, { type: 'x.y', tenantId, data: 2 }] }),
        404,
        ['body.events.1.tenantId'],
      );
      assertProblem(await stack.call('GET', `/v1/subscriptions?tenantId=${tenantId}`), 404, ['query.tenantId']);
    }
    assertProblem(await stack.call('POST', '/v1/events', { type: 'x.y', tenantId: 'bad id', data: 1 }), 400, ['body.tenantId']);
    assertProblem(await stack.call('GET', '/v1/events?tenantId=bad%20id'), 400, ['query.tenantId']);
    assert.deepEqual(await dbFingerprint(stack.db), before, 'nothing was written');
    // The deleted tenant's token stopped working with it.
    assertProblem(await gone.call('GET', '/v1/subscriptions'), 401);
  });

  void test('tokens: shown once, listed without the token, admin-only routes answer 403, revoked and expired answer 401', async () => {
    const t = await createTenant(stack, 'tok');
    const listed = await stack.call('GET', `/v1/tenants/${t.id}/tokens`);
    assert.equal(listed.status, 200);
    assert.deepEqual(listed.body.data.map((k: any) => k.id), [t.tokenId]);
    assert.ok(!JSON.stringify(listed.body).includes(t.token), 'the token itself is never listed');
    const { rows } = await stack.db.query('SELECT token_hash FROM tenant_tokens WHERE id = $1', [t.tokenId]);
    assert.ok(!rows[0].token_hash.toString('utf8').includes(t.token), 'only a hash is stored');

    assert.equal((await t.call('GET', '/v1/subscriptions')).status, 200);
    for (const [method, path] of [['GET', '/v1/tenants'], ['GET', `/v1/tenants/${t.id}`], ['POST', `/v1/tenants/${t.id}/tokens`]]) {
      assertProblem(await t.call(method!, path!, method === 'POST' ? {} : undefined), 403);
    }

    const short = await stack.call('POST', `/v1/tenants/${t.id}/tokens`, { expiresAt: new Date(Date.now() + 1500).toISOString() });
    assert.equal(short.status, 201);
    const shortCall = () => callApi(stack.url, short.body.token, 'GET', '/v1/subscriptions');
    assert.equal((await shortCall()).status, 200);
    await waitFor(async () => ((await shortCall()).status === 401 ? true : undefined), 'the token to expire', 10_000);
    assertProblem(await shortCall(), 401);
    assertProblem(await stack.call('POST', `/v1/tenants/${t.id}/tokens`, { expiresAt: '2001-01-01T00:00:00Z' }), 400, ['body.expiresAt']);

    assert.equal((await stack.call('DELETE', `/v1/tenants/${t.id}/tokens/${t.tokenId}`)).status, 204);
    assertProblem(await t.call('GET', '/v1/subscriptions'), 401);
    assertProblem(await stack.call('DELETE', `/v1/tenants/${t.id}/tokens/${t.tokenId}`), 404);
  });

  void test('a tenant token lists, sends and reads only its own tenant', async () => {
    const [a, b] = await Promise.all([createTenant(stack, 'la'), createTenant(stack, 'lb')]);
    const type = uniqueType();
    const [ra, rb] = await Promise.all([pool.start(), pool.start()]);
    const sa = await subscribeAs(a, ra, [type]);
    await subscribeAs(b, rb, [type]);
    assert.equal(sa.tenantId, a.id, 'a token creates in its own tenant without naming it');
    const sent = await a.call('POST', '/v1/events', { type, data: { mine: true } });
    assert.equal(sent.body.tenantId, a.id);
    await waitForState(stack, sent.body.deliveries[0].id, 'succeeded');
    await b.call('POST', '/v1/events', { type, data: { theirs: true } });

    const subs = await a.call('GET', '/v1/subscriptions?limit=100');
    assert.deepEqual(subs.body.data.map((s: any) => s.id), [sa.id]);
    const events = await a.call('GET', '/v1/events?limit=100');
    assert.deepEqual(events.body.data.map((e: any) => e.id), [sent.body.id]);
    const deliveries = await waitFor(async () => {
      const r = await a.call('GET', '/v1/deliveries?limit=100');
      return r.body.data.length === 1 ? r.body.data : undefined;
    }, 'A to see its delivery');
    assert.equal(deliveries[0].tenantId, a.id);
    assert.equal((await a.call('GET', `/v1/deliveries/${sent.body.deliveries[0].id}/attempts`)).body.data.length, 1);
    // The admin key sees both tenants, and filters by either.
    const all = await stack.call('GET', `/v1/events?limit=100&tenantId=${b.id}`);
    assert.deepEqual(all.body.data.map((e: any) => e.tenantId), [b.id]);
  });

  void test('temporal workflow list --query HookflowTenantId lists exactly that tenant\'s deliveries', async () => {
    const [a, b] = await Promise.all([createTenant(stack, 'va'), createTenant(stack, 'vb')]);
    const type = uniqueType();
    const [ra, rb] = await Promise.all([pool.start(), pool.start()]);
    await subscribeAs(a, ra, [type]);
    await subscribeAs(b, rb, [type]);
    const sent = await stack.call('POST', '/v1/events/batch', {
      events: [{ type, tenantId: a.id, data: 1 }, { type, tenantId: a.id, data: 2 }, { type, tenantId: b.id, data: 3 }],
    });
    const aIds = sent.body.data.slice(0, 2).map((e: any) => e.deliveries[0].id).sort();
    const listed = await waitFor(async () => {
      const out = await temporalCli(stack, ['workflow', 'list', '--query', `HookflowTenantId="${a.id}"`, '--output', 'json']);
      const ids = (JSON.parse(out || '[]') as any[]).map((w) => w.execution.workflowId).sort();
      return ids.length >= 2 ? ids : undefined;
    }, 'visibility to list A\'s deliveries');
    assert.deepEqual(listed, aIds);
  });

  void test('deleting a tenant deletes its subscriptions, discards its open deliveries, and leaves other tenants running', async () => {
    const [a, b] = await Promise.all([createTenant(stack, 'da'), createTenant(stack, 'db')]);
    const type = uniqueType();
    const failing = () => pool.start(() => ({ status: 500 }));
    const [ra, rb] = await Promise.all([failing(), failing()]);
    const sa = await subscribeAs(a, ra, [type]);
    const sb = await subscribeAs(b, rb, [type]);
    const [ea, eb] = await Promise.all([a.call('POST', '/v1/events', { type, data: 1 }), b.call('POST', '/v1/events', { type, data: 2 })]);
    const [da, dbId] = [ea.body.deliveries[0].id, eb.body.deliveries[0].id];
    await Promise.all([waitForState(stack, da, 'dead_lettered'), waitForState(stack, dbId, 'dead_lettered')]);
    // Visibility must list the dead letter as such before the delete can find it.
    await waitFor(async () => {
      const r = await stack.call('GET', `/v1/deliveries?tenantId=${a.id}&status=dead_lettered`);
      return r.body.data.length === 1 ? true : undefined;
    }, 'A\'s dead letter to be listed');

    const deleted = await stack.call('DELETE', `/v1/tenants/${a.id}`);
    assert.equal(deleted.status, 200, JSON.stringify(deleted.body));
    assert.deepEqual(deleted.body, { id: a.id, deleted: true, subscriptionsDeleted: 1, tokensRevoked: 1, deliveriesDiscarded: 1 });
    const ended = await waitForState(stack, da, 'discarded');
    assert.ok(ended.completedAt);
    assertProblem(await stack.call('GET', `/v1/subscriptions/${sa.id}`), 404);
    assertProblem(await stack.call('GET', `/v1/tenants/${a.id}`), 404);
    assertProblem(await a.call('GET', '/v1/events'), 401);

    const other = await stack.call('GET', `/v1/deliveries/${dbId}`);
    assert.equal(other.body.state, 'dead_lettered');
    assert.equal(other.body.completedAt, undefined, 'B\'s dead letter is still open');
    assert.equal((await stack.call('GET', `/v1/subscriptions/${sb.id}`)).body.active, true);
    assert.equal((await attemptsOf(stack, dbId)).length, 2);
  });
});
