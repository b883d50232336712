// Endpoint controls against the real stack: custom headers reach a real receiver on every attempt
// (sealed in PostgreSQL, absent from Temporal history, masked on reads), and payload filters decide
// at fan-out which subscriptions an event creates deliveries for. Bad values are refused with the
// field named, and a refused PATCH changes nothing.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { assertProblem, dbFingerprint } from '../support/api';
import { waitForState } from '../support/engine';
import { receiverPool } from '../support/receiver';
import { API_KEY, startStack, waitFor, type Stack } from '../support/stack';
import { callApi } from '../support/call-api';
import { acceptEach } from '../../src/db/repos/events';
import { newId } from '../../src/db/ids';

const READER = 'reader-key-0123456789abcdef';

/** Every byte Temporal holds for the workflow, payloads decoded as text. */
async function historyText(stack: Stack, workflowId: string): Promise<string> {
  const history = await stack.temporal.client.workflow.getHandle(workflowId).fetchHistory();
  return JSON.stringify(history, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : v));
}

async function tableText(stack: Stack): Promise<string> {
  const { rows } = await stack.db.query<{ t: string }>(`SELECT string_agg(s::text, E'\\n') AS t FROM subscriptions s`);
  return rows[0]!.t ?? '';
}

void describe('endpoint controls: custom headers and payload filters', () => {
  const pool = receiverPool();
  let stack: Stack;
  const reader = (method: string, path: string, body?: unknown) => callApi(stack.url, READER, method, path, body);

  before(async () => {
    stack = await startStack({ HOOKFLOW_API_KEYS: `${API_KEY},${READER}:read` });
  });
  after(async () => {
    await stack?.stop();
    await pool.closeAll();
  });

  void test('custom headers arrive on every attempt, are sealed at rest, masked on reads and never in Temporal history', async () => {
    // The first attempt fails, so the headers must be sent again on the retry.
    const r = await pool.start((_req, i) => ({ status: i === 0 ? 500 : 200 }));
    const apiKey = `k_${randomBytes(12).toString('hex')}`;
    const bearer = `Bearer tok_${randomBytes(12).toString('hex')}`;
    const team = `team-${randomBytes(6).toString('hex')}`;
    const eventType = `hdr.${randomBytes(3).toString('hex')}`;
    const created = await stack.call('POST', '/v1/subscriptions', {
      url: r.url,
      eventTypes: [eventType],
      headers: { 'X-Api-Key': apiKey, Authorization: bearer, 'X-Team': team, 'User-Agent': 'acme-gateway/1' },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    r.secrets = [created.body.secret];
    const id = created.body.id as string;
    assert.deepEqual(created.body.headers, { Authorization: '********', 'User-Agent': 'acme-gateway/1', 'X-Api-Key': '********', 'X-Team': team });

    const event = await stack.call('POST', '/v1/events', { type: eventType, data: { n: 1 } });
    assert.equal(event.status, 202);
    const deliveryId = event.body.deliveries[0].id as string;
    await waitForState(stack, deliveryId, 'succeeded');
    assert.equal(r.received.length, 2, 'one failed attempt and its retry');
    for (const got of r.received) {
      assert.equal(got.verified, true, got.verifyError);
      assert.equal(got.headers['x-api-key'], apiKey);
      assert.equal(got.headers.authorization, bearer);
      assert.equal(got.headers['x-team'], team);
      assert.equal(got.headers['user-agent'], 'acme-gateway/1', 'a custom User-Agent replaces the default, once');
      assert.equal(got.headers['content-type'], 'application/json');
    }

    // At rest: names only; every value sealed under the secret key ring.
    const text = await tableText(stack);
    for (const v of [apiKey, bearer, team, bearer.slice('Bearer '.length)]) assert.ok(!text.includes(v), 'a header value is readable in PostgreSQL');
    const { rows } = await stack.db.query<{ headers: Record<string, string> }>('SELECT headers FROM subscriptions WHERE id = $1', [id]);
    assert.deepEqual(Object.keys(rows[0]!.headers).sort(), ['Authorization', 'User-Agent', 'X-Api-Key', 'X-Team']);
    for (const sealed of Object.values(rows[0]!.headers)) assert.match(sealed, /^hfenc1:test1:[A-Za-z0-9+/]+=*$/);

    // Temporal history: the delivery and the dead-letter machinery see IDs only.
    const history = await historyText(stack, deliveryId);
    assert.ok(history.includes(deliveryId), 'the history was decoded (sanity check)');
    for (const v of [apiKey, bearer, team]) assert.ok(!history.includes(v), 'a header value is in Temporal history');

    // Reads: masked for a read key and in lists; whole only through the secret's access.
    const read = await reader('GET', `/v1/subscriptions/${id}`);
    assert.deepEqual(read.body.headers, created.body.headers);
    const listed = await reader('GET', '/v1/subscriptions?limit=100');
    assert.deepEqual(listed.body.data.find((s: { id: string }) => s.id === id).headers, created.body.headers);
    assertProblem(await reader('GET', `/v1/subscriptions/${id}/headers`), 403);
    const whole = await stack.call('GET', `/v1/subscriptions/${id}/headers`);
    assert.equal(whole.status, 200);
    assert.deepEqual(whole.body, { headers: { Authorization: bearer, 'User-Agent': 'acme-gateway/1', 'X-Api-Key': apiKey, 'X-Team': team } });
  });

  void test('PATCH replaces the headers and the next attempt sends the new set', async () => {
    const r = await pool.start();
    const eventType = `hdr.${randomBytes(3).toString('hex')}`;
    const created = await stack.call('POST', '/v1/subscriptions', { url: r.url, eventTypes: [eventType], headers: { 'X-Old': 'old', 'X-Token': 'abc' } });
    r.secrets = [created.body.secret];
    const patched = await stack.call('PATCH', `/v1/subscriptions/${created.body.id}`, { headers: { 'X-New': 'new' } });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.deepEqual(patched.body.headers, { 'X-New': 'new' });
    const event = await stack.call('POST', '/v1/events', { type: eventType, data: {} });
    await waitForState(stack, event.body.deliveries[0].id, 'succeeded');
    assert.equal(r.received[0]!.headers['x-new'], 'new');
    assert.equal(r.received[0]!.headers['x-old'], undefined);
    assert.equal(r.received[0]!.headers['x-token'], undefined);
    const cleared = await stack.call('PATCH', `/v1/subscriptions/${created.body.id}`, { headers: {} });
    assert.deepEqual(cleared.body.headers, {});
  });

  void test('bad headers and filters get 400 naming the field and the place; a refused PATCH changes nothing', async () => {
    const r = await pool.start();
    const created = await stack.call('POST', '/v1/subscriptions', {
      url: r.url, eventTypes: ['bad.things'], headers: { 'X-Keep': 'kept' }, filter: { data: { amount: { $gte: 1 } } },
    });
    assert.equal(created.status, 201);
    const id = created.body.id as string;
    const before = await dbFingerprint(stack.db);
    const refused = async (body: Record<string, unknown>, paths: string[], message?: RegExp) => {
      for (const [method, path] of [['POST', '/v1/subscriptions'], ['PATCH', `/v1/subscriptions/${id}`]] as const) {
        const res = await stack.call(method, path, method === 'POST' ? { url: r.url, ...body } : body);
        assertProblem(res, 400, paths);
        if (message) assert.match(JSON.stringify(res.body.errors), message);
        // A value must never be echoed back, even in an error.
        assert.ok(!JSON.stringify(res.body).includes('s3cr3t-value'), 'an error echoed a header value');
      }
    };
    await refused({ headers: { Host: 'evil.example' } }, ['body.headers.Host'], /hookflow sets host/);
    await refused({ headers: { 'webhook-signature': 's3cr3t-value' } }, ['body.headers.webhook-signature'], /Standard Webhooks/);
    await refused({ headers: { 'Transfer-Encoding': 'chunked', 'Content-Length': '1', Connection: 'close', 'Content-Type': 'text/plain' } },
      ['body.headers.Transfer-Encoding', 'body.headers.Content-Length', 'body.headers.Connection', 'body.headers.Content-Type']);
    await refused({ headers: { 'X-Evil': 's3cr3t-value\r\nX-Injected: 1' } }, ['body.headers.X-Evil'], /no CR, LF/);
    await refused({ headers: { 'Bad Name': 'v' } }, ['body.headers.Bad Name'], /not a valid header name/);
    await refused({ headers: { 'X-A': 'v', 'x-a': 'w' } }, ['body.headers.x-a'], /case-insensitive/);
    await refused({ headers: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`X-H${i}`, 'v'])) }, ['body.headers'], /at most 20/);
    await refused({ headers: { 'X-Num': 5 } }, ['body.headers.X-Num']);
    await refused({ filter: { data: { amount: { $regex: '^1' } } } }, ['body.filter.data.amount.$regex'], /not a supported operator/);
    await refused({ filter: { $where: 'this.data' } }, ['body.filter.$where'], /not a supported operator/);
    await refused({ filter: { data: { amount: { $gte: [1] } } } }, ['body.filter.data.amount.$gte'], /number or a string/);
    await refused({ filter: { amount: 5 } }, ['body.filter.amount'], /type.{1,4} or .{1,4}data/);
    await refused({ filter: { data: { $or: 'x' } } }, ['body.filter.data.$or']);
    await refused({ filter: {} }, ['body.filter'], /send null/);
    await refused({ filter: { data: { a: { b: { c: { d: { e: { f: { g: { h: 1 } } } } } } } } } }, ['body.filter.data.a.b.c.d.e.f.g'], /deeper than 8/);
    await refused({ filter: { data: { s: 'x'.repeat(5000) } } }, ['body.filter'], /at most 4096 bytes/);
    // One bad field in a PATCH that also changes good ones: nothing is written.
    await refused({ description: 'changed', headers: { 'X-Fine': 'ok', 'Webhook-Id': 'x' } }, ['body.headers.Webhook-Id']);
    assert.deepEqual(await dbFingerprint(stack.db), before);
    const after = await stack.call('GET', `/v1/subscriptions/${id}`);
    assert.deepEqual(after.body.headers, { 'X-Keep': 'kept' });
    assert.deepEqual(after.body.filter, { data: { amount: { $gte: 1 } } });
  });

  void test('a filter decides at fan-out: a non-matching event creates no delivery for that subscription', async () => {
    const [big, all, gold] = await Promise.all([pool.start(), pool.start(), pool.start()]);
    const eventType = `order.${randomBytes(3).toString('hex')}`;
    const sub = async (url: string, filter?: unknown) => {
      const res = await stack.call('POST', '/v1/subscriptions', { url, eventTypes: [`${eventType.split('.')[0]}.*`], ...(filter ? { filter } : {}) });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body.id as string;
    };
    const bigId = await sub(big.url, { data: { amount: { $gte: 100 }, currency: { $in: ['eur', 'usd'] } } });
    const allId = await sub(all.url);
    const goldId = await sub(gold.url, {
      type: { $startsWith: 'order.' },
      $or: [{ data: { customer: { tier: 'gold' } } }, { data: { tags: 'vip' } }],
      data: { cancelled: { $exists: false }, note: { $not: { $startsWith: 'test' } } },
    });
    const send = async (data: unknown) => {
      const res = await stack.call('POST', '/v1/events', { type: eventType, data });
      assert.equal(res.status, 202, JSON.stringify(res.body));
      return { id: res.body.id as string, subs: (res.body.deliveries as { subscriptionId: string }[]).map((d) => d.subscriptionId).sort() };
    };
    const cases: [unknown, string[]][] = [
      [{ amount: 150, currency: 'eur', customer: { tier: 'gold' } }, [bigId, allId, goldId]],
      [{ amount: 99, currency: 'eur', customer: { tier: 'gold' } }, [allId, goldId]],
      [{ amount: 500, currency: 'gbp', tags: ['vip', 'x'] }, [allId, goldId]],
      [{ amount: 500, currency: 'usd', customer: { tier: 'gold' }, cancelled: true }, [bigId, allId]],
      [{ amount: 500, currency: 'usd', customer: { tier: 'gold' }, note: 'test order' }, [bigId, allId]],
      [{ amount: '500', currency: 'usd' }, [allId]],
    ];
    for (const [data, expected] of cases) {
      const sent = await send(data);
      assert.deepEqual(sent.subs, [...expected].sort(), JSON.stringify(data));
      const { rows } = await stack.db.query<{ subscription_id: string }>('SELECT subscription_id FROM event_deliveries WHERE event_id = $1 ORDER BY 1', [sent.id]);
      assert.deepEqual(rows.map((x) => x.subscription_id), [...expected].sort(), 'the plan in PostgreSQL is the answer');
      const read = await stack.call('GET', `/v1/events/${sent.id}`);
      assert.deepEqual(read.body.deliveries.map((d: { subscriptionId: string }) => d.subscriptionId).sort(), [...expected].sort());
    }
    const counts = () => [big.received.length, all.received.length, gold.received.length].join('/');
    await waitFor(() => (counts() === `3/${cases.length}/3` ? true : undefined), 'the matching deliveries to arrive').catch((err: Error) => {
      throw new Error(`${err.message}; big/all/gold received ${counts()}`);
    });
    const bodies = (x: { received: { body: string }[] }) => x.received.map((q) => (JSON.parse(q.body) as { data: unknown }).data);
    assert.deepEqual(new Set(bodies(big)), new Set([cases[0]![0], cases[3]![0], cases[4]![0]]));
    assert.deepEqual(new Set(bodies(gold)), new Set([cases[0]![0], cases[1]![0], cases[2]![0]]));

    // A batch: every event judged on its own data, in one statement.
    const batch = await stack.call('POST', '/v1/events/batch', { events: [{ type: eventType, data: { amount: 1 } }, { type: eventType, data: { amount: 100, currency: 'usd' } }] });
    assert.equal(batch.status, 202, JSON.stringify(batch.body));
    assert.deepEqual(batch.body.data.map((e: { deliveries: { subscriptionId: string }[] }) => e.deliveries.map((d) => d.subscriptionId).sort()), [[allId], [bigId, allId].sort()]);

    // An event that only filtered subscriptions could take, and none matches, is complete at once (nothing for the sweeper).
    const onlyFiltered = await stack.call('POST', '/v1/subscriptions', { url: big.url, eventTypes: ['lonely.thing'], filter: { data: { ok: true } } });
    assert.equal(onlyFiltered.status, 201);
    const lonely = await stack.call('POST', '/v1/events', { type: 'lonely.thing', data: { ok: false } });
    assert.deepEqual(lonely.body.deliveries, []);
    const { rows: marked } = await stack.db.query<{ dispatched_at: Date | null }>('SELECT dispatched_at FROM events WHERE id = $1', [lonely.body.id]);
    assert.notEqual(marked[0]!.dispatched_at, null);
    // A test ping reaches a filtered subscription whatever its filter.
    const ping = await stack.call('POST', `/v1/subscriptions/${bigId}/test`, {});
    assert.equal(ping.status, 200, JSON.stringify(ping.body));

    // Removing the filter: the next event reaches the subscription again.
    assert.equal((await stack.call('PATCH', `/v1/subscriptions/${bigId}`, { filter: null })).body.filter, null);
    assert.deepEqual((await send({ amount: 1 })).subs, [bigId, allId].sort());
  });

  void test('a filter changed between the evaluation and the insert is evaluated again, never half-applied', async () => {
    const r = await pool.start();
    const eventType = `race.${randomBytes(3).toString('hex')}`;
    const created = await stack.call('POST', '/v1/subscriptions', { url: r.url, eventTypes: [eventType], filter: { data: { n: { $gt: 0 } } } });
    const id = created.body.id as string;
    // The statement's first pass asks for a verdict; the filter changes before the second pass
    // brings it, as a PATCH racing with the accept would. The verdict for the old filter must not be used.
    const statements: string[] = [];
    let changed = false;
    const racing = {
      query: async (q: any, values?: unknown[]) => {
        const res = await stack.db.query<any>(q, values);
        const pending = res.rows[0]?.pending;
        statements.push(pending ? 'pending' : 'stored');
        if (pending && !changed) {
          changed = true;
          await stack.db.query(`UPDATE subscriptions SET filter = '{"data": {"n": {"$gt": 1000}}}' WHERE id = $1`, [id]);
        }
        return res;
      },
    } as Pick<typeof stack.db, 'query'>;
    const [outcome] = await acceptEach(racing, [
      { id: newId('evt'), tenantId: 'default', type: eventType, dataJson: '{"n": 5}', idempotencyKey: null, requestHash: randomBytes(8).toString('hex') },
    ]);
    assert.ok(outcome?.ok);
    assert.deepEqual(statements, ['pending', 'pending', 'stored'], 'the changed filter was evaluated again');
    assert.deepEqual(outcome.accepted.deliveries, [], 'the plan follows the filter stored when the event was inserted ($gt 1000), not the one first evaluated');

    // The filter is known now: the next event's verdict goes with the first pass, and one pass is enough.
    statements.length = 0;
    const [next] = await acceptEach(racing, [
      { id: newId('evt'), tenantId: 'default', type: eventType, dataJson: '{"n": 2000}', idempotencyKey: null, requestHash: randomBytes(8).toString('hex') },
    ]);
    assert.ok(next?.ok);
    assert.deepEqual(statements, ['stored']);
    assert.deepEqual(next.accepted.deliveries.map((d) => d.subscriptionId), [id]);
  });
});
