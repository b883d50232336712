// The `npm start` banner shows a generated dev key whole, and never an operator's own key.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bannerKeyLine } from '../../src/dev/banner-key';

void test('a generated key is shown; a given one is named, not printed', () => {
  assert.equal(bannerKeyLine(['hf_dev_abc123abc123abc123'], true), 'hf_dev_abc123abc123abc123');
  const given = 'prod-secret-0123456789abcdef';
  const line = bannerKeyLine([`${given}:events:write`, 'another-key-0123456789'], false);
  assert.ok(!line.includes(given), line);
  assert.ok(!line.includes(given.slice(4)), line);
  assert.match(line, /^prod… from HOOKFLOW_API_KEYS \(key_[0-9a-f]{12}, and 1 more; not shown\)$/);
});
