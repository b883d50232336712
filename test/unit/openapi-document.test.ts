// The OpenAPI document states what the server does, for every route including ones added later:
// problem+json errors, 204 without content, public routes marked public, the statuses each route can
// answer, and constraints the schema can carry. Also the two answers made outside any route: 405 for
// a known path with a wrong method, and problem+json for headers over Node's size limit.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fastifySwagger from '@fastify/swagger';
import Fastify, { type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { buildServer } from '../../src/api/server';
import { documentTransform, routeTransform } from '../../src/api/openapi-document';
import { loadConfig } from '../../src/config';

type Answer = { description?: string; content?: Record<string, { schema?: unknown }> };
type Operation = { security?: unknown[]; responses: Record<string, Answer>; requestBody?: { required?: boolean; content: Record<string, { schema: Record<string, unknown> }> } };
type Doc = { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, unknown> } };

const operations = (doc: Doc) => Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ label: `${method.toUpperCase()} ${path}`, op })));

void describe('the OpenAPI document', () => {
  let app: FastifyInstance;
  let doc: Doc;
  before(async () => {
    const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', HOOKFLOW_API_KEYS: 'unit-test-key-0123456789abcdef' });
    const unused = undefined as never;
    app = await buildServer({ config, db: unused, temporal: unused, fanout: unused, logger: false });
    await app.ready();
    doc = app.swagger() as unknown as Doc;
  });
  after(async () => app?.close());

  void test('every error answer of every operation is application/problem+json with the Problem schema', () => {
    assert.ok(doc.components.schemas.Problem, 'the Problem component exists');
    let errors = 0;
    for (const { label, op } of operations(doc)) {
      for (const [code, answer] of Object.entries(op.responses)) {
        if (Number(code) < 400) continue;
        errors++;
        assert.deepEqual(Object.keys(answer.content ?? {}), ['application/problem+json'], `${label} ${code}`);
        assert.deepEqual(answer.content!['application/problem+json']!.schema, { $ref: '#/components/schemas/Problem' }, `${label} ${code}`);
      }
      for (const code of ['400', '431', '500']) assert.ok(op.responses[code], `${label} documents ${code}`);
    }
    assert.ok(errors > 100);
  });

  void test('a 204 has no content', () => {
    const deletes = ['/v1/subscriptions/{id}', '/v1/tenants/{id}/tokens/{tokenId}'];
    for (const path of deletes) {
      const answer = doc.paths[path]!.delete!.responses['204'];
      assert.ok(answer, path);
      assert.equal(answer.content, undefined, path);
    }
  });

  void test('public routes say so; every other route can answer 401, 403 and 503', () => {
    for (const path of ['/healthz', '/readyz']) {
      assert.deepEqual(doc.paths[path]!.get!.security, [], path);
      assert.equal(doc.paths[path]!.get!.responses['401'], undefined, path);
    }
    for (const { label, op } of operations(doc)) {
      if (label === 'GET /healthz' || label === 'GET /readyz') continue;
      assert.equal(op.security, undefined, `${label} keeps the document's bearer requirement`);
      for (const code of ['401', '403', '503']) assert.ok(op.responses[code], `${label} documents ${code}`);
    }
    assert.ok(doc.paths['/metrics']!.get!.responses['401']);
    assert.ok(doc.paths['/metrics']!.get!.responses['200']!.content!['text/plain']);
  });

  void test('bodies, rate limits and sizes: 413 and 415 where a body is read, 429 under /v1', () => {
    const create = doc.paths['/v1/subscriptions']!.post!;
    for (const code of ['413', '415', '429']) assert.ok(create.responses[code], code);
    assert.equal(doc.paths['/v1/subscriptions/{id}']!.get!.responses['413'], undefined);
    assert.equal(doc.paths['/healthz']!.get!.responses['429'], undefined);
  });

  void test('constraints the schema can state are in it', () => {
    const body = (path: string, method: string) => doc.paths[path]![method]!.requestBody!.content['application/json']!.schema;
    assert.equal(body('/v1/subscriptions/{id}', 'patch').minProperties, 1);
    assert.equal(body('/v1/tenants/{id}', 'patch').minProperties, 1);
    // The reserved prefix (in any case) and the type's format, as one pattern.
    const type = (body('/v1/events', 'post').properties as Record<string, { pattern?: string }>).type!;
    const pattern = new RegExp(type.pattern!);
    for (const refused of ['hookflow.ping', 'HookFlow.x', 'a..b', 'a b']) assert.equal(pattern.test(refused), false, refused);
    for (const accepted of ['invoice.paid', 'hookflowish.x', 'a_b.c1']) assert.equal(pattern.test(accepted), true, accepted);
    const replayIds = (body('/v1/events/{id}/replay', 'post').properties as Record<string, { uniqueItems?: boolean }>).subscriptionIds!;
    assert.equal(replayIds.uniqueItems, true);
    // Bodies the server lets a request leave out are not required.
    assert.equal(doc.paths['/v1/subscriptions/{id}/test']!.post!.requestBody!.required, false);
    assert.equal(doc.paths['/v1/tenants/{id}/tokens']!.post!.requestBody!.required, true, 'a .default({}) body refuses null');
    assert.equal(doc.paths['/v1/subscriptions']!.post!.requestBody!.required, true);
    // Rules no schema can state are said in words.
    assert.match(JSON.stringify(doc.paths['/v1/subscriptions']!.get), /cursor` is opaque/);
    assert.match(JSON.stringify(doc.paths['/v1/subscriptions/{id}/recover']!.post), /retention/);
  });

  void test('a route registered anywhere inherits all of it', async () => {
    const other = Fastify().withTypeProvider<ZodTypeProvider>();
    other.setValidatorCompiler(validatorCompiler);
    other.setSerializerCompiler(serializerCompiler);
    await other.register(fastifySwagger, { openapi: { info: { title: 't', version: '1' } }, transform: routeTransform, transformObject: documentTransform });
    other.post('/v1/widgets/:id', { config: { access: { who: 'admin' }, scope: 'admin' }, schema: { params: z.object({ id: z.string() }), body: z.object({ a: z.string() }), response: { 204: z.null() } } }, async () => undefined);
    other.get('/open', async () => ({}));
    await other.ready();
    const added = other.swagger() as unknown as Doc;
    const op = added.paths['/v1/widgets/{id}']!.post!;
    assert.deepEqual(Object.keys(op.responses).sort(), ['204', '400', '401', '403', '404', '408', '413', '415', '429', '431', '500', '503']);
    assert.equal(op.responses['204']!.content, undefined);
    assert.deepEqual(Object.keys(op.responses['404']!.content!), ['application/problem+json']);
    assert.deepEqual(added.paths['/open']!.get!.security, []);
    await other.close();
  });
});

void describe('answers made outside any route', () => {
  let app: FastifyInstance;
  let url: string;
  before(async () => {
    const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', HOOKFLOW_API_KEYS: 'unit-test-key-0123456789abcdef' });
    const unused = undefined as never;
    app = await buildServer({ config, db: unused, temporal: unused, fanout: unused, logger: false });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  after(async () => app?.close());

  void test('a known path with a wrong method is a 405 problem naming the methods it takes', async () => {
    const res = await fetch(`${url}/healthz`, { method: 'DELETE' });
    assert.equal(res.status, 405);
    assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
    assert.equal(res.headers.get('allow'), 'GET, HEAD');
    const unknown = await fetch(`${url}/nowhere`, { method: 'DELETE' });
    assert.equal(unknown.status, 404);
  });

  void test('headers over the size limit are a 431 problem', async () => {
    const res = await fetch(`${url}/healthz`, { headers: { 'x-big': 'x'.repeat(64 * 1024) } });
    assert.equal(res.status, 431);
    assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
    const body = (await res.json()) as { status: number; title: string };
    assert.equal(body.status, 431);
    assert.equal(body.title, 'Request Header Fields Too Large');
  });
});
