import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ALL_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';

// The compose set-up job names the search attributes in shell; the workflows name them in code.
void test("the compose set-up job creates exactly the search attributes the workflows use", () => {
  const script = readFileSync(join(__dirname, '..', '..', 'deploy', 'compose', 'temporal-setup.sh'), 'utf8');
  const list = /^SEARCH_ATTRIBUTES=\(([^)]*)\)$/m.exec(script);
  assert.ok(list, 'SEARCH_ATTRIBUTES=(...) is in the script');
  assert.deepEqual(list[1]!.trim().split(/\s+/).sort(), ALL_SEARCH_ATTRIBUTES.map((k) => k.name).sort());
});
