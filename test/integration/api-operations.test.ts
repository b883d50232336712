import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { Client, Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { buildServer } from '../../src/api/server';
import { createPool, type Db } from '../../src/db/pool';
import { Fanout } from '../../src/dispatch/fanout';
import { freePort } from '../../src/net/free-port';
import { assertProblem, dbFingerprint, type ApiResponse } from '../support/api';
import { API_KEY, startStack, type Stack } from '../support/stack';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const silent = pino({ level: 'silent' });

async function call(base: string, method: string, p: string, body?: unknown): Promise<ApiResponse> {
  const res = await fetch(base + p, {
    method,
    headers: { authorization: `Bearer ${API_KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text && /json/.test(res.headers.get('content-type') ?? '') ? JSON.parse(text) : text };
}

/** The API as the stack builds it, but on the given backends, listening on a random 127.0.0.1 port. */
async function serverOn(stack: Stack, db: Db, temporal: Client): Promise<{ app: FastifyInstance; url: string }> {
  const fanout = new Fanout({ db, temporal, settings: stack.config, concurrency: 4, log: silent });
  const app = await buildServer({ config: stack.config, db, temporal, fanout, logger: false });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, url };
}

void describe('API: operations', () => {
  let stack: Stack;

  before(async () => {
    stack = await startStack({}, { worker: false });
  });
  after(async () => {
    await stack?.stop();
  });

  void test('/healthz and /readyz answer 200 with both backends up, without an API key', async () => {
    const health = await fetch(`${stack.url}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok' });
    const ready = await fetch(`${stack.url}/readyz`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { status: 'ready', checks: { postgres: 'up', temporal: 'up' } });
  });

  void test('with Postgres down: /readyz is 503 naming postgres, and writes are 503 with nothing stored', async () => {
    const closedPort = await freePort();
    const deadDb = createPool(`postgres://hookflow:x@127.0.0.1:${closedPort}/hookflow`, 2);
    const { app, url } = await serverOn(stack, deadDb, stack.temporal.client);
    try {
      const before = await dbFingerprint(stack.db);
      const ready = await call(url, 'GET', '/readyz');
      assertProblem(ready, 503);
      assert.match(ready.body.detail, /postgres/);
      assert.doesNotMatch(ready.body.detail, /temporal down|temporal:/);

      const id = 'evt_written_while_down';
      const evt = await call(url, 'POST', '/v1/events', { id, type: 'ops.down', data: { x: 1 } });
      assertProblem(evt, 503);
      assert.equal(evt.headers.get('retry-after'), '5');
      assert.match(evt.body.detail, /nothing was stored/);
      assertProblem(await call(url, 'POST', '/v1/events/batch', { events: [{ type: 'ops.down', data: 1 }] }), 503);
      assertProblem(await call(url, 'POST', '/v1/subscriptions', { url: 'http://127.0.0.1:9/x' }), 503);
      assertProblem(await call(url, 'GET', '/v1/subscriptions'), 503);
      assertProblem(await call(url, 'GET', `/v1/events/${id}`), 503);
      assertProblem(await call(url, 'GET', '/v1/deliveries/dlv_x'), 503);
      // The error must not leak connection details.
      assert.doesNotMatch(JSON.stringify(evt.body), new RegExp(String(closedPort)));
      assert.deepEqual(await dbFingerprint(stack.db), before);
      // The live API with the same configuration is unaffected.
      assert.equal((await fetch(`${stack.url}/readyz`)).status, 200);
    } finally {
      await app.close();
      await deadDb.end();
    }
  });

  void test('with Temporal down: /readyz is 503 naming temporal, open-delivery reads are 503, and the list still answers from PostgreSQL', async () => {
    const closedPort = await freePort();
    // One gRPC attempt instead of the client's default ~20 s of retries keeps the test short.
    const connection = Connection.lazy({
      address: `127.0.0.1:${closedPort}`,
      connectTimeout: 500,
      interceptors: [makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: 1 }))],
    });
    const deadTemporal = new Client({ connection, namespace: stack.config.temporal.namespace });
    const { app, url } = await serverOn(stack, stack.db, deadTemporal);
    try {
      const ready = await call(url, 'GET', '/readyz');
      assertProblem(ready, 503);
      assert.match(ready.body.detail, /temporal/);
      assert.doesNotMatch(ready.body.detail, /postgres/);
      const bulk = await call(url, 'POST', '/v1/deliveries/redeliver', { status: 'dead_lettered' });
      assertProblem(bulk, 503);
      assert.match(bulk.body.detail, /Temporal is unavailable/);
      // A delivery Postgres knows is then queried in Temporal, and that is where it fails.
      await stack.call('POST', '/v1/subscriptions', { url: 'http://127.0.0.1:9/x', eventTypes: ['ops.temporal_down'] });
      const evt = await stack.call('POST', '/v1/events', { type: 'ops.temporal_down', data: {} });
      assert.equal(evt.body.deliveries.length, 1);
      const deliveryId = evt.body.deliveries[0].id;
      // The list is the delivery record in PostgreSQL: it does not need Temporal.
      const list = await call(url, 'GET', '/v1/deliveries?eventId=' + evt.body.id);
      assert.equal(list.status, 200, JSON.stringify(list.body));
      assert.deepEqual(list.body.data.map((d: any) => d.id), [deliveryId]);
      assertProblem(await call(url, 'GET', `/v1/deliveries/${deliveryId}`), 503);
      assertProblem(await call(url, 'POST', `/v1/deliveries/${deliveryId}/redeliver`), 503);
    } finally {
      await app.close();
      await connection.close().catch(() => undefined);
    }
  });

  void test('/docs serves the UI and /docs/json an OpenAPI 3 document generated from the zod schemas', async () => {
    const html = await fetch(`${stack.url}/docs`);
    assert.equal(html.status, 200);
    assert.match(html.headers.get('content-type') ?? '', /text\/html/);
    assert.match(await html.text(), /swagger-ui/i);

    const res = await fetch(`${stack.url}/docs/json`);
    assert.equal(res.status, 200);
    const doc = (await res.json()) as any;
    assert.match(doc.openapi, /^3\./);
    const expected: Record<string, string[]> = {
      '/v1/subscriptions': ['get', 'post'],
      '/v1/subscriptions/{id}': ['delete', 'get', 'patch'],
      '/v1/subscriptions/{id}/secret': ['get'],
      '/v1/subscriptions/{id}/secret/rotate': ['post'],
      '/v1/events': ['post'],
      '/v1/events/batch': ['post'],
      '/v1/events/{id}': ['get'],
      '/v1/deliveries': ['get'],
      '/v1/deliveries/{id}': ['get'],
      '/v1/deliveries/{id}/attempts': ['get'],
      '/v1/deliveries/{id}/redeliver': ['post'],
      '/v1/deliveries/{id}/discard': ['post'],
      '/v1/deliveries/redeliver': ['post'],
    };
    for (const [p, methods] of Object.entries(expected)) {
      assert.ok(doc.paths[p], `${p} is documented`);
      for (const m of methods) assert.ok(doc.paths[p][m], `${m.toUpperCase()} ${p} is documented`);
    }
    const create = doc.paths['/v1/subscriptions'].post;
    const schema = JSON.stringify(create.requestBody?.content?.['application/json']?.schema ?? {});
    const resolved = schema.includes('$ref') ? JSON.stringify(doc.components) : schema;
    assert.match(resolved, /eventTypes/);
    assert.match(resolved, /retryPolicy/);
    assert.ok(create.responses['201'] && create.responses['400'], 'responses documented');
    const listParams = (doc.paths['/v1/deliveries'].get.parameters ?? []).map((p: any) => p.name);
    assert.deepEqual(['cursor', 'eventId', 'eventType', 'limit', 'status', 'subscriptionId'].filter((n) => !listParams.includes(n)), []);
    // Internal fields stay out of the documented response shapes.
    const sub = JSON.stringify(doc.paths['/v1/subscriptions/{id}'].get.responses['200']);
    assert.doesNotMatch(sub, /previous_secret|request_hash|"secret"/);
    assert.deepEqual(doc.components?.securitySchemes?.bearer, { type: 'http', scheme: 'bearer' });
    // Free text that PostgreSQL stores refuses NUL, and the document says so with a pattern: a client
    // (or a fuzzer) that follows the document never sends a request it must then see refused.
    const bodyProperty = (p: string, m: string, field: string) => doc.paths[p][m].requestBody.content['application/json'].schema.properties[field];
    for (const [p, m, field] of [
      ['/v1/event-types', 'post', 'description'],
      ['/v1/event-types/{name}', 'patch', 'description'],
      ['/v1/subscriptions', 'post', 'description'],
      ['/v1/subscriptions/{id}', 'patch', 'description'],
      ['/v1/tenants', 'post', 'name'],
    ] as const) {
      assert.ok(JSON.stringify(bodyProperty(p, m, field)).includes('"pattern":"^[^\\\\u0000]*$"'), `${m.toUpperCase()} ${p}: ${field} states the NUL rule`);
    }
  });

  void test('/docs renders in headless Chromium', async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium (or set CHROMIUM_PATH)`);
    const profile = mkdtempSync(path.join(tmpdir(), 'hookflow-chromium-'));
    try {
      const { stdout } = await promisify(execFile)(
        CHROMIUM,
        [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-dev-shm-usage',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
          '--no-first-run',
          `--user-data-dir=${profile}`,
          '--virtual-time-budget=5000',
          '--dump-dom',
          `${stack.url}/docs`,
        ],
        { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
      );
      // Rendered, not just served: the operations exist only after swagger-ui ran and loaded /docs/json.
      assert.match(stdout, /class="swagger-ui/);
      assert.match(stdout, /class="opblock opblock-post/);
      for (const p of ['/v1/subscriptions', '/v1/events', '/v1/deliveries/{id}/redeliver']) {
        assert.ok(stdout.includes(`data-path="${p}"`), `${p} rendered as an operation`);
      }
      assert.match(stdout, /hookflow/);
    } finally {
      rmSync(profile, { recursive: true, force: true });
    }
  });
});
