// Per-credential rate limits on /v1: a burst above the limit gets 429 with Retry-After and RateLimit-*
// headers; other keys, tenant tokens and the separate ingest bucket are untouched; a client that
// stays under the limit (or waits as Retry-After says) is never refused.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertProblem } from '../support/api';
import { callApi, type ApiResponse } from '../support/call-api';
import { createTenant } from '../support/tenants';
import { API_KEY, startStack, type Stack } from '../support/stack';
import { sleep } from '../support/wait';

const OTHER = 'other-key-0123456789abcdef';
const LIMIT = 10;
const INGEST_LIMIT = 20;

void describe('rate limits per API key and tenant token', () => {
  let stack: Stack;

  before(async () => {
    stack = await startStack(
      { HOOKFLOW_API_KEYS: `${API_KEY},${OTHER}`, HOOKFLOW_RATE_LIMIT: `${LIMIT}/1s`, HOOKFLOW_RATE_LIMIT_INGEST: `${INGEST_LIMIT}/1s` },
      { worker: false },
    );
  });
  after(async () => {
    await stack?.stop();
  });

  const burst = (n: number, call: () => Promise<ApiResponse>) => Promise.all(Array.from({ length: n }, call));

  void test('a burst above the limit gets 429 with Retry-After and RateLimit-*; other buckets are untouched; waiting Retry-After works', async () => {
    const answers = await burst(3 * LIMIT, () => stack.call('GET', '/v1/subscriptions'));
    const ok = answers.filter((r) => r.status === 200);
    const limited = answers.filter((r) => r.status === 429);
    assert.equal(ok.length + limited.length, answers.length, answers.map((r) => r.status).join(','));
    // A fixed window: the burst can straddle two windows, never more.
    assert.ok(ok.length >= LIMIT && ok.length <= 2 * LIMIT, `${ok.length} allowed`);
    assert.ok(limited.length >= LIMIT, `${limited.length} limited`);
    for (const r of limited) {
      assertProblem(r, 429);
      assert.match(r.body.detail, new RegExp(`may make ${LIMIT} requests per 1s`));
      assert.equal(r.headers.get('retry-after'), '1');
      assert.equal(r.headers.get('ratelimit-limit'), String(LIMIT));
      assert.equal(r.headers.get('ratelimit-remaining'), '0');
      assert.match(r.headers.get('ratelimit-reset') ?? '', /^[01]$/);
    }
    assert.equal(ok[0]!.headers.get('ratelimit-limit'), String(LIMIT));
    assert.match(ok[0]!.headers.get('ratelimit-remaining') ?? '', /^\d+$/);

    // Right after, in the same window: another key and the ingest bucket of the same key are free.
    assert.equal((await callApi(stack.url, OTHER, 'GET', '/v1/subscriptions')).status, 200);
    const ingest = await stack.call('POST', '/v1/events', { type: 'limits.a', data: {} });
    assert.equal(ingest.status, 202, JSON.stringify(ingest.body));
    assert.equal(ingest.headers.get('ratelimit-limit'), String(INGEST_LIMIT));

    await sleep(Number(limited[0]!.headers.get('retry-after')) * 1000);
    assert.equal((await stack.call('GET', '/v1/subscriptions')).status, 200, 'after Retry-After the key is served again');
  });

  void test('a tenant token has its own bucket', async () => {
    const tenant = await createTenant(stack, 'limits');
    const answers = await burst(2 * LIMIT + 5, () => tenant.call('GET', '/v1/events'));
    assert.ok(answers.some((r) => r.status === 429), answers.map((r) => r.status).join(','));
    assert.match(answers.find((r) => r.status === 429)!.body.detail, /this tenant token may make/);
    assert.equal((await stack.call('GET', '/v1/events')).status, 200, 'the admin key is not affected');
  });

  void test('a well-behaved client (half the limit, steady) is never limited', async () => {
    const statuses: number[] = [];
    // 5 requests a second on the API bucket and 10 a second of ingest, for 4 seconds.
    for (let i = 0; i < 20; i++) {
      const [read, send1, send2] = await Promise.all([
        stack.call('GET', '/v1/subscriptions'),
        stack.call('POST', '/v1/events', { type: 'limits.b', data: { i } }),
        stack.call('POST', '/v1/events/batch', { events: [{ type: 'limits.b', data: { i } }] }),
      ]);
      statuses.push(read.status, send1.status, send2.status);
      await sleep(200);
    }
    assert.deepEqual([...new Set(statuses)].sort(), [200, 202], statuses.join(','));
  });
});
