// The event catalog's pure parts: how schema errors are named, the apply plan (and that applying it
// leaves nothing to do), the OpenAPI ref rebasing, the field table and the strict subscription check.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { loadConfig } from '../../src/config';
import { planApply, type CatalogEntry } from '../../src/event-types/apply-plan';
import { definitionProblems } from '../../src/event-types/definition-check';
import { unknownSubscribedTypes } from '../../src/event-types/ingest-check';
import { compileSchema, pointerToPath, problemsOf } from '../../src/event-types/json-schema';
import { rebaseRefs } from '../../src/event-types/openapi-document';
import { schemaFields } from '../../src/event-types/schema-fields';

void describe('event catalog: pure parts', () => {
  void test('data errors name the failing field itself: a missing or extra property, an array item, an escaped key', () => {
    const schema = {
      type: 'object',
      required: ['id', 'lines'],
      properties: { id: { type: 'string' }, lines: { type: 'array', items: { type: 'object', required: ['qty'], properties: { qty: { type: 'integer' } } } }, 'a/b': { type: 'string' } },
      additionalProperties: false,
    };
    const c = compileSchema(schema, 'keep');
    assert.ok(c.ok);
    assert.deepEqual(problemsOf(c.validate, { lines: [{ qty: 1 }, { qty: 'x' }, {}], 'a/b': 3, extra: 1 }), [
      { path: 'id', message: 'is required' },
      { path: 'extra', message: 'is not allowed by the schema' },
      { path: 'lines.1.qty', message: 'must be integer' },
      { path: 'lines.2.qty', message: 'is required' },
      { path: 'a/b', message: 'must be string' },
    ]);
    assert.deepEqual(problemsOf(c.validate, 7), [{ path: '', message: 'must be object' }]);
    assert.equal(pointerToPath('/a~1b/c~0d/0'), 'a/b.c~d.0');
  });

  void test('checking definitions does not grow the heap: the checking Ajv instance is replaced before its leftovers add up', () => {
    const make = () => ({ type: 'object', properties: { email: { type: 'string', format: 'email', pattern: '^[^@]+@' } } });
    const check = () => assert.deepEqual(definitionProblems(make(), [{ email: 'a@b.example' }], { schema: 's', examples: 'e' }), []);
    for (let i = 0; i < 1_000; i++) check();
    // A collector to call, whatever flags the test runner was started with.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 5_000; i++) check();
    gc();
    // One shared instance kept 3.6 KiB per compile: 17 MiB for these 5,000.
    assert.ok(process.memoryUsage().heapUsed - before < 6 * 2 ** 20, `heap grew ${((process.memoryUsage().heapUsed - before) / 2 ** 20).toFixed(1)} MiB`);
  });

  void test('a definition: its schema must compile (one message per path) and its examples validate', () => {
    const at = { schema: 'body.schema', examples: 'body.examples' };
    assert.deepEqual(definitionProblems({ type: 'objekt' }, [], at), [{ path: 'body.schema.type', message: 'must be equal to one of the allowed values' }]);
    assert.match(definitionProblems({ properties: { a: { typo: 1 } } }, [], at)[0]!.message, /unknown keyword: "typo"/);
    assert.deepEqual(definitionProblems({ type: 'integer' }, [1, 'x'], at), [{ path: 'body.examples.1', message: 'must be integer' }]);
    assert.deepEqual(definitionProblems({ type: 'integer' }, ['x'], { schema: 'body.schema' }), [{ path: 'body.schema', message: 'the stored example 0 fails it at its root: must be integer' }]);
    assert.deepEqual(definitionProblems(null, ['anything'], at), []);
    // Regular expressions that can backtrack exponentially are refused where they are, not run at ingest.
    assert.deepEqual(
      definitionProblems({ properties: { a: { type: 'string', pattern: '^(a+)+$' }, b: { pattern: '^in_[0-9]+$' } }, patternProperties: { '(x+x+)+y': {} } }, [], at).map((p) => p.path),
      ['body.schema.properties.a.pattern', 'body.schema.patternProperties.(x+x+)+y'],
    );
    assert.deepEqual(definitionProblems({ const: { pattern: '(a+)+' }, properties: { pattern: { type: 'string' } } }, [], at), [], 'data and property names are not patterns');
    // Two schemas with one $id (a type and its next revision) both compile.
    for (let i = 0; i < 2; i++) assert.deepEqual(definitionProblems({ $id: 'https://example.com/x.json', type: 'string' }, ['s'], at), []);
  });

  const entry = fc.record({
    name: fc.constantFrom('a.one', 'a.two', 'b.three', 'c.four'),
    description: fc.option(fc.string({ maxLength: 5 }), { nil: undefined }),
    schema: fc.option(fc.constantFrom<Record<string, unknown> | null>(null, { type: 'object' }, { type: 'object', required: ['x'] }), { nil: undefined }),
    examples: fc.option(fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 2 }), { nil: undefined }),
    deprecated: fc.option(fc.boolean(), { nil: undefined }),
  });
  const uniqueByName = <T extends { name: string }>(xs: T[]) => [...new Map(xs.map((x) => [x.name, x])).values()];

  void test('apply: after carrying out a plan, planning again finds nothing to do (idempotence)', () => {
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 4 }).map(uniqueByName), fc.array(entry, { maxLength: 4 }).map(uniqueByName), (currentFile, file) => {
        const current: CatalogEntry[] = planApply([], currentFile).create;
        const plan = planApply(current, file);
        // Carry it out as the CLI does (without --prune).
        const after = new Map(current.map((c) => [c.name, { ...c }]));
        for (const c of plan.create) after.set(c.name, c);
        for (const u of plan.update) Object.assign(after.get(u.name)!, u.patch);
        const again = planApply([...after.values()], file);
        assert.deepEqual([again.create, again.update], [[], []]);
        assert.equal(again.unchanged.length, file.length);
        assert.deepEqual(again.extra.sort(), current.filter((c) => !file.some((f) => f.name === c.name)).map((c) => c.name).sort());
      }),
    );
  });

  void test('apply: key order is not a change; an omitted field means its default; only differing fields are patched', () => {
    const current: CatalogEntry[] = [{ name: 'a.b', description: 'd', schema: { type: 'object', required: ['x'] }, examples: [{ x: 1, y: 2 }], deprecated: false }];
    assert.deepEqual(planApply(current, [{ name: 'a.b', description: 'd', schema: { required: ['x'], type: 'object' }, examples: [{ y: 2, x: 1 }] }]).unchanged, ['a.b']);
    assert.deepEqual(planApply(current, [{ name: 'a.b', description: 'd', examples: [{ x: 1, y: 2 }] }]).update, [{ name: 'a.b', patch: { schema: null } }]);
    // Array order is meaning (`required`, examples): a change.
    assert.equal(planApply(current, [{ ...current[0]!, examples: [{ x: 1, y: 2 }, 1] }]).update.length, 1);
  });

  void test('OpenAPI: refs into the schema itself are rebased onto its component; a schema with its own $id is left alone', () => {
    const base = '#/components/schemas/invoice.paid';
    assert.deepEqual(rebaseRefs({ properties: { a: { $ref: '#/$defs/m' }, b: { items: [{ $ref: '#' }] } }, $defs: { m: {} } }, base), {
      properties: { a: { $ref: `${base}/$defs/m` }, b: { items: [{ $ref: base }] } },
      $defs: { m: {} },
    });
    const own = { $id: 'https://example.com/s', properties: { a: { $ref: '#/$defs/m' } } };
    assert.deepEqual(rebaseRefs(own, base), own);
    assert.deepEqual(rebaseRefs({ properties: { x: { $ref: 'https://example.com/other' } } }, base), { properties: { x: { $ref: 'https://example.com/other' } } });
  });

  void test('the field table: nested objects and arrays of objects, local refs followed, recursion bounded', () => {
    const fields = schemaFields({
      type: 'object',
      required: ['id'],
      properties: {
        id: { type: 'string', format: 'uuid', description: 'The ID' },
        lines: { type: 'array', items: { $ref: '#/$defs/line' } },
        node: { $ref: '#/$defs/node' },
      },
      $defs: { line: { type: 'object', required: ['qty'], properties: { qty: { type: 'integer' } } }, node: { type: 'object', properties: { next: { $ref: '#/$defs/node' } } } },
    });
    assert.deepEqual(fields.slice(0, 4), [
      { path: 'id', type: 'string (uuid)', required: true, description: 'The ID' },
      { path: 'lines', type: 'array', required: false, description: null },
      { path: 'lines[].qty', type: 'integer', required: true, description: null },
      { path: 'node', type: 'object', required: false, description: null },
    ]);
    assert.equal(fields.filter((f) => f.path.startsWith('node')).length, 7, 'a self-referencing schema stops at the depth bound');
  });

  void test('strict subscriptions: exact names must exist; wildcards and operational types pass; open mode checks nothing', async () => {
    const asked: string[][] = [];
    const known = async (names: string[]) => (asked.push(names), new Set(names.filter((n) => n.startsWith('ok.'))));
    assert.deepEqual(await unknownSubscribedTypes(known, 'strict', ['ok.a', 'no.b', 'no.*', '*', 'hookflow.ping', 'no.c'], 'body.eventTypes'), [
      { path: 'body.eventTypes.1', message: 'is not in the event catalog (HOOKFLOW_EVENT_TYPES is strict: add it at /v1/event-types first, or use a wildcard)' },
      { path: 'body.eventTypes.5', message: 'is not in the event catalog (HOOKFLOW_EVENT_TYPES is strict: add it at /v1/event-types first, or use a wildcard)' },
    ]);
    assert.deepEqual(asked, [['ok.a', 'no.b', 'no.c']]);
    assert.deepEqual(await unknownSubscribedTypes(known, 'open', ['no.b'], 'body.eventTypes'), []);
    assert.deepEqual(await unknownSubscribedTypes(known, 'strict', ['x.*', '*'], 'body.eventTypes'), []);
    assert.equal(asked.length, 1, 'no look-up when nothing needs one');
  });

  void test('HOOKFLOW_EVENT_TYPES: open by default, strict when set, anything else named', () => {
    assert.equal(loadConfig({}).eventTypes, 'open');
    assert.equal(loadConfig({ HOOKFLOW_EVENT_TYPES: 'strict' }).eventTypes, 'strict');
    assert.throws(() => loadConfig({ HOOKFLOW_EVENT_TYPES: 'STRICT' }), /HOOKFLOW_EVENT_TYPES: must be open or strict \(got "STRICT"\)/);
  });
});
