// The isolation matrix: every /v1 route the server registers (read from its own OpenAPI document,
// not from a list kept here) is called with tenant A's token, and again with A's customer-portal
// session (cookie and CSRF header), on tenant B's resources. Each must answer 404 (as if B's
// resource did not exist) or 403 (admin-only route), and B's data must not change. A route added
// later without an access check makes this test fail.
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
    const sub = await b.call('POST', '/v1/subscriptions', { url: failing.url, eventTypes: ['iso.thing'] });
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
        assert.ok(!JSON.stringify(res.body).includes('b-only'), `${method} ${v.path} leaked B's event body`);
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
    for (const path of [`/v1/subscriptions/${ids.subscription}`, `/v1/events/${ids.event}`, `/v1/deliveries/${ids.delivery}`, `/v1/deliveries/${ids.delivery}/attempts`]) {
      const res = await b.call('GET', path);
      assert.equal(res.status, 200, `${path}: ${JSON.stringify(res.body)}`);
    }
    // B's portal session reads them too, and A's token and session really work on A's own data.
    for (const path of [`/v1/subscriptions/${ids.subscription}`, `/v1/events/${ids.event}`, `/v1/deliveries/${ids.delivery}`]) {
      const res = await bPortal.call('GET', path);
      assert.equal(res.status, 200, `${path} with B's portal session: ${JSON.stringify(res.body)}`);
    }
    assert.equal((await a.call('GET', '/v1/subscriptions')).status, 200);
    assert.equal((await aPortal.call('GET', '/v1/subscriptions')).status, 200);
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
