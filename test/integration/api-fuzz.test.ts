// Property tests: random and malformed input at every route. The answer is a 4xx problem+json,
// never a 5xx, and a refused request writes nothing.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import type { z } from 'zod';
import { bulkRedeliverBody, discardBody, listDeliveriesQuery, redeliverBody } from '../../src/api/schemas/deliveries';
import { batchInput, eventInput, idempotencyHeaders, listEventsQuery } from '../../src/api/schemas/events';
import { createEventTypeBody, listEventTypesQuery } from '../../src/api/schemas/event-types';
import { recoverBody, replayBody } from '../../src/api/schemas/resend';
import { createTenantBody } from '../../src/api/schemas/tenants';
import { paginationQuery } from '../../src/api/schemas/common';
import { createSubscriptionBody, rotateSecretBody, updateSubscriptionBody } from '../../src/api/schemas/subscriptions';
import { createSubscription, dbFingerprint, waitForState } from '../support/api';
import { startReceiver, type Receiver } from '../support/receiver';
import { API_KEY, startStack, type Stack } from '../support/stack';

interface Route {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  body?: z.ZodType;
  query?: z.ZodType;
  /** Which existing resource :id may name without the request becoming a legitimate write. */
  existing?: 'subscription' | 'event' | 'delivery';
}

const ROUTES: Route[] = [
  { method: 'POST', path: '/v1/subscriptions', body: createSubscriptionBody },
  { method: 'GET', path: '/v1/subscriptions', query: paginationQuery },
  { method: 'GET', path: '/v1/subscriptions/:id', existing: 'subscription' },
  { method: 'PATCH', path: '/v1/subscriptions/:id', body: updateSubscriptionBody, existing: 'subscription' },
  { method: 'DELETE', path: '/v1/subscriptions/:id' },
  { method: 'GET', path: '/v1/subscriptions/:id/secret', existing: 'subscription' },
  { method: 'POST', path: '/v1/subscriptions/:id/secret/rotate', body: rotateSecretBody, existing: 'subscription' },
  { method: 'POST', path: '/v1/events', body: eventInput },
  { method: 'POST', path: '/v1/events/batch', body: batchInput },
  { method: 'GET', path: '/v1/events/:id', existing: 'event' },
  { method: 'GET', path: '/v1/deliveries', query: listDeliveriesQuery },
  { method: 'GET', path: '/v1/deliveries/:id', existing: 'delivery' },
  { method: 'GET', path: '/v1/deliveries/:id/attempts', query: paginationQuery, existing: 'delivery' },
  // A body, if any, must be {} (redeliver) or {reason} (discard); valid ones are filtered out below.
  { method: 'POST', path: '/v1/deliveries/:id/redeliver', body: redeliverBody, existing: 'delivery' },
  { method: 'POST', path: '/v1/deliveries/:id/discard', body: discardBody, existing: 'delivery' },
  { method: 'POST', path: '/v1/events/:id/replay', body: replayBody, existing: 'event' },
  { method: 'POST', path: '/v1/subscriptions/:id/recover', body: recoverBody, existing: 'subscription' },
  { method: 'POST', path: '/v1/tenants', body: createTenantBody },
  { method: 'GET', path: '/v1/tenants', query: paginationQuery },
  { method: 'GET', path: '/v1/events', query: listEventsQuery },
  { method: 'POST', path: '/v1/deliveries/redeliver', body: bulkRedeliverBody },
  { method: 'POST', path: '/v1/event-types', body: createEventTypeBody },
  { method: 'GET', path: '/v1/event-types', query: listEventTypesQuery },
];
const withBody = ROUTES.filter((r) => r.method !== 'GET');
const withId = ROUTES.filter((r) => r.path.includes(':id'));

const RUNS = Number(process.env.HOOKFLOW_FUZZ_RUNS ?? 50);
// Strings that tend to break storage rather than validation: NUL, lone surrogates, non-characters.
const nastyChar = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  fc.constantFrom('\u0000', '\ud800', '\udfff', '\uffff', '\u202e', "'", '"', '\\', '%', '\n'),
);
const nastyString = fc.string({ unit: nastyChar, maxLength: 40 });
const hugeString = fc.integer({ min: 70_000, max: 2_000_000 }).map((n) => 'x'.repeat(n));

