// hookflow/client's types are generated from the OpenAPI document (npm run generate:client) and
// committed; this fails when a route's schema changed and src/client/schema.ts was not regenerated.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { CLIENT_SCHEMA_PATH, clientTypesFrom } from '../../tools/client-types';
import { startStack, type Stack } from '../support/stack';

void describe('the typed client against the served OpenAPI document', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({}, { worker: false });
  });
  after(async () => stack?.stop());

  void test('src/client/schema.ts is what openapi-typescript makes of /docs/json now', async () => {
    const doc = (await (await fetch(`${stack.url}/docs/json`)).json()) as object;
    const committed = readFileSync(CLIENT_SCHEMA_PATH, 'utf8');
    const fresh = await clientTypesFrom(doc);
    assert.ok(fresh.includes('"/v1/subscriptions/{id}/test"'), 'the document has the routes');
    // A diff of 5,000 lines is no help: name the first line that differs and how to fix it.
    if (fresh !== committed) {
      const a = committed.split('\n');
      const b = fresh.split('\n');
      const at = b.findIndex((line, i) => line !== a[i]);
      assert.fail(`src/client/schema.ts has drifted from the API (line ${at + 1}: ${JSON.stringify(a[at])} should be ${JSON.stringify(b[at])}): run npm run generate:client`);
    }
  });
});
