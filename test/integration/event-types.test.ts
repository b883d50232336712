// The event catalog against a real stack: CRUD and who may call it, the definition checks, schema
// validation at ingest (single and batch, nothing stored on refusal), strict mode on a second API on
// the same database, and the published OpenAPI 3.1 document read with a tenant token and checked by
// a real OpenAPI validator.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { assertProblem, createSubscription, dbFingerprint, sleep } from '../support/api';
import { openPortalSession } from '../support/portal';
import { startReceiver, type Receiver } from '../support/receiver';
import { startStack, waitFor, type Stack } from '../support/stack';
import { createTenant, type TestTenant } from '../support/tenants';

const unique = (base: string) => `${base}_${randomBytes(4).toString('hex')}`;

const invoiceSchema = {
  type: 'object',
  required: ['invoice', 'amount', 'customer'],
  properties: {
    invoice: { type: 'string', pattern: '^in_' },
    amount: { $ref: '#/$defs/cents' },
    customer: { type: 'object', required: ['email'], properties: { email: { type: 'string', format: 'email' } } },
  },
  additionalProperties: false,
  $defs: { cents: { type: 'integer', minimum: 0 } },
};
const goodInvoice = { invoice: 'in_1', amount: 4200, customer: { email: 'a@example.com' } };

