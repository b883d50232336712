import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { encodeCursor } from '../../src/api/schemas/common';
import { assertProblem, assertUnauthorized, createSubscription, dbFingerprint, waitForListed, waitForState } from '../support/api';
import { startReceiver, type Receiver } from '../support/receiver';
import { startStack, waitFor, type Stack } from '../support/stack';

// A public address (so the URL guard accepts it) that no test event is ever sent to.
const PUBLIC_URL = 'https://93.184.216.34/hook';
const NEVER = ['never.sent'];
const CUSTOM_SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
const FIELDS = ['active', 'createdAt', 'description', 'disabledReason', 'eventTypes', 'filter', 'headers', 'id', 'metadata', 'ordering', 'publicKey', 'retryPolicy', 'signature', 'tenantId', 'throttle', 'traceparent', 'updatedAt', 'url'];

void describe('API: subscriptions', () => {
  let stack: Stack;
  let strict: Stack;
  let receiver: Receiver;

  before(async () => {
    [stack, strict, receiver] = await Promise.all([
      startStack(),
      startStack({ HOOKFLOW_ALLOW_PRIVATE_URLS: 'false' }, { worker: false }),
      startReceiver(),
    ]);
  });
  after(async () => {
    await Promise.all([stack?.stop(), strict?.stop(), receiver?.close()]);
  });

  void test('create answers 201 with the full shape; the secret is shown only at creation and by GET .../secret', async () => {
    const res = await stack.call('POST', '/v1/subscriptions', { url: PUBLIC_URL });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.deepEqual(Object.keys(res.body).sort(), [...FIELDS, 'secret'].sort());
    assert.match(res.body.id, /^sub_[0-9a-z]{26}$/);
    assert.match(res.body.secret, /^whsec_[A-Za-z0-9+/]+=*$/);
    assert.deepEqual(res.body.eventTypes, ['*']);
    assert.equal(res.body.description, null);
    assert.deepEqual(res.body.metadata, {});
    assert.equal(res.body.active, true);
    assert.deepEqual(res.body.retryPolicy, { maxAttempts: 3, initialIntervalMs: 50, backoffCoefficient: 2, maxIntervalMs: 200 });
    assert.ok(!Number.isNaN(Date.parse(res.body.createdAt)));

    const got = await stack.call('GET', `/v1/subscriptions/${res.body.id}`);
    assert.equal(got.status, 200);
    assert.deepEqual(Object.keys(got.body).sort(), FIELDS);
    assert.ok(!JSON.stringify(got.body).includes(res.body.secret));
    const list = await stack.call('GET', '/v1/subscriptions?limit=100');
    assert.ok(!JSON.stringify(list.body).includes('whsec_'));
    const secret = await stack.call('GET', `/v1/subscriptions/${res.body.id}/secret`);
    assert.deepEqual(secret.body, { secret: res.body.secret });
    // It matches every event type; the other tests' events must not go to a public address.
    assert.equal((await stack.call('DELETE', `/v1/subscriptions/${res.body.id}`)).status, 204);
  });

  void test('a valid custom secret is kept; an invalid one is a 400 naming body.secret', async () => {
    const sub = await createSubscription(stack, { url: PUBLIC_URL, secret: CUSTOM_SECRET, eventTypes: NEVER, metadata: { team: 'x' } });
    assert.equal(sub.secret, CUSTOM_SECRET);
    assert.deepEqual(sub.metadata, { team: 'x' });
    assert.equal((await stack.call('GET', `/v1/subscriptions/${sub.id}/secret`)).body.secret, CUSTOM_SECRET);
    for (const secret of ['whsec_short', 'nope', `whsec_${Buffer.alloc(8).toString('base64')}`, 42]) {
      assertProblem(await stack.call('POST', '/v1/subscriptions', { url: PUBLIC_URL, secret }), 400, ['body.secret']);
    }
  });

  void test('validation errors name the field', async () => {
    const cases: [Record<string, unknown>, string[]][] = [
      [{}, ['body.url']],
      [{ url: 'ftp://example.com/x' }, ['body.url']],
      [{ url: 'javascript:alert(1)' }, ['body.url']],
      [{ url: 'https://user:pw@example.com/x' }, ['body.url']],
      [{ url: PUBLIC_URL, eventTypes: [] }, ['body.eventTypes']],
      [{ url: PUBLIC_URL, eventTypes: ['ok', 'invoice.*.paid'] }, ['body.eventTypes.1']],
      [{ url: PUBLIC_URL, eventTypes: ['in voice'] }, ['body.eventTypes.0']],
      [{ url: PUBLIC_URL, retryPolicy: { maxAttempts: 0 } }, ['body.retryPolicy.maxAttempts']],
      [{ url: PUBLIC_URL, retryPolicy: { maxAttempts: 51 } }, ['body.retryPolicy.maxAttempts']],
      [{ url: PUBLIC_URL, retryPolicy: { backoffCoefficient: 0.5 } }, ['body.retryPolicy.backoffCoefficient']],
      [{ url: PUBLIC_URL, retryPolicy: { initialIntervalMs: 1000, maxIntervalMs: 10 } }, ['body.retryPolicy.maxIntervalMs']],
      // Against the server default maxIntervalMs (200 ms in tests).
      [{ url: PUBLIC_URL, retryPolicy: { initialIntervalMs: 500 } }, ['body.retryPolicy.maxIntervalMs']],
      [{ url: PUBLIC_URL, retryPolicy: { maxAttempts: 2, jitter: true } }, ['body.retryPolicy.jitter']],
      [{ url: PUBLIC_URL, colour: 'red' }, ['body.colour']],
      [{ url: PUBLIC_URL, description: 'x'.repeat(501) }, ['body.description']],
      [{ url: PUBLIC_URL, metadata: ['not', 'an', 'object'] }, ['body.metadata']],
      // Postgres cannot store these; they must be a 400, not a 500.
      [{ url: PUBLIC_URL, description: 'a\u0000b' }, ['body.description']],
      [{ url: PUBLIC_URL, metadata: { k: 'a\u0000' } }, ['body.metadata']],
      [{ url: PUBLIC_URL, metadata: { '\ud800': 1 } }, ['body.metadata']],
      [{ url: `${PUBLIC_URL}/a\u0000` }, ['body.url']],
    ];
    for (const [body, paths] of cases) {
      assertProblem(await stack.call('POST', '/v1/subscriptions', body), 400, paths);
    }
  });

  void test('private, loopback and link-local URLs are refused when private URLs are not allowed', async () => {
    for (const url of ['http://127.0.0.1:9/x', 'http://10.1.2.3/x', 'http://169.254.169.254/latest', 'http://[::1]/x', 'http://localhost/x']) {
      assertProblem(await strict.call('POST', '/v1/subscriptions', { url }), 400, ['body.url']);
    }
    const ok = await createSubscription(strict, { url: PUBLIC_URL });
    assertProblem(await strict.call('PATCH', `/v1/subscriptions/${ok.id}`, { url: 'http://192.168.0.1/x' }), 400, ['body.url']);
    assert.equal((await strict.call('GET', `/v1/subscriptions/${ok.id}`)).body.url, PUBLIC_URL);
  });

  void test('list pages through every subscription exactly once, in creation order', async () => {
    for (let i = 0; i < 5; i++) await createSubscription(stack, { url: `${PUBLIC_URL}/${i}`, eventTypes: NEVER });
    const { rows } = await stack.db.query<{ id: string }>('SELECT id FROM subscriptions WHERE deleted_at IS NULL');
    const seen: any[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 50; page++) {
      const res = await stack.call('GET', `/v1/subscriptions?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.ok(res.body.data.length <= 2);
      seen.push(...res.body.data);
      cursor = res.body.nextCursor;
      if (cursor === null) break;
    }
    assert.equal(cursor, null, 'the last page has nextCursor null');
    assert.deepEqual(seen.map((s) => s.id).sort(), rows.map((r) => r.id).sort());
    const times = seen.map((s) => Date.parse(s.createdAt));
    assert.deepEqual(times, [...times].sort((a, b) => a - b));
    const all = await stack.call('GET', '/v1/subscriptions?limit=100');
    assert.equal(all.body.nextCursor, null);
    assert.equal(all.body.data.length, rows.length);
  });

  void test('bad list parameters are 400 naming the query field', async () => {
    for (const q of ['limit=0', 'limit=101', 'limit=abc', 'limit=1.5']) {
      assertProblem(await stack.call('GET', `/v1/subscriptions?${q}`), 400, ['query.limit']);
    }
    const forged = [
      'not-a-cursor',
      encodeCursor({ createdAt: 'yesterday', id: 'sub_x' }),
      encodeCursor({ createdAt: new Date().toISOString(), id: 'a\u0000b' }),
      encodeCursor(['x']),
    ];
    for (const cursor of forged) {
      assertProblem(await stack.call('GET', `/v1/subscriptions?cursor=${encodeURIComponent(cursor)}`), 400, ['query.cursor']);
    }
  });

  void test('unknown IDs are 404 on every subscription route', async () => {
    const id = 'sub_doesnotexist';
    for (const [method, path, body] of [
      ['GET', `/v1/subscriptions/${id}`],
      ['PATCH', `/v1/subscriptions/${id}`, { active: false }],
      ['DELETE', `/v1/subscriptions/${id}`],
      ['GET', `/v1/subscriptions/${id}/secret`],
      ['GET', `/v1/subscriptions/${id}/headers`],
      ['POST', `/v1/subscriptions/${id}/secret/rotate`, {}],
    ] as [string, string, unknown?][]) {
      const res = await stack.call(method, path, body);
      assertProblem(res, 404);
      assert.match(res.body.detail, /sub_doesnotexist/);
    }
  });

  void test('PATCH changes each field on its own; an empty patch is a 400', async () => {
    const sub = await createSubscription(stack, { url: PUBLIC_URL, eventTypes: NEVER, description: 'first', retryPolicy: { maxAttempts: 5 } });
    const patches: [Record<string, unknown>, (b: any) => void][] = [
      [{ url: `${PUBLIC_URL}/v2` }, (b) => assert.equal(b.url, `${PUBLIC_URL}/v2`)],
      [{ eventTypes: ['never.*', 'never.sent'] }, (b) => assert.deepEqual(b.eventTypes, ['never.*', 'never.sent'])],
      [{ description: 'second' }, (b) => assert.equal(b.description, 'second')],
      [{ description: null }, (b) => assert.equal(b.description, null)],
      [{ metadata: { tier: 'gold', n: 1 } }, (b) => assert.deepEqual(b.metadata, { tier: 'gold', n: 1 })],
      [{ retryPolicy: { maxAttempts: 7 } }, (b) => assert.equal(b.retryPolicy.maxAttempts, 7)],
      [{ retryPolicy: null }, (b) => assert.equal(b.retryPolicy.maxAttempts, 3)],
      [{ headers: { 'X-Team': 'a', 'X-Token': 't' } }, (b) => assert.deepEqual(b.headers, { 'X-Team': 'a', 'X-Token': '********' })],
      [{ filter: { data: { n: { $gte: 1 } } } }, (b) => assert.deepEqual(b.filter, { data: { n: { $gte: 1 } } })],
      [{ filter: null }, (b) => assert.equal(b.filter, null)],
      [{ active: false }, (b) => assert.equal(b.active, false)],
      [{ active: true }, (b) => assert.equal(b.active, true)],
    ];
    let before = (await stack.call('GET', `/v1/subscriptions/${sub.id}`)).body;
    for (const [patch, check] of patches) {
      const res = await stack.call('PATCH', `/v1/subscriptions/${sub.id}`, patch);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      check(res.body);
      check((await stack.call('GET', `/v1/subscriptions/${sub.id}`)).body);
      // Only the patched field changed.
      const changed = FIELDS.filter((f) => f !== 'updatedAt' && JSON.stringify(res.body[f]) !== JSON.stringify(before[f]));
      assert.ok(changed.length <= 1 && changed.every((f) => f in patch), `${JSON.stringify(patch)} changed ${changed.join(',')}`);
      before = res.body;
    }
    assertProblem(await stack.call('PATCH', `/v1/subscriptions/${sub.id}`, {}), 400, ['body']);
    assertProblem(await stack.call('PATCH', `/v1/subscriptions/${sub.id}`, { secret: CUSTOM_SECRET }), 400, ['body', 'body.secret']);
    assertProblem(await stack.call('PATCH', `/v1/subscriptions/${sub.id}`, { active: 'yes' }), 400, ['body.active']);
    assertProblem(await stack.call('PATCH', `/v1/subscriptions/${sub.id}`, { url: 'gopher://x' }), 400, ['body.url']);
  });

  void test('DELETE answers 204, then the subscription is gone and its open deliveries end as discarded', async () => {
    const failing = await startReceiver(() => ({ status: 500 }));
    try {
      const sub = await createSubscription(stack, { url: failing.url, eventTypes: ['sub.delete'] });
      const evt = await stack.call('POST', '/v1/events', { type: 'sub.delete', data: {} });
      assert.equal(evt.body.deliveries.length, 1, JSON.stringify(evt.body));
      const deliveryId = evt.body.deliveries[0].id;
      await waitForState(stack, deliveryId, 'dead_lettered');
      await waitForListed(stack, `subscriptionId=${sub.id}&status=dead_lettered`, 1);

      const del = await stack.call('DELETE', `/v1/subscriptions/${sub.id}`);
      assert.equal(del.status, 204);
      assert.equal(del.body, undefined);
      assertProblem(await stack.call('GET', `/v1/subscriptions/${sub.id}`), 404);
      assertProblem(await stack.call('DELETE', `/v1/subscriptions/${sub.id}`), 404);
      const list = await stack.call('GET', '/v1/subscriptions?limit=100');
      assert.ok(!list.body.data.some((s: { id: string }) => s.id === sub.id));
      const status = await waitForState(stack, deliveryId, 'discarded');
      assert.ok(status.completedAt);
    } finally {
      await failing.close();
    }
  });

  void test('rotation: during the grace period deliveries carry two signatures, old and new; graceSeconds 0 gives one', async () => {
    const sub = await createSubscription(stack, { url: receiver.url, eventTypes: ['rotation.check'] });
    const oldSecret: string = sub.secret;
    const deliverOne = async () => {
      const before = receiver.received.length;
      assert.equal((await stack.call('POST', '/v1/events', { type: 'rotation.check', data: { n: before } })).status, 202);
      const got = await waitFor(() => receiver.received[before], 'the delivery');
      const verifies = (secret: string) => {
        try {
          new Webhook(secret).verify(got.body, got.headers as Record<string, string>);
          return true;
        } catch {
          return false;
        }
      };
      return { signatures: String(got.headers['webhook-signature']).split(' '), verifies };
    };

    const first = await deliverOne();
    assert.equal(first.signatures.length, 1);
    assert.ok(first.verifies(oldSecret));

    const rotated = await stack.call('POST', `/v1/subscriptions/${sub.id}/secret/rotate`, {});
    assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
    assert.notEqual(rotated.body.secret, oldSecret);
    assert.match(rotated.body.secret, /^whsec_/);
    assert.equal((await stack.call('GET', `/v1/subscriptions/${sub.id}/secret`)).body.secret, rotated.body.secret);
    const during = await deliverOne();
    assert.equal(during.signatures.length, 2);
    assert.ok(during.signatures.every((s) => s.startsWith('v1,')));
    assert.ok(during.verifies(oldSecret), 'a receiver still on the old secret verifies');
    assert.ok(during.verifies(rotated.body.secret), 'a receiver already on the new secret verifies');

    const immediate = await stack.call('POST', `/v1/subscriptions/${sub.id}/secret/rotate`, { graceSeconds: 0 });
    assert.equal(immediate.status, 200);
    const afterwards = await deliverOne();
    assert.equal(afterwards.signatures.length, 1);
    assert.ok(afterwards.verifies(immediate.body.secret));
    assert.ok(!afterwards.verifies(rotated.body.secret));

    for (const graceSeconds of [-1, 1.5, 30 * 86_400 + 1, '60']) {
      assertProblem(await stack.call('POST', `/v1/subscriptions/${sub.id}/secret/rotate`, { graceSeconds }), 400, ['body.graceSeconds']);
    }
    assertProblem(await stack.call('POST', `/v1/subscriptions/${sub.id}/secret/rotate`, { grace: 5 }), 400, ['body.grace']);
  });

  void test('every subscription route answers 401 problem+json without a valid API key', async () => {
    const before = await dbFingerprint(stack.db);
    await assertUnauthorized(stack, [
      ['POST', '/v1/subscriptions'],
      ['GET', '/v1/subscriptions'],
      ['GET', '/v1/subscriptions/sub_x'],
      ['PATCH', '/v1/subscriptions/sub_x'],
      ['DELETE', '/v1/subscriptions/sub_x'],
      ['GET', '/v1/subscriptions/sub_x/secret'],
      ['POST', '/v1/subscriptions/sub_x/secret/rotate'],
    ]);
    assert.deepEqual(await dbFingerprint(stack.db), before);
  });
});
