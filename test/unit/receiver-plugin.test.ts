import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { buildWebhookHeaders, generateSecret } from '../../src/signing/standard-webhooks';
import { hookflowReceiver, MemoryDedupStore, type HookflowReceiverOptions, type WebhookEvent } from '../../src/receiver';

const SECRET = generateSecret();

async function start(t: TestContext, opts: Partial<HookflowReceiverOptions> = {}) {
  const events: WebhookEvent[] = [];
  const app = Fastify({ logger: false });
  await app.register(hookflowReceiver, { secrets: SECRET, handler: (e) => void events.push(e), ...opts });
  // A host route proves the receiver's raw-body parser stays inside its encapsulation scope.
  app.post('/host-json', async (request) => ({ parsed: request.body }));
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  t.after(() => app.close());
  return { url: address, events };
}

function send(url: string, id: string, body: string, overrides: Record<string, string> = {}, secrets = [SECRET]) {
  const headers = buildWebhookHeaders({ id, timestampSeconds: Math.floor(Date.now() / 1000), body, secrets });
  return fetch(`${url}/webhooks`, { method: 'POST', headers: { ...headers, ...overrides }, body });
}

void test('valid webhook → 204 and handler called once; repeated id → 200 duplicate', async (t) => {
  const { url, events } = await start(t);
  // Odd spacing proves the handler sees the exact signed bytes, not a re-serialisation.
  const body = '{ "type":"order.created",  "data":{"n":1} }';
  const first = await send(url, 'evt_dup', body);
  assert.equal(first.status, 204);
  assert.equal(events.length, 1);
  assert.equal(events[0]!.id, 'evt_dup');
  assert.equal(events[0]!.type, 'order.created');
  assert.deepEqual(events[0]!.data, { n: 1 });
  assert.equal(events[0]!.raw, body);

  const again = await send(url, 'evt_dup', body);
  assert.equal(again.status, 200);
  assert.deepEqual(await again.json(), { duplicate: true });
  assert.equal(events.length, 1);
});

void test('bad signature or missing headers → 401 with code; forgeries do not burn the id', async (t) => {
  const { url, events } = await start(t);
  const body = '{"type":"t","data":null}';
  const forged = await send(url, 'evt_forged', body, {}, [generateSecret()]);
  assert.equal(forged.status, 401);
  assert.deepEqual(await forged.json(), { error: 'invalid_signature' });

  const bare = await fetch(`${url}/webhooks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  assert.equal(bare.status, 401);
  assert.deepEqual(await bare.json(), { error: 'missing_header' });
  assert.equal(events.length, 0);

  assert.equal((await send(url, 'evt_forged', body)).status, 204);
  assert.equal(events.length, 1);
});

void test('handler failure → 500, and the sender retry of the same id is processed', async (t) => {
  let calls = 0;
  const { url } = await start(t, {
    store: new MemoryDedupStore(),
    handler: () => {
      calls += 1;
      if (calls === 1) throw new Error('database down');
    },
  });
  const body = '{"type":"t","data":{}}';
  const failed = await send(url, 'evt_retry', body);
  assert.equal(failed.status, 500);
  assert.equal(calls, 1);
  const retried = await send(url, 'evt_retry', body);
  assert.equal(retried.status, 204);
  assert.equal(calls, 2);
  assert.equal((await send(url, 'evt_retry', body)).status, 200);
  assert.equal(calls, 2);
});

void test('raw body is kept for any content type while the host app still parses JSON', async (t) => {
  const { url, events } = await start(t, { path: '/in', secrets: async () => [generateSecret(), SECRET] });
  const body = '{"type":"plain","data":"x"}';
  const headers = buildWebhookHeaders({ id: 'evt_plain', timestampSeconds: Math.floor(Date.now() / 1000), body, secrets: [SECRET] });
  const res = await fetch(`${url}/in`, { method: 'POST', headers: { ...headers, 'content-type': 'text/plain; charset=utf-8' }, body });
  assert.equal(res.status, 204);
  assert.equal(events[0]?.type, 'plain');

  const host = await fetch(`${url}/host-json`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
  assert.deepEqual(await host.json(), { parsed: { a: 1 } });
});

void test('a malformed configured secret is a 500 (our fault), not a 401', async (t) => {
  const { url, events } = await start(t, { secrets: 'whsec_nope' });
  const res = await send(url, 'evt_cfg', '{"type":"t"}');
  assert.equal(res.status, 500);
  assert.equal(events.length, 0);
});

void test('MemoryDedupStore honours TTL, release and its entry bound (oldest evicted first)', async () => {
  let now = 0;
  const store = new MemoryDedupStore({ maxEntries: 3, now: () => now });
  assert.equal(await store.claim('a', 10), true);
  assert.equal(await store.claim('a', 10), false);
  now = 10_000; // expiry is exclusive: at exactly ttl the claim has lapsed
  assert.equal(await store.claim('a', 10), true);
  await store.release('a');
  assert.equal(await store.claim('a', 10), true);

  for (const id of ['b', 'c', 'd']) assert.equal(await store.claim(id, 10), true);
  assert.equal(store.size, 3);
  // 'a' was the oldest live entry, so it went to make room for 'd'.
  assert.equal(await store.claim('a', 10), true);
  assert.equal(await store.claim('d', 10), false);
  assert.equal(store.size, 3);
});