void describe('event catalog', () => {
  let stack: Stack;
  let strict: Stack;
  let tenant: TestTenant;
  let receiver: Receiver;

  before(async () => {
    [stack, receiver] = await Promise.all([startStack(), startReceiver()]);
    // Strict mode on the same database and task queue: the first stack's worker delivers for both.
    strict = await startStack(
      { DATABASE_URL: stack.config.databaseUrl!, HOOKFLOW_TASK_QUEUE: stack.config.temporal.taskQueue, HOOKFLOW_EVENT_TYPES: 'strict' },
      { worker: false },
    );
    tenant = await createTenant(stack, 'catalog');
  });
  after(async () => {
    await Promise.all([strict?.stop(), receiver?.close()]);
    await stack?.stop();
  });

  const createType = async (s: Stack, body: Record<string, unknown>) => {
    const res = await s.call('POST', '/v1/event-types', body);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body;
  };

  void test('CRUD: admin keys write, tenant tokens and portal sessions read, names page by cursor', async () => {
    const base = unique('crud');
    const created = await createType(stack, { name: `${base}.paid`, description: 'An invoice was paid', schema: invoiceSchema, examples: [goodInvoice] });
    assert.deepEqual(Object.keys(created).sort(), ['createdAt', 'deprecated', 'description', 'examples', 'name', 'schema', 'updatedAt']);
    assert.deepEqual(created.schema, invoiceSchema);
    // The author's key order is kept (json, not jsonb).
    assert.deepEqual(Object.keys(created.schema), Object.keys(invoiceSchema));
    assert.equal(created.deprecated, false);
    assertProblem(await stack.call('POST', '/v1/event-types', { name: `${base}.paid` }), 409);

    for (const suffix of ['a', 'b', 'c']) await createType(stack, { name: `${base}.${suffix}` });
    const names: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 50; page++) {
      const res = await stack.call('GET', `/v1/event-types?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.ok(res.body.data.length <= 2);
      names.push(...res.body.data.map((t: { name: string }) => t.name));
      cursor = res.body.nextCursor;
      if (!cursor) break;
    }
    const mine = names.filter((n) => n.startsWith(base));
    assert.deepEqual(mine, [`${base}.a`, `${base}.b`, `${base}.c`, `${base}.paid`]);
    assert.deepEqual(names, [...names].sort());
    assertProblem(await stack.call('GET', '/v1/event-types?cursor=bm9wZQ'), 400, ['query.cursor']);

    // Tenants read the catalog, never write it.
    const read = await tenant.call('GET', `/v1/event-types/${base}.paid`);
    assert.equal(read.status, 200);
    const { fields, ...rest } = read.body;
    assert.deepEqual(rest, created);
    assert.deepEqual(fields, [
      { path: 'invoice', type: 'string', required: true, description: null },
      { path: 'amount', type: 'integer', required: true, description: null },
      { path: 'customer', type: 'object', required: true, description: null },
      { path: 'customer.email', type: 'string (email)', required: true, description: null },
    ]);
    assert.equal((await tenant.call('GET', '/v1/event-types?limit=100')).status, 200);
    assertProblem(await tenant.call('POST', '/v1/event-types', { name: unique('tenant') }), 403);
    assertProblem(await tenant.call('PATCH', `/v1/event-types/${base}.paid`, { deprecated: true }), 403);
    assertProblem(await tenant.call('DELETE', `/v1/event-types/${base}.paid`), 403);
    const portal = await openPortalSession(stack, tenant.id);
    const viaPortal = await portal.call('GET', `/v1/event-types/${base}.paid`);
    assert.equal(viaPortal.status, 200, JSON.stringify(viaPortal.body));
    assert.equal(viaPortal.body.name, `${base}.paid`);

    const patched = await stack.call('PATCH', `/v1/event-types/${base}.paid`, { description: 'Paid in full', deprecated: true });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.equal(patched.body.description, 'Paid in full');
    assert.equal(patched.body.deprecated, true);
    assert.deepEqual(patched.body.schema, invoiceSchema, 'fields left out keep their values');
    assert.ok(Date.parse(patched.body.updatedAt) >= Date.parse(created.updatedAt));
    const withoutDeprecated = await stack.call('GET', '/v1/event-types?limit=100&includeDeprecated=false');
    assert.ok(!withoutDeprecated.body.data.some((t: { name: string }) => t.name === `${base}.paid`));
    const cleared = await stack.call('PATCH', `/v1/event-types/${base}.paid`, { schema: null, description: null });
    assert.equal(cleared.body.schema, null);
    assert.equal(cleared.body.description, null);

    const deleted = await stack.call('DELETE', `/v1/event-types/${base}.paid`);
    assert.equal(deleted.status, 204);
    assertProblem(await stack.call('GET', `/v1/event-types/${base}.paid`), 404);
    assertProblem(await stack.call('DELETE', `/v1/event-types/${base}.paid`), 404);
    assertProblem(await stack.call('PATCH', `/v1/event-types/${base}.paid`, { deprecated: false }), 404);
  });

  void test('bad definitions are 400 naming the field, and store nothing', async () => {
    const name = unique('bad');
    const count = async () => (await stack.db.query<{ n: number }>('SELECT count(*)::int AS n FROM event_types')).rows[0]!.n;
    const before = await count();
    const cases: [Record<string, unknown>, string[]][] = [
      [{ name: `${name}.x`, schema: { type: 'objekt' } }, ['body.schema.type']],
      [{ name: `${name}.x`, schema: { type: 'object', requried: ['a'] } }, ['body.schema']],
      [{ name: `${name}.x`, schema: { $ref: '#/$defs/missing' } }, ['body.schema']],
      [{ name: `${name}.x`, schema: { properties: { code: { type: 'string', pattern: '^(a+)+$' } } } }, ['body.schema.properties.code.pattern']],
      [{ name: `${name}.x`, schema: invoiceSchema, examples: [goodInvoice, { ...goodInvoice, amount: -1, extra: 1 }] }, ['body.examples.1.amount', 'body.examples.1.extra']],
      [{ name: 'Hookflow.Ping' }, ['body.name']],
      [{ name: 'hookflow.custom' }, ['body.name']],
      [{ name: 'openapi.json' }, ['body.name']],
      [{ name: 'not a type' }, ['body.name']],
      [{ name: `${name}.x`, colour: 'red' }, ['body.colour']],
      [{ name: `${name}.x`, schema: [] }, ['body.schema']],
    ];
    for (const [body, paths] of cases) assertProblem(await stack.call('POST', '/v1/event-types', body), 400, paths);
    assert.equal(await count(), before);

    // A PATCH may not leave the stored examples failing the new schema, nor add a failing one.
    await createType(stack, { name: `${name}.ok`, schema: invoiceSchema, examples: [goodInvoice] });
    const stricter = { ...invoiceSchema, required: [...invoiceSchema.required, 'currency'] };
    assertProblem(await stack.call('PATCH', `/v1/event-types/${name}.ok`, { schema: stricter }), 400, ['body.schema']);
    assertProblem(await stack.call('PATCH', `/v1/event-types/${name}.ok`, { examples: [{ invoice: 'x' }] }), 400, [
      'body.examples.0.invoice',
      'body.examples.0.amount',
      'body.examples.0.customer',
    ]);
    assertProblem(await stack.call('PATCH', `/v1/event-types/${name}.ok`, {}), 400);
    assert.deepEqual((await stack.call('GET', `/v1/event-types/${name}.ok`)).body.schema, invoiceSchema);
  });

  void test('ingest validates data against the schema: every failing path named, nothing stored or delivered', async () => {
    const type = `${unique('ingest')}.paid`;
    await createType(stack, { name: type, schema: invoiceSchema });
    const sub = await createSubscription(stack, { url: receiver.url, eventTypes: [type] });

    const before = await dbFingerprint(stack.db);
    const bad = await stack.call('POST', '/v1/events', { type, data: { invoice: 'x_1', amount: 1.5, customer: { email: 'nope' }, extra: true } });
    assertProblem(bad, 400, ['body.data.invoice', 'body.data.amount', 'body.data.customer.email', 'body.data.extra']);
    assert.match(JSON.stringify(bad.body.errors), /must match format \\"email\\"/);
    assertProblem(await stack.call('POST', '/v1/events', { type, data: { invoice: 'in_2', amount: 1 } }), 400, ['body.data.customer']);
    assertProblem(await stack.call('POST', '/v1/events', { type, data: 'text' }), 400, ['body.data']);

    // A batch: one bad event refuses the whole request, its errors under body.events.N.data.
    const batch = await stack.call('POST', '/v1/events/batch', {
      events: [
        { type, data: goodInvoice },
        { type: unique('other'), data: { anything: 1 } },
        { type, data: { ...goodInvoice, amount: -5 } },
        { type, data: { ...goodInvoice, customer: {} } },
      ],
    });
    assertProblem(batch, 400, ['body.events.2.data.amount', 'body.events.3.data.customer.email']);
    assert.deepEqual(await dbFingerprint(stack.db), before, 'a refused request stores nothing');

    const good = await stack.call('POST', '/v1/events', { type, data: goodInvoice });
    assert.equal(good.status, 202, JSON.stringify(good.body));
    assert.equal(good.body.deliveries[0].subscriptionId, sub.id);
    await waitFor(() => receiver.received.some((r) => r.headers['webhook-id'] === good.body.id), 'the valid event delivered');
    await sleep(300);
    assert.equal(receiver.received.filter((r) => JSON.parse(r.body).type === type).length, 1, 'only the valid event was delivered');

    // A schema change applies to the next event: the compiled schema is cached per revision.
    const v2 = { ...invoiceSchema, required: [...invoiceSchema.required, 'currency'], properties: { ...invoiceSchema.properties, currency: { enum: ['EUR', 'USD'] } } };
    assert.equal((await stack.call('PATCH', `/v1/event-types/${type}`, { schema: v2 })).status, 200);
    assertProblem(await stack.call('POST', '/v1/events', { type, data: goodInvoice }), 400, ['body.data.currency']);
    assert.equal((await stack.call('POST', '/v1/events', { type, data: { ...goodInvoice, currency: 'EUR' } })).status, 202);
    // ... on the other API process too (same database, its own cache).
    assertProblem(await strict.call('POST', '/v1/events', { type, data: goodInvoice }), 400, ['body.data.currency']);
    // Removing the schema accepts any data again.
    assert.equal((await stack.call('PATCH', `/v1/event-types/${type}`, { schema: null })).status, 200);
    assert.equal((await stack.call('POST', '/v1/events', { type, data: 'anything' })).status, 202);
  });

  void test('open mode accepts unknown and deprecated types; strict mode refuses them, and subscriptions to unknown types', async () => {
    const base = unique('strict');
    await createType(stack, { name: `${base}.known` });
    await createType(stack, { name: `${base}.old`, deprecated: true });

    for (const t of [`${base}.unknown`, `${base}.old`]) assert.equal((await stack.call('POST', '/v1/events', { type: t, data: {} })).status, 202, t);

    const before = await dbFingerprint(stack.db);
    const unknown = await strict.call('POST', '/v1/events', { type: `${base}.unknown`, data: {} });
    assertProblem(unknown, 400, ['body.type']);
    assert.match(unknown.body.errors[0].message, /not in the event catalog/);
    const old = await strict.call('POST', '/v1/events', { type: `${base}.old`, data: {} });
    assertProblem(old, 400, ['body.type']);
    assert.match(old.body.errors[0].message, /deprecated/);
    assertProblem(
      await strict.call('POST', '/v1/events/batch', { events: [{ type: `${base}.known`, data: {} }, { type: `${base}.nope`, data: {} }, { type: `${base}.old`, data: {} }] }),
      400,
      ['body.events.1.type', 'body.events.2.type'],
    );
    assertProblem(
      await strict.call('POST', '/v1/subscriptions', { url: receiver.url, eventTypes: [`${base}.known`, `${base}.nope`, `${base}.*`, '*', 'hookflow.delivery.dead_lettered'] }),
      400,
      ['body.eventTypes.1'],
    );
    assert.deepEqual(await dbFingerprint(stack.db), before, 'refusals store nothing');
    assert.equal((await strict.call('POST', '/v1/events', { type: `${base}.known`, data: {} })).status, 202);

    // Wildcards and operational types stay valid; a deprecated type still exists, so it may be named.
    const sub = await strict.call('POST', '/v1/subscriptions', { url: receiver.url, eventTypes: [`${base}.known`, `${base}.old`, `${base}.*`, '*', 'hookflow.delivery.dead_lettered'] });
    assert.equal(sub.status, 201, JSON.stringify(sub.body));
    assertProblem(await strict.call('PATCH', `/v1/subscriptions/${sub.body.id}`, { eventTypes: [`${base}.gone`] }), 400, ['body.eventTypes.0']);
    const tenantSub = await strict.call('POST', '/v1/subscriptions', { url: receiver.url, tenantId: tenant.id, eventTypes: [`${base}.known`] });
    assert.equal(tenantSub.status, 201, JSON.stringify(tenantSub.body));

    // Deleting a type still named: 409 with the count in strict mode, allowed in open mode.
    const refused = await strict.call('DELETE', `/v1/event-types/${base}.known`);
    assertProblem(refused, 409, ['params.name']);
    assert.match(refused.body.detail, /^2 subscriptions still name /);
    assert.equal((await strict.call('GET', `/v1/event-types/${base}.known`)).status, 200);
    assert.equal((await strict.call('DELETE', `/v1/subscriptions/${tenantSub.body.id}`)).status, 204);
    assert.match((await strict.call('DELETE', `/v1/event-types/${base}.known`)).body.detail, /^1 subscription still names /);
    assert.equal((await stack.call('DELETE', `/v1/event-types/${base}.known`)).status, 204);
  });

  void test("send an example: a type's example delivered to one endpoint like a test ping, signed, whatever its filters", { timeout: 60_000 }, async () => {
    const type = `${unique('example')}.paid`;
    await createType(stack, { name: type, schema: invoiceSchema, examples: [goodInvoice, { ...goodInvoice, amount: 1 }] });
    await createType(stack, { name: `${type}_bare` });
    const sub = await createSubscription(stack, { url: receiver.url, eventTypes: ['something.else'] });
    receiver.secrets = [sub.secret];
    const sent = await stack.call('POST', `/v1/subscriptions/${sub.id}/test`, { eventType: type, example: 1 });
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    assert.equal(sent.body.outcome, 'succeeded');
    const got = receiver.received.filter((r) => r.headers['webhook-id'] === sent.body.eventId);
    assert.equal(got.length, 1);
    assert.equal(got[0]!.verified, true);
    assert.deepEqual(got[0]!.payload, { type, timestamp: got[0]!.payload!.timestamp, data: { ...goodInvoice, amount: 1 } });
    receiver.secrets = [];

    assertProblem(await stack.call('POST', `/v1/subscriptions/${sub.id}/test`, { eventType: unique('nope') }), 400, ['body.eventType']);
    assertProblem(await stack.call('POST', `/v1/subscriptions/${sub.id}/test`, { eventType: `${type}_bare` }), 400, ['body.eventType']);
    assertProblem(await stack.call('POST', `/v1/subscriptions/${sub.id}/test`, { eventType: type, example: 2 }), 400, ['body.example']);
  });

  void test('GET /v1/event-types/openapi.json: an OpenAPI 3.1 document with one webhook per live type, read with a tenant token', async () => {
    const base = unique('doc');
    await createType(stack, { name: `${base}.paid`, description: 'An invoice was paid', schema: invoiceSchema, examples: [goodInvoice] });
    await createType(stack, { name: `${base}.free` });
    await createType(stack, { name: `${base}.legacy`, schema: { type: 'object' }, deprecated: true });

    const res = await tenant.call('GET', '/v1/event-types/openapi.json');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const doc = res.body;
    assert.equal(doc.openapi, '3.1.0');
    const { Validator } = await import('@seriousme/openapi-schema-validator');
    const validator = new Validator();
    const verdict = await validator.validate(structuredClone(doc));
    assert.equal(verdict.valid, true, JSON.stringify(verdict.errors));
    assert.equal(validator.version, '3.1');

    assert.ok(doc.webhooks[`${base}.paid`]);
    assert.ok(doc.webhooks[`${base}.free`]);
    assert.equal(doc.webhooks[`${base}.legacy`], undefined, 'deprecated types are not published');
    const paid = doc.webhooks[`${base}.paid`].post;
    assert.equal(paid.description, 'An invoice was paid');
    const headers = paid.parameters.map((p: { $ref: string }) => doc.components.parameters[p.$ref.split('/').pop()!]);
    assert.deepEqual(headers.map((h: { name: string; in: string; required: boolean }) => [h.name, h.in, h.required]), [
      ['webhook-id', 'header', true],
      ['webhook-timestamp', 'header', true],
      ['webhook-signature', 'header', true],
    ]);
    const media = paid.requestBody.content['application/json'];
    assert.deepEqual(media.schema.required, ['type', 'timestamp', 'data']);
    assert.deepEqual(media.schema.properties.type, { const: `${base}.paid` });
    assert.deepEqual(media.examples.example1.value.data, goodInvoice);

    // The data schema, dereferenced by the validator: its own $defs ref resolves inside its component.
    const resolved = validator.resolveRefs() as any;
    const data = resolved.webhooks[`${base}.paid`].post.requestBody.content['application/json'].schema.properties.data;
    assert.deepEqual(data.properties.amount, { type: 'integer', minimum: 0 });

    // Tenants and portal sessions may read it; a caller without a credential may not.
    assert.equal((await fetch(`${stack.url}/v1/event-types/openapi.json`)).status, 401);
  });
});