/** Percent-encodes every byte that is not unreserved; lone surrogates become U+FFFD like any UTF-8 encoder. */
const pct = (s: string) => [...Buffer.from(s, 'utf8')].map((b) => (/[A-Za-z0-9_.~-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).padStart(2, '0')}`)).join('');

const randomId = fc.oneof(
  nastyString.filter((s) => s.length > 0).map(pct),
  fc.stringMatching(/^[a-zA-Z0-9_.:-]{1,128}$/).filter((s) => s !== '.' && s !== '..'),
  fc.constantFrom('%', '%zz', '%E0%A4%A', '%00', 'a%2Fb', "'%20OR%201=1", 'x'.repeat(129), 'y'.repeat(700), 'dead-letters-sub_x'),
);

/** Raw bodies: arbitrary JSON, wrong types for the route's own fields, huge values, bad bytes, non-JSON. */
function bodyFor(route: Route): fc.Arbitrary<{ bytes: Buffer; contentType?: string }> {
  const shape = (route.body as { shape?: Record<string, unknown> } | undefined)?.shape ?? {};
  const fields = Object.keys(shape).length > 0 ? Object.keys(shape) : ['id', 'type', 'data', 'url'];
  const json = (v: unknown) => Buffer.from(JSON.stringify(v) ?? 'null');
  const asJson = fc.oneof(
    fc.jsonValue().map(json),
    fc.dictionary(fc.constantFrom(...fields), fc.oneof(fc.jsonValue(), nastyString, hugeString), { maxKeys: 4 }).map(json),
    fc.record({ events: fc.array(fc.dictionary(fc.constantFrom('type', 'data', 'id'), fc.jsonValue()), { maxLength: 3 }) }).map(json),
    fc.tuple(fc.constantFrom(...fields), fc.uint8Array({ minLength: 1, maxLength: 16 })).map(([f, b]) =>
      Buffer.concat([Buffer.from(`{"${f}":"`), Buffer.from([0xff, 0xc3, ...b]), Buffer.from('"}')])),
    fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
    fc.constantFrom('{', '{"a":', '[1,]', 'nul', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{}}}', '', ' ', '1e999999').map((s) => Buffer.from(s)),
    fc.string({ maxLength: 200 }).map((s) => Buffer.from(s)),
  );
  const contentType = fc.oneof(
    { weight: 6, arbitrary: fc.constant('application/json') },
    fc.constantFrom('application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'application/json; charset=latin1', ''),
  );
  return fc.record({ bytes: asJson, contentType });
}

/** The same decoding the server does, to skip the rare random body that is in fact a valid request. */
function isValidBody(route: Route, bytes: Buffer, contentType: string | undefined): boolean {
  if (!route.body || !contentType?.startsWith('application/json')) return false;
  try {
    return route.body.safeParse(JSON.parse(bytes.toString('utf8'))).success;
  } catch {
    return false;
  }
}

