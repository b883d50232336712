// Input that used to reach a 500 or be silently changed: deep nesting, invalid UTF-8, an over-long
// URL, over-large headers, the reserved type prefix in another case, and a client key that matched
// the key derived for one event of a batch. Each is a 400 (or 431) problem naming what is wrong,
// and writes nothing.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { MAX_JSON_DEPTH } from '../../src/api/schemas/json-depth';
import { assertProblem, dbFingerprint } from '../support/api';
import { readResponse } from '../support/call-api';
import { API_KEY, startStack, type Stack } from '../support/stack';

const nestedArrays = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);
const nestedObjects = (depth: number): string => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);

void describe('bad input is a 4xx problem, never a 500 or a silent change', () => {
  let stack: Stack;

  before(async () => {
    stack = await startStack();
  });
  after(async () => {
    await stack?.stop();
  });

  /** A JSON body given as raw text (or bytes), so it can be deeper or less valid than JSON.stringify allows. */
  const raw = (method: string, path: string, body: string | Uint8Array, headers: Record<string, string> = {}) =>
    fetch(stack.url + path, { method, headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json', ...headers }, body }).then(readResponse);

  void test(`data and metadata nested deeper than ${MAX_JSON_DEPTH} levels: 400 naming the field, nothing stored`, async () => {
    const before = await dbFingerprint(stack.db);
    for (const deep of [nestedArrays(4_200), nestedObjects(5_000), nestedArrays(MAX_JSON_DEPTH + 1)]) {
      const single = await raw('POST', '/v1/events', `{"type":"deep.one","data":${deep}}`);
      assertProblem(single, 400, ['body.data']);
      assert.match(single.body.errors[0].message, new RegExp(`more than ${MAX_JSON_DEPTH} levels deep`));
      const batch = await raw('POST', '/v1/events/batch', `{"events":[{"type":"deep.one","data":1},{"type":"deep.one","data":${deep}}]}`);
      assertProblem(batch, 400, ['body.events.1.data']);
    }
    const deepMeta = `{"k":${nestedObjects(4_000)}}`;
    assertProblem(await raw('POST', '/v1/tenants', `{"name":"deep","metadata":${deepMeta}}`), 400, ['body.metadata']);
    assertProblem(await raw('POST', '/v1/subscriptions', `{"url":"http://127.0.0.1:9/x","eventTypes":["a.b"],"metadata":${deepMeta}}`), 400, ['body.metadata']);
    assert.deepEqual(await dbFingerprint(stack.db), before);

    // At the limit it is accepted.
    const ok = await raw('POST', '/v1/events', `{"type":"deep.one","data":${nestedArrays(MAX_JSON_DEPTH)}}`);
    assert.equal(ok.status, 202, JSON.stringify(ok.body));
  });

  void test('invalid UTF-8 in a JSON body is a 400, not text silently replaced with U+FFFD', async () => {
    const before = await dbFingerprint(stack.db);
    const prefix = Buffer.from('{"type":"utf.bad","data":{"s":"');
    const body = Buffer.concat([prefix, Buffer.from([0xff, 0xfe, 0xc3, 0x28]), Buffer.from('"}}')]);
    const res = await raw('POST', '/v1/events', body);
    assertProblem(res, 400, ['body']);
    assert.match(res.body.errors[0].message, /valid UTF-8/);
    assertProblem(await raw('POST', '/v1/tenants', Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xc3]), Buffer.from('"}')])), 400, ['body']);
    assert.deepEqual(await dbFingerprint(stack.db), before);
    // Valid multi-byte text is untouched.
    const fine = await raw('POST', '/v1/events', Buffer.from('{"type":"utf.ok","data":"héllo €😀"}'));
    assert.equal(fine.status, 202);
    assert.equal((await stack.call('GET', `/v1/events/${fine.body.id}`)).body.data, 'héllo €😀');
  });

  void test('a URL over 2048 characters is refused as too long', async () => {
    const url = `https://example.com/${'a'.repeat(2_100)}`;
    const res = await stack.call('POST', '/v1/subscriptions', { url, eventTypes: ['a.b'] });
    assertProblem(res, 400, ['body.url']);
    assert.equal(res.body.errors[0].message, 'must be at most 2048 characters');
  });

  void test('request headers over the limit: 431 as problem+json', async () => {
    const res = await new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
      const { hostname, port } = new URL(stack.url);
      const req = request({ hostname, port, path: '/v1/events', method: 'GET', headers: { authorization: `Bearer ${API_KEY}`, 'x-big': 'x'.repeat(20_000) } }, (r) => {
        let body = '';
        r.on('data', (c: Buffer) => (body += c.toString()));
        r.on('end', () => resolve({ status: r.statusCode!, type: String(r.headers['content-type']), body }));
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(res.status, 431);
    assert.equal(res.type, 'application/problem+json');
    const problem = JSON.parse(res.body);
    assert.equal(problem.status, 431);
    assert.equal(problem.title, 'Request Header Fields Too Large');
    assert.match(problem.detail, /headers exceed/);
  });

  void test('the reserved prefix is refused in any case', async () => {
    for (const type of ['HOOKFLOW.ping', 'Hookflow.delivery.failing', 'hookFlow.x']) {
      const res = await stack.call('POST', '/v1/events', { type, data: 1 });
      assertProblem(res, 400, ['body.type']);
      assert.match(res.body.errors[0].message, /reserved/);
    }
  });

  void test('a client key cannot replay or block one event of a batch: derived keys cannot collide with client keys', async () => {
    const batch = await stack.call('POST', '/v1/events/batch', { events: [{ type: 'keys.a', data: 'first' }, { type: 'keys.a', data: 'second' }] }, { 'idempotency-key': 'bk' });
    assert.equal(batch.status, 202, JSON.stringify(batch.body));
    // The old derived key was "bk#0": as a client's own key it must create its own event.
    const single = await stack.call('POST', '/v1/events', { type: 'keys.a', data: 'mine' }, { 'idempotency-key': 'bk#0' });
    assert.equal(single.status, 202, JSON.stringify(single.body));
    assert.equal(single.headers.get('idempotent-replayed'), null);
    assert.notEqual(single.body.id, batch.body.data[0].id);
    // The batch still replays as a whole.
    const again = await stack.call('POST', '/v1/events/batch', { events: [{ type: 'keys.a', data: 'first' }, { type: 'keys.a', data: 'second' }] }, { 'idempotency-key': 'bk' });
    assert.deepEqual(again.body.data.map((e: { id: string }) => e.id), batch.body.data.map((e: { id: string }) => e.id));
    // A key that looks like a derived one cannot be sent: the header allows no spaces.
    assertProblem(await stack.call('POST', '/v1/events', { type: 'keys.a', data: 1 }, { 'idempotency-key': 'bk batch#0' }), 400, ['headers.idempotency-key']);
  });
});
