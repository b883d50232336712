// The isolation matrix: every /v1 route the server registers (read from its own OpenAPI document,
// not from a list kept here) is called with tenant A's token, and again with A's customer-portal
// session (cookie and CSRF header), on tenant B's resources. Each must answer 404 (as if B's
// resource did not exist) or 403 (admin-only route), and B's data must not change. The stats routes
// (GET /v1/subscriptions/:id/stats, /v1/tenants/:id/stats) are checked to be among them. A route
// added later without an access check makes this test fail.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Fastify from 'fastify';
import { installAccessControl } from '../../src/auth/access-control';
import { assertProblem } from '../support/api';
import { waitForState } from '../support/engine';
import type { ApiResponse } from '../support/call-api';
import { openPortalSession, type PortalSession } from '../support/portal';
import { receiverPool } from '../support/receiver';
import { startStack, waitFor, type Stack } from '../support/stack';
import { createTenant, type TestTenant } from '../support/tenants';

const METHODS = ['get', 'post', 'patch', 'put', 'delete'] as const;

void describe('tenant isolation matrix over every registered route', () => {
  let stack: Stack;
  let a: TestTenant;
  let b: TestTenant;
  let aPortal: PortalSession;
  let bPortal: PortalSession;
  const ids: Record<string, string> = {};
  const pool = receiverPool();

  before(async () => {
    stack = await startStack({ HOOKFLOW_RETRY_MAX_ATTEMPTS: '1' });
    [a, b] = await Promise.all([createTenant(stack, 'iso-a'), createTenant(stack, 'iso-b')]);
    [aPortal, bPortal] = await Promise.all([openPortalSession(stack, a.id), openPortalSession(stack, b.id)]);
    // B owns one of everything: a subscription, an event, and a dead-lettered (open) delivery.
    const failing = await pool.start(() => ({ status: 500 }));
    // With a custom header whose value only B may read whole (GET …/headers) and a payload filter.
    const sub = await b.call('POST', '/v1/subscriptions', {
      url: failing.url, eventTypes: ['iso.thing'], headers: { 'X-Api-Key': 'b-only-header', 'X-Team': 'b-only-team' }, filter: { data: { secret: { $exists: true } } },
    });
    const evt = await b.call('POST', '/v1/events', { type: 'iso.thing', data: { secret: 'b-only' } });
    Object.assign(ids, { subscription: sub.body.id, event: evt.body.id, delivery: evt.body.deliveries[0].id, tenant: b.id, token: b.tokenId });
    await waitForState(stack, ids.delivery!, 'dead_lettered');
    await waitFor(async () => {
      const r = await stack.call('GET', `/v1/deliveries?tenantId=${b.id}&status=dead_lettered`);
      return r.body.data.length === 1 ? true : undefined;
    }, "B's dead letter to be listed");
  });
  after(async () => {
    await stack?.stop();
    await pool.closeAll();
  });

  /** Everything of B's that any route could change. */
  async function snapshotOfB(): Promise<string> {
    const q = async (sql: string) => JSON.stringify((await stack.db.query(sql, [b.id])).rows);
    const status = await stack.call('GET', `/v1/deliveries/${ids.delivery}`);
    return [
      await q('SELECT * FROM tenants WHERE id = $1'),
      await q('SELECT * FROM subscriptions WHERE tenant_id = $1 ORDER BY id'),
      await q('SELECT id, type, data::text, idempotency_key, created_at, dispatched_at FROM events WHERE tenant_id = $1 ORDER BY id'),
      await q('SELECT * FROM event_deliveries WHERE tenant_id = $1 ORDER BY delivery_id'),
      await q('SELECT * FROM subscription_stats WHERE tenant_id = $1 ORDER BY subscription_id, bucket_seconds, bucket_start'),
      await q('SELECT id, name, expires_at, revoked_at FROM tenant_tokens WHERE tenant_id = $1 ORDER BY id'),
      await q('SELECT id, expires_at, used_at FROM portal_links WHERE tenant_id = $1 ORDER BY id'),
      await q('SELECT id, link_id, expires_at, revoked_at FROM portal_sessions WHERE tenant_id = $1 ORDER BY id'),
      JSON.stringify([status.body.state, status.body.roundCount, status.body.completedAt ?? null]),
    ].join('\n');
  }

  /** Fills every path parameter with B's resource of the kind the path names. */
  function pathForB(template: string): string {
    return template.replace(/\{(\w+)\}/g, (_m, name: string) => {
      if (name === 'tokenId') return ids.token!;
      // Event types belong to the installation, not to a tenant: a tenant may read the catalog and
      // never write it. An uncatalogued name shows both (a 404 to read, a 403 to write).
      if (name === 'name' && template.startsWith('/v1/event-types/')) return 'iso.thing';
      const collection = /^\/v1\/(\w+)\//.exec(template)?.[1] ?? '';
      const kind = { subscriptions: 'subscription', events: 'event', deliveries: 'delivery', tenants: 'tenant' }[collection];
      const id = kind && ids[kind];
      if (!id) throw new Error(`the matrix does not know what {${name}} names in ${template}: add that resource kind above`);
      return id;
    });
  }

  type Call = (method: string, path: string, body?: unknown) => Promise<ApiResponse>;

  async function matrix(call: Call): Promise<string[]> {
    const doc = await fetch(`${stack.url}/docs/json`).then((r) => r.json() as Promise<{ paths: Record<string, Record<string, unknown>> }>);
    const routes = Object.entries(doc.paths)
      .filter(([p]) => p.startsWith('/v1/'))
      .flatMap(([p, ops]) => METHODS.filter((m) => m in ops).map((m) => [m.toUpperCase(), p] as const));
    assert.ok(routes.length >= 20, `the OpenAPI document lists the /v1 routes (${routes.length})`);
    for (const stats of ['/v1/subscriptions/{id}/stats', '/v1/tenants/{id}/stats']) {
      assert.ok(routes.some(([m, p]) => m === 'GET' && p === stats), `the matrix covers GET ${stats}`);
    }

    const before = await snapshotOfB();
    const answers: string[] = [];
    const plain = { type: 'iso.thing', data: 1, url: 'http://127.0.0.1:9/x', status: 'dead_lettered' };
    for (const [method, template] of routes) {
      const hasBody = method !== 'GET' && method !== 'DELETE';
      const takesId = template.includes('{');
      // With B's IDs in the path, nothing else names a tenant: the ownership check alone must hold.
      // Without path IDs, B's tenant is named everywhere a request can name one.
      const variants = [
        ...(takesId ? [{ path: pathForB(template), body: { ...plain, events: [{ type: 'iso.thing', data: 1 }] } }] : []),
        {
          path: `${pathForB(template)}?tenantId=${b.id}`,
          body: { ...plain, tenantId: b.id, events: [{ type: 'iso.thing', tenantId: b.id, data: 1 }] },
        },
      ];
      for (const v of variants) {
        const res = await call(method, v.path, hasBody ? v.body : undefined);
        answers.push(`${method} ${v.path} → ${res.status}`);
        assert.ok(res.status === 404 || res.status === 403, `${method} ${v.path} answered ${res.status}: ${JSON.stringify(res.body)}`);
        assertProblem(res, res.status);
        assert.ok(!JSON.stringify(res.body).includes('b-only'), `${method} ${v.path} leaked B's event body or a header value`);
      }
    }
    assert.equal(await snapshotOfB(), before, `B's data changed after:\n${answers.join('\n')}`);
    return answers;
  }

  void test('tenant A\'s token on B\'s resources: 404 or 403 everywhere, and B\'s data is unchanged', async (t) => {
    t.diagnostic(`${(await matrix((m, p, b) => a.call(m, p, b))).length} calls over the routes of the OpenAPI document`);
  });

  // The session carries its CSRF header, so the answers are the access layer's, not the CSRF check's.
  void test('tenant A\'s portal session on B\'s resources: 404 or 403 everywhere, and B\'s data is unchanged', async (t) => {
    t.diagnostic(`${(await matrix((m, p, b) => aPortal.call(m, p, b))).length} calls over the routes of the OpenAPI document`);
  });

  void test('positive control: B\'s own token reads the same resources (so the 404s above are about ownership)', async () => {
    const stats = [`/v1/subscriptions/${ids.subscription}/stats`, `/v1/tenants/${ids.tenant}/stats`];
    for (const path of [`/v1/subscriptions/${ids.subscription}`, `/v1/events/${ids.event}`, `/v1/deliveries/${ids.delivery}`, `/v1/deliveries/${ids.delivery}/attempts`, ...stats]) {
      const res = await b.call('GET', path);
      assert.equal(res.status, 200, `${path}: ${JSON.stringify(res.body)}`);
    }
    // B's portal session reads them too, and A's token and session really work on A's own data.
    for (const path of [`/v1/subscriptions/${ids.subscription}`, `/v1/events/${ids.event}`, `/v1/deliveries/${ids.delivery}`, ...stats]) {
      const res = await bPortal.call('GET', path);
      assert.equal(res.status, 200, `${path} with B's portal session: ${JSON.stringify(res.body)}`);
    }
    // B's figures are B's: its one dead letter, after its one attempt.
    const figures = (await b.call('GET', stats[0]!)).body.totals;
    assert.deepEqual([figures.deliveries, figures.failed, figures.attempts], [1, 1, 1]);
    assert.equal((await a.call('GET', `/v1/tenants/${a.id}/stats`)).body.totals.attempts, 0, "A's own tenant stats, empty");
    assert.equal((await a.call('GET', '/v1/subscriptions')).status, 200);
    assert.equal((await aPortal.call('GET', '/v1/subscriptions')).status, 200);
  });

  // Event IDs are the caller's own words: two tenants may use the same one, and neither can learn
  // (by a 409, or by being squatted) which IDs the other has used.
  void test('event IDs are per tenant: the same ID in two tenants is two events, each with its own deliveries', async () => {
    const [ra, rb] = await Promise.all([pool.start(() => ({ status: 200 })), pool.start(() => ({ status: 200 }))]);
    const subA = await a.call('POST', '/v1/subscriptions', { url: ra.url, eventTypes: ['iso.shared'] });
    const subB = await b.call('POST', '/v1/subscriptions', { url: rb.url, eventTypes: ['iso.shared'] });
    assert.equal(subA.status, 201);
    assert.equal(subB.status, 201);

    const shared = `evt_shared_${process.pid}`;
    const fromB = await b.call('POST', '/v1/events', { id: shared, type: 'iso.shared', data: { owner: 'b-only' } });
    assert.equal(fromB.status, 202, JSON.stringify(fromB.body));
    // A's POST with B's ID and another body: a new event of A's, not a 409 that would confirm B's.
    const fromA = await a.call('POST', '/v1/events', { id: shared, type: 'iso.shared', data: { owner: 'a' } });
    assert.equal(fromA.status, 202, JSON.stringify(fromA.body));
    assert.equal(fromA.headers.get('idempotent-replayed'), null, "A's event is created, not a replay of B's");
    assert.equal(fromA.body.id, shared);
    assert.equal(fromA.body.tenantId, a.id);
    assert.deepEqual(fromA.body.deliveries.map((d: { subscriptionId: string }) => d.subscriptionId), [subA.body.id]);
    assert.notEqual(fromA.body.deliveries[0].id, fromB.body.deliveries[0].id, 'each tenant has its own delivery ID');

    // Each receiver gets its own tenant's body, under the same webhook-id.
    await waitFor(() => (ra.received.length === 1 && rb.received.length === 1 ? true : undefined), 'both deliveries to arrive');
    assert.equal(ra.received[0]!.headers['webhook-id'], shared);
    assert.equal(rb.received[0]!.headers['webhook-id'], shared);
    assert.deepEqual(JSON.parse(ra.received[0]!.body).data, { owner: 'a' });
    assert.deepEqual(JSON.parse(rb.received[0]!.body).data, { owner: 'b-only' });
    for (const [who, id] of [[a, fromA.body.deliveries[0].id], [b, fromB.body.deliveries[0].id]] as const) {
      await waitForState(stack, id, 'succeeded');
      const attempts = await who.call('GET', `/v1/deliveries/${id}/attempts`);
      assert.equal(attempts.body.data.length, 1, `${who.id}'s delivery has its one attempt`);
    }

    // Reads: each tenant sees its own event; an operator names the tenant when the ID is ambiguous.
    const readA = await a.call('GET', `/v1/events/${shared}`);
    assert.equal(readA.status, 200);
    assert.deepEqual([readA.body.tenantId, readA.body.data], [a.id, { owner: 'a' }]);
    assert.deepEqual((await b.call('GET', `/v1/events/${shared}`)).body.data, { owner: 'b-only' });
    const ambiguous = await stack.call('GET', `/v1/events/${shared}`);
    assertProblem(ambiguous, 400);
    assert.equal(ambiguous.body.errors[0].path, 'query.tenantId');
    assert.deepEqual((await stack.call('GET', `/v1/events/${shared}?tenantId=${b.id}`)).body.data, { owner: 'b-only' });

    // Repeats stay per tenant: the same body replays, another body conflicts, in A's own tenant only.
    const again = await a.call('POST', '/v1/events', { id: shared, type: 'iso.shared', data: { owner: 'a' } });
    assert.equal(again.status, 202);
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    assertProblem(await a.call('POST', '/v1/events', { id: shared, type: 'iso.shared', data: { owner: 'changed' } }), 409);

    // No squatting: A used an ID first; B's batch holding it stores all of B's events.
    const squatted = `order-${process.pid}-0001`;
    assert.equal((await a.call('POST', '/v1/events', { id: squatted, type: 'iso.other', data: 1 })).status, 202);
    const batch = await b.call('POST', '/v1/events/batch', { events: [{ id: squatted, type: 'iso.other', data: 2 }, { id: `${squatted}-b`, type: 'iso.other', data: 3 }] });
    assert.equal(batch.status, 202, JSON.stringify(batch.body));
    assert.deepEqual(batch.body.data.map((e: { id: string; tenantId: string }) => `${e.tenantId}/${e.id}`), [`${b.id}/${squatted}`, `${b.id}/${squatted}-b`]);
    assert.deepEqual((await b.call('GET', `/v1/events/${squatted}`)).body.data, 2);
    assert.deepEqual((await a.call('GET', `/v1/events/${squatted}`)).body.data, 1);

    // A replay of A's event resends A's delivery only.
    const replay = await a.call('POST', `/v1/events/${shared}/replay`, {});
    assert.equal(replay.status, 202, JSON.stringify(replay.body));
    assert.deepEqual(replay.body.deliveries.map((d: { id: string; outcome: string }) => [d.id, d.outcome]), [[fromA.body.deliveries[0].id, 'restarted']]);
    await waitFor(() => (ra.received.length === 2 ? true : undefined), "A's replay to arrive");
    assert.equal(rb.received.length, 1, "B's receiver got nothing from A's replay");
  });

  void test('a route that does not declare its access and its scope cannot be registered', async () => {
    const app = Fastify();
    installAccessControl(app, { db: stack.db, resolve: async () => undefined });
    assert.throws(() => app.get('/v1/forgot', async () => 'open'), /does not declare config\.access/);
    assert.throws(() => app.get('/v1/no-scope', { config: { access: { who: 'tenant' } } }, async () => 'open'), /does not declare the scope it needs/);
    assert.throws(
      () => app.get('/v1/bad-scope', { config: { access: { who: 'tenant' }, scope: 'everything' as never } }, async () => 'open'),
      /does not declare the scope it needs/,
    );
    assert.throws(
      () => app.get('/v1/things/:id', { config: { access: { who: 'tenant' }, scope: 'read' } }, async () => 'open'),
      /does not say what :id names/,
    );
    await app.close();
  });
});