void describe('API: fuzzing every route', () => {
  let stack: Stack;
  let receiver: Receiver;
  const existing: Record<string, string> = {};

  before(async () => {
    [stack, receiver] = await Promise.all([startStack({ HOOKFLOW_MAX_PAYLOAD_BYTES: '2048' }), startReceiver()]);
    existing.subscription = (await createSubscription(stack, { url: receiver.url, eventTypes: ['fixture.only'] })).id;
    const evt = await stack.call('POST', '/v1/events', { type: 'fixture.only', data: { ok: true } });
    existing.event = evt.body.id;
    existing.delivery = evt.body.deliveries[0].id;
    await waitForState(stack, existing.delivery!, 'succeeded');
  });
  after(async () => {
    await Promise.all([stack?.stop(), receiver?.close()]);
  });

  /** node:http rather than fetch: it sends any latin1 header and a fresh connection each time, so a
   *  connection the server closed after an early 413 or 401 is never reused. */
  function send(method: string, path: string, opts: { bytes?: Buffer; contentType?: string; headers?: Record<string, string>; auth?: string | null } = {}) {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.auth !== null) headers.authorization = opts.auth ?? `Bearer ${API_KEY}`;
    if (opts.contentType) headers['content-type'] = opts.contentType;
    const body = method === 'GET' ? undefined : opts.bytes;
    if (body) headers['content-length'] = String(body.length);
    return new Promise<{ status: number; contentType: string; text: string }>((resolve, reject) => {
      const req = http.request(stack.url + path, { method, headers, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      // The server may answer (413, 401) and close before a large body is fully sent; the answer counts.
      req.on('error', (err: NodeJS.ErrnoException) => (err.code === 'EPIPE' || err.code === 'ECONNRESET' ? undefined : reject(err)));
      req.end(body);
    });
  }

  function expectRefused(res: { status: number; contentType: string; text: string }, what: string, only?: number): void {
    const where = `${what} → ${res.status} ${res.text.slice(0, 300)}`;
    assert.ok(res.status >= 400 && res.status < 500, where);
    if (only) assert.equal(res.status, only, where);
    assert.match(res.contentType, /^application\/problem\+json/, where);
    const body = JSON.parse(res.text) as { status: number; title: string; type: string; detail: string };
    assert.equal(body.status, res.status, where);
    assert.ok(body.title && body.type && typeof body.detail === 'string', where);
  }

  /** Runs a property and proves afterwards that nothing the API writes has changed. */
  async function writesNothing(property: fc.IAsyncProperty<any>, numRuns = RUNS): Promise<void> {
    const before = await dbFingerprint(stack.db);
    await fc.assert(property, { numRuns, includeErrorInReport: true });
    assert.deepEqual(await dbFingerprint(stack.db), before, 'a refused request wrote something');
  }

  const pathFor = (route: Route, id: string) => route.path.replace(':id', id);

  for (const route of withBody) {
    void test(`${route.method} ${route.path}: malformed bodies are a 4xx problem and write nothing`, async () => {
      const ids = route.existing ? fc.oneof(randomId, fc.constant(existing[route.existing]!)) : randomId;
      await writesNothing(
        fc.asyncProperty(ids, bodyFor(route), async (id, { bytes, contentType }) => {
          fc.pre(!isValidBody(route, bytes, contentType));
          const res = await send(route.method, pathFor(route, id), { bytes, contentType });
          expectRefused(res, `${route.method} ${pathFor(route, id)} ${contentType} ${bytes.subarray(0, 120).toString('hex')}`);
        }),
      );
    });
  }

  void test('random IDs are a 4xx problem on every route that takes one', async () => {
    const validBody: Record<string, unknown> = { PATCH: { description: 'x' }, POST: {} };
    await writesNothing(
      fc.asyncProperty(fc.constantFrom(...withId), randomId, async (route, id) => {
        const body = validBody[route.method];
        const res = await send(route.method, pathFor(route, id), body === undefined ? {} : { bytes: Buffer.from(JSON.stringify(body)), contentType: 'application/json' });
        expectRefused(res, `${route.method} ${pathFor(route, id)}`);
      }),
      RUNS * withId.length,
    );
  });

  void test('random query strings on list routes: invalid ones are a 4xx problem, none is a 5xx', async () => {
    const lists = ROUTES.filter((r) => r.query);
    const keys = fc.oneof(fc.constantFrom('limit', 'cursor', 'status', 'subscriptionId', 'eventType', 'eventId'), nastyString);
    const values = fc.oneof(nastyString, fc.integer().map(String), fc.constantFrom('0', '101', '-1', '1.5', '1e3', 'NaN', ''), fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? '').toString('base64url')));
    await writesNothing(
      fc.asyncProperty(fc.constantFrom(...lists), fc.dictionary(keys, values, { minKeys: 1, maxKeys: 4 }), async (route, query) => {
        const qs = Object.entries(query).map(([k, v]) => `${pct(k)}=${pct(v)}`).join('&');
        const path = `${pathFor(route, existing.delivery!)}?${qs}`;
        const res = await send('GET', path);
        assert.ok(res.status < 500, `${path} → ${res.status} ${res.text.slice(0, 300)}`);
        // A query the schema refuses must be refused; one it accepts may still carry a forged cursor.
        const parsed = Object.fromEntries(new URLSearchParams(qs));
        if (!route.query!.safeParse(parsed).success) expectRefused(res, path, 400);
        else if (res.status >= 400) expectRefused(res, path);
        else assert.ok(Array.isArray(JSON.parse(res.text).data), path);
      }),
      RUNS * lists.length,
    );
  });

  void test('junk Idempotency-Key headers are a 400 problem and write nothing', async () => {
    const latin1 = fc.string({ unit: fc.integer({ min: 0x20, max: 0xff }).filter((c) => c !== 0x7f).map((c) => String.fromCharCode(c)), maxLength: 300 });
    const key = fc.oneof(latin1, fc.constantFrom('', ' ', 'a b', 'k\u00e9y', '\t', 'x'.repeat(256)));
    const normalized = (k: string) => k.replace(/^[ \t]+|[ \t]+$/g, '');
    await writesNothing(
      fc.asyncProperty(fc.constantFrom('/v1/events', '/v1/events/batch'), key, async (path, k) => {
        fc.pre(!idempotencyHeaders.safeParse({ 'idempotency-key': normalized(k) }).success);
        const event = { type: 'fuzz.never', data: { k } };
        const body = path.endsWith('batch') ? { events: [event] } : event;
        const res = await send('POST', path, { bytes: Buffer.from(JSON.stringify(body)), contentType: 'application/json', headers: { 'idempotency-key': k } });
        expectRefused(res, `POST ${path} idempotency-key ${JSON.stringify(k)}`, 400);
      }),
    );
  });

  void test('random Authorization headers are a 401 problem on every /v1 route', async () => {
    const auth = fc.oneof(
      fc.constant(null),
      fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 80 }),
      fc.string({ maxLength: 40 }).map((s) => `Bearer ${s.replace(/[^\x21-\x7e]/g, '')}`),
      fc.constantFrom(`Bearer  ${API_KEY} x`, `Bearer ${API_KEY.toUpperCase()}`, `${API_KEY}`, `Token ${API_KEY}`, `Bearer ${API_KEY}\u00a0`),
    );
    await writesNothing(
      fc.asyncProperty(fc.constantFrom(...ROUTES), auth, bodyFor(ROUTES[0]!), async (route, authorization, { bytes, contentType }) => {
        fc.pre(authorization === null || !new RegExp(`^Bearer\\s+${API_KEY}\\s*$`, 'i').test(authorization.trim()));
        const path = pathFor(route, existing.subscription!);
        const res = await send(route.method, path, { auth: authorization, ...(route.method === 'GET' ? {} : { bytes, contentType }) });
        expectRefused(res, `${route.method} ${path} authorization ${JSON.stringify(authorization)}`, 401);
      }),
      RUNS * 4,
    );
  });

  void test('awkward strings in otherwise valid bodies are stored faithfully or refused, never a 5xx', async () => {
    const sub = `/v1/subscriptions/${existing.subscription}`;
    const metadata = fc.dictionary(nastyString, fc.oneof(nastyString, fc.jsonValue()), { maxKeys: 3 });
    const url = fc.oneof(fc.constant(receiver.url), nastyString.map((s) => `${receiver.url}/${s}`));
    const cases = fc.oneof(
      fc.record({ method: fc.constant('POST'), path: fc.constant('/v1/subscriptions'), body: fc.record({ url, eventTypes: fc.constant(['fuzz.never']), description: nastyString, metadata }) }),
      fc.record({ method: fc.constant('POST'), path: fc.constant('/v1/events'), body: fc.record({ type: fc.constant('fuzz.never'), data: fc.oneof(nastyString, metadata, fc.jsonValue()) }) }),
      fc.record({ method: fc.constant('PATCH'), path: fc.constant(sub), body: fc.record({ description: nastyString, metadata, url }, { requiredKeys: [] }) }),
    );
    await fc.assert(
      fc.asyncProperty(cases, async ({ method, path, body }) => {
        const before = await dbFingerprint(stack.db);
        const res = await send(method, path, { bytes: Buffer.from(JSON.stringify(body)), contentType: 'application/json' });
        const where = `${method} ${path} ${JSON.stringify(body).slice(0, 300)} → ${res.status} ${res.text.slice(0, 300)}`;
        assert.ok(res.status < 500, where);
        if (res.status >= 400) {
          expectRefused(res, where);
          assert.deepEqual(await dbFingerprint(stack.db), before, where);
          return;
        }
        // Accepted: what is read back is what was sent, not silently altered. (A URL may come back in
        // another spelling of the same address: WHATWG parsing drops tabs, newlines and outer spaces.)
        const back = await stack.call('GET', method === 'PATCH' ? sub : `${path}/${JSON.parse(res.text).id}`);
        for (const [field, value] of Object.entries(body as Record<string, unknown>)) {
          const same = field === 'url' ? (u: unknown) => new URL(String(u)).href : (v: unknown) => JSON.parse(JSON.stringify(v)) as unknown;
          assert.deepEqual(same(back.body[field]), same(value), `${field} round-trips: ${where}`);
        }
      }),
      { numRuns: RUNS * 2, includeErrorInReport: true },
    );
  });
});
