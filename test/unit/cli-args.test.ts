// The CLI's pure parts: where it points by default, how it reads --since, and how an API error is read.
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { HookflowApiError } from '../../src/client';
import { resolveApiTarget } from '../../src/cli/api-target';
import { CliError } from '../../src/cli/errors';
import { parseDuration, parseIntIn, parseSince } from '../../src/cli/when';

void describe('CLI arguments and defaults', () => {
  void test('HOOKFLOW_URL and HOOKFLOW_API_KEY win; in a dev checkout npm start\'s URL (PORT) and .hookflow/dev-api-key are the defaults', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hookflow-cli-'));
    try {
      assert.deepEqual(resolveApiTarget({ HOOKFLOW_URL: 'http://127.0.0.1:9999/', HOOKFLOW_API_KEY: 'k' }, dir), { url: 'http://127.0.0.1:9999', apiKey: 'k' });
      assert.throws(() => resolveApiTarget({}, dir), (e: unknown) => e instanceof CliError && /set HOOKFLOW_API_KEY/.test(e.message) && /\.hookflow\/dev-api-key/.test(e.message));
      mkdirSync(path.join(dir, '.hookflow'));
      writeFileSync(path.join(dir, '.hookflow', 'dev-api-key'), 'hf_dev_abc\n');
      assert.deepEqual(resolveApiTarget({}, dir), { url: 'http://localhost:3000', apiKey: 'hf_dev_abc' });
      assert.deepEqual(resolveApiTarget({ PORT: '3100' }, dir), { url: 'http://localhost:3100', apiKey: 'hf_dev_abc' });
      mkdirSync(path.join(dir, 'state'));
      writeFileSync(path.join(dir, 'state', 'dev-api-key'), 'hf_dev_other');
      assert.equal(resolveApiTarget({ HOOKFLOW_DATA_DIR: 'state' }, dir).apiKey, 'hf_dev_other');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  void test('--since takes a duration back from now or an ISO date-time, and nothing else', () => {
    const now = Date.parse('2025-01-31T12:00:00.000Z');
    assert.equal(parseSince('1h', now), '2025-01-31T11:00:00.000Z');
    assert.equal(parseSince('30m', now), '2025-01-31T11:30:00.000Z');
    assert.equal(parseSince('2 days', now), '2025-01-29T12:00:00.000Z');
    assert.equal(parseSince('2025-01-30T08:00:00Z', now), '2025-01-30T08:00:00.000Z');
    assert.equal(parseSince('2025-01-30T09:00:00+01:00', now), '2025-01-30T08:00:00.000Z');
    for (const bad of ['yesterday', '', '1 fortnight', 'Jan 30']) assert.throws(() => parseSince(bad, now), /expected a duration/);
    assert.equal(parseDuration('10m'), 600_000);
    assert.throws(() => parseDuration('0s'), /expected a duration/);
    assert.equal(parseIntIn(1, 100)('20'), 20);
    for (const bad of ['0', '101', '1.5', '-1', 'ten']) assert.throws(() => parseIntIn(1, 100)(bad), /from 1 to 100/);
  });

  void test('an error answer keeps the problem\'s title, detail and fields; a non-problem body becomes the detail', () => {
    const e = new HookflowApiError(400, { type: 't', title: 'Validation Failed', status: 400, detail: 'body.type: bad', errors: [{ path: 'body.type', message: 'bad' }] });
    assert.deepEqual([e.status, e.title, e.detail, e.errors], [400, 'Validation Failed', 'body.type: bad', [{ path: 'body.type', message: 'bad' }]]);
    const text = new HookflowApiError(502, '<html>Bad Gateway</html>');
    assert.deepEqual([text.title, text.detail, text.errors], ['HTTP 502', '<html>Bad Gateway</html>', []]);
  });
});
