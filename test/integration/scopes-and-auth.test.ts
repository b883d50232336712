// Scoped API keys and tenant tokens go through the one access-control layer: a credential without the
// route's scope gets 403 naming it; without any valid credential every /v1 path, routed or not, is a 401.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertProblem } from '../support/api';
import { callApi } from '../support/call-api';
import { createTenant } from '../support/tenants';
import { API_KEY, startStack, type Stack } from '../support/stack';

const WRITER = 'writer-key-0123456789abcdef';
const READER = 'reader-key-0123456789abcdef';
const SCRAPER = 'scraper-key-0123456789abcdef';
const METHODS = ['get', 'post', 'patch', 'delete'] as const;
const INGEST = new Set(['POST /v1/events', 'POST /v1/events/batch']);

void describe('scoped API keys, scoped tenant tokens, authentication first', () => {
  let stack: Stack;
  let routes: (readonly [string, string])[];
  const as = (key: string) => (method: string, path: string, body?: unknown) => callApi(stack.url, key, method, path, body);

  before(async () => {
    stack = await startStack({ HOOKFLOW_API_KEYS: `${API_KEY},${WRITER}:events:write,${READER}:read,${SCRAPER}:metrics:read` });
    const doc = await fetch(`${stack.url}/docs/json`).then((r) => r.json() as Promise<{ paths: Record<string, Record<string, unknown>> }>);
    routes = Object.entries(doc.paths)
      .filter(([p]) => p.startsWith('/v1/'))
      .flatMap(([p, ops]) => METHODS.filter((m) => m in ops).map((m) => [m.toUpperCase(), p.replace(/\{[^}]+\}/g, 'x_1')] as const));
    assert.ok(routes.length >= 20, `the OpenAPI document lists the /v1 routes (${routes.length})`);
  });
  after(async () => {
    await stack?.stop();
  });

  void test('an events:write key sends events, and gets 403 naming the scope on every other route', async () => {
    const writer = as(WRITER);
    assert.equal((await writer('POST', '/v1/events', { type: 'scope.a', data: {} })).status, 202);
    assert.equal((await writer('POST', '/v1/events/batch', { events: [{ type: 'scope.a', data: {} }] })).status, 202);
    const others = routes.filter(([m, p]) => !INGEST.has(`${m} ${p}`));
    for (const [method, path] of [...others, ['GET', '/metrics'], ['POST', '/codec/decode']] as const) {
      const res = await writer(method, path, method === 'GET' || method === 'DELETE' ? undefined : {});
      assertProblem(res, 403);
      assert.match(res.body.detail, /needs the scope "(read|subscriptions:write|deliveries:write|admin|metrics:read)"; this API key has: events:write/, `${method} ${path}`);
    }
  });

  void test('a read key reads, but neither sends events nor reads a signing secret', async () => {
    const sub = await stack.call('POST', '/v1/subscriptions', { url: 'https://93.184.216.34/hook', eventTypes: ['never.sent'] });
    const reader = as(READER);
    for (const path of ['/v1/subscriptions', `/v1/subscriptions/${sub.body.id}`, '/v1/events', '/v1/deliveries']) {
      assert.equal((await reader('GET', path)).status, 200, path);
    }
    const send = await reader('POST', '/v1/events', { type: 'scope.b', data: {} });
    assertProblem(send, 403);
    assert.match(send.body.detail, /needs the scope "events:write"/);
    const secret = await reader('GET', `/v1/subscriptions/${sub.body.id}/secret`);
    assertProblem(secret, 403);
    assert.match(secret.body.detail, /needs the scope "subscriptions:write"/);
  });

  void test('a metrics:read key scrapes /metrics and nothing else', async () => {
    assert.equal((await fetch(`${stack.url}/metrics`, { headers: { authorization: `Bearer ${SCRAPER}` } })).status, 200);
    assertProblem(await as(SCRAPER)('GET', '/v1/subscriptions'), 403);
  });

  void test('tenant tokens carry scopes through the same check; a token cannot be given admin', async () => {
    const tenant = await createTenant(stack, 'scoped');
    const readOnly = await stack.call('POST', `/v1/tenants/${tenant.id}/tokens`, { name: 'dashboard', scopes: ['read'] });
    assert.equal(readOnly.status, 201, JSON.stringify(readOnly.body));
    assert.deepEqual(readOnly.body.scopes, ['read']);
    const dashboard = as(readOnly.body.token);
    assert.equal((await dashboard('GET', '/v1/subscriptions')).status, 200);
    const send = await dashboard('POST', '/v1/events', { type: 'scope.c', data: {} });
    assertProblem(send, 403);
    assert.match(send.body.detail, /needs the scope "events:write"; this tenant token has: read/);
    // A token without scopes keeps what tokens could always do.
    assert.equal((await tenant.call('POST', '/v1/events', { type: 'scope.c', data: {} })).status, 202);
    assertProblem(await stack.call('POST', `/v1/tenants/${tenant.id}/tokens`, { scopes: ['admin'] }), 400, ['body.scopes.0']);
    assertProblem(await stack.call('POST', `/v1/tenants/${tenant.id}/tokens`, { scopes: [] }), 400, ['body.scopes']);
  });

  void test('without a valid key, an unknown /v1 path answers 401 exactly like a real route; with one it is a 404', async () => {
    const probe = async (path: string, authorization?: string) => {
      const res = await fetch(stack.url + path, { headers: authorization ? { authorization } : {} });
      return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
    };
    const real = await probe('/v1/subscriptions');
    for (const path of ['/v1/nothing-here', '/v1/', '/v1', '/v1/subscriptions/x/y/z', '/v1/deliveries/x/nope']) {
      for (const authorization of [undefined, 'Bearer wrong-key-0123456789abcdef', 'Bearer hft_not-a-real-token-000000000']) {
        const res = await probe(path, authorization);
        assertProblem(res, 401);
        assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer/);
        assert.deepEqual({ ...res.body, instance: undefined }, { ...real.body, instance: undefined }, `${path}: the same answer as a real route`);
      }
    }
    assertProblem(await probe('/v1/nothing-here', `Bearer ${API_KEY}`), 404);
    assertProblem(await probe('/v1/nothing-here', `Bearer ${READER}`), 404);
  });
});
