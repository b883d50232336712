// Small assertions shared by the API integration tests (test/integration/api-*.test.ts).
import assert from 'node:assert/strict';
import type { Db } from '../../src/db/pool';
import { API_KEY, waitFor, type Stack } from './stack';

export interface ApiResponse {
  status: number;
  body: any;
  headers: Headers;
}

/** Asserts an RFC 9457 problem with the given status and, when given, exactly these field paths. */
export function assertProblem(res: ApiResponse, status: number, paths?: string[]): void {
  const shown = JSON.stringify(res.body);
  assert.equal(res.status, status, shown);
  assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/, shown);
  assert.equal(res.body.status, status, shown);
  assert.equal(typeof res.body.title, 'string', shown);
  assert.equal(typeof res.body.type, 'string', shown);
  assert.equal(typeof res.body.detail, 'string', shown);
  if (paths) {
    assert.ok(Array.isArray(res.body.errors), `expected field errors: ${shown}`);
    assert.deepEqual([...new Set(res.body.errors.map((e: { path: string }) => e.path))].sort(), [...paths].sort(), shown);
    for (const e of res.body.errors) assert.ok(typeof e.message === 'string' && e.message.length > 0, shown);
  }
}

// What the API writes, without the columns the worker and the fan-out change on their own
// (dispatched_at, last_success_at, attempt rows), so a fingerprint proves a request wrote nothing.
const WRITTEN_BY_THE_API = {
  subscriptions: 'SELECT id, url, event_types, description, secret, previous_secret, previous_secret_expires_at, retry_policy, metadata, headers, filter, active, deleted_at, created_at, updated_at FROM subscriptions',
  events: 'SELECT id, type, data::text, idempotency_key, request_hash, created_at FROM events',
  // The rest of the row is the delivery record, which the worker moves.
  event_deliveries: 'SELECT delivery_id, tenant_id, event_id, subscription_id, event_type, created_at FROM event_deliveries',
  event_types: 'SELECT name, description, schema::text, examples::text, deprecated, revision, created_at, updated_at FROM event_types',
};

/** A fingerprint of everything the API can write, to prove a request wrote nothing. */
export async function dbFingerprint(db: Db): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [table, select] of Object.entries(WRITTEN_BY_THE_API)) {
    const { rows } = await db.query<{ n: number; digest: string | null }>(
      `SELECT count(*)::int AS n, md5(string_agg(t::text, '|' ORDER BY t::text)) AS digest FROM (${select}) t`,
    );
    out[table] = `${rows[0]!.n}:${rows[0]!.digest ?? ''}`;
  }
  return out;
}

export async function createSubscription(stack: Stack, body: Record<string, unknown>): Promise<any> {
  const res = await stack.call('POST', '/v1/subscriptions', body);
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body;
}

/** Waits until the delivery's `status` query reports `state`. */
export function waitForState(stack: Stack, deliveryId: string, state: string, timeoutMs = 20_000): Promise<any> {
  return waitFor(
    async () => {
      const r = await stack.call('GET', `/v1/deliveries/${deliveryId}`);
      return r.status === 200 && r.body.state === state ? r.body : undefined;
    },
    `delivery ${deliveryId} to be ${state}`,
    timeoutMs,
  );
}

/** Waits until Temporal visibility lists exactly `count` deliveries for the query string. */
export function waitForListed(stack: Stack, query: string, count: number, timeoutMs = 20_000): Promise<any[]> {
  return waitFor(
    async () => {
      const r = await stack.call('GET', `/v1/deliveries?${query}`);
      return r.status === 200 && r.body.data.length === count ? (r.body.data as any[]) : undefined;
    },
    `${count} deliveries listed for ?${query}`,
    timeoutMs,
  );
}

export { sleep } from './wait';

/** Every route answers 401 problem+json (with a Bearer challenge) to a missing or wrong key. */
export async function assertUnauthorized(stack: Stack, routes: (readonly [string, string])[]): Promise<void> {
  const wrong = [undefined, `Bearer ${API_KEY}x`, `Bearer ${API_KEY.slice(0, -1)}`, 'bearer', API_KEY, `Basic ${Buffer.from(`u:${API_KEY}`).toString('base64')}`];
  for (const [method, path] of routes) {
    for (const authorization of wrong) {
      const hasBody = method === 'POST' || method === 'PATCH';
      const res = await fetch(stack.url + path, {
        method,
        headers: { ...(authorization ? { authorization } : {}), ...(hasBody ? { 'content-type': 'application/json' } : {}) },
        body: hasBody ? JSON.stringify({ url: 'http://127.0.0.1:9/x', type: 'a.b', data: 1, status: 'dead_lettered' }) : undefined,
      });
      assertProblem({ status: res.status, headers: res.headers, body: await res.json() }, 401);
      assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer/, `${method} ${path}`);
    }
  }
}
