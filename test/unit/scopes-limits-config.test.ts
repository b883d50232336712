import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { parseApiKey } from '../../src/auth/api-keys';
import { grants } from '../../src/auth/scopes';
import { loadConfig } from '../../src/config';
import { ConfigError } from '../../src/errors/config-error';
import { resolveSecretKeys } from '../../src/security/secret-keys-source';

const KEY = 'k'.repeat(20);

void describe('HOOKFLOW_API_KEYS scopes, rate limits, HOOKFLOW_SECRET_KEYS sources', () => {
  void test('key:scope+scope; a key without scopes is admin; admin implies every scope', () => {
    const plain = parseApiKey(KEY);
    assert.deepEqual([...plain.scopes], ['admin']);
    assert.ok(grants(plain.scopes, 'events:write') && grants(plain.scopes, 'metrics:read'));
    const writer = parseApiKey(`${KEY}:events:write+read`);
    assert.equal(writer.key, KEY);
    assert.deepEqual([...writer.scopes], ['events:write', 'read']);
    assert.ok(grants(writer.scopes, 'read') && !grants(writer.scopes, 'subscriptions:write') && !grants(writer.scopes, 'admin'));
    assert.match(writer.id, /^key_[0-9a-f]{12}$/);
    assert.equal(writer.id, plain.id, 'the ID names the key, whatever its scopes');
  });

  void test('an unknown scope or a short key is named by position; the key itself is never echoed', () => {
    assert.throws(
      () => loadConfig({ HOOKFLOW_API_KEYS: `${KEY},secret-0123456789abcdef:events:wrte,short` }),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.match(e.message, /entry 2: unknown scope "events:wrte"/);
        assert.match(e.message, /entry 3: each API key must be at least 16 characters/);
        assert.doesNotMatch(e.message, /secret-0123456789abcdef|kkkkkkkk/);
        return true;
      },
    );
  });

  void test('rate limits: <requests>/<window>, off, and generous defaults with ingest separate', () => {
    const d = loadConfig({}).rateLimits;
    assert.deepEqual(d, {
      api: { max: 1000, windowMs: 1000, label: '1s' },
      ingest: { max: 5000, windowMs: 1000, label: '1s' },
      authFailures: { max: 100, windowMs: 60_000, label: '1m' },
    });
    assert.equal(loadConfig({ HOOKFLOW_AUTH_FAILURE_LIMIT: 'off' }).rateLimits.authFailures.max, undefined);
    assert.throws(() => loadConfig({ HOOKFLOW_AUTH_FAILURE_LIMIT: 'lots' }), /HOOKFLOW_AUTH_FAILURE_LIMIT: must be <requests>\/<window>/);
    const c = loadConfig({ HOOKFLOW_RATE_LIMIT: '600/1m', HOOKFLOW_RATE_LIMIT_INGEST: 'off' }).rateLimits;
    assert.deepEqual(c.api, { max: 600, windowMs: 60_000, label: '1m' });
    assert.equal(c.ingest.max, undefined);
    assert.throws(() => loadConfig({ HOOKFLOW_RATE_LIMIT: '10 per second' }), /HOOKFLOW_RATE_LIMIT: must be <requests>\/<window>/);
  });

  void test('HOOKFLOW_SECRET_KEYS: required in production with a how-to; dev makes one (0600) and api/worker reuse it', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hookflow-keys-'));
    try {
      assert.throws(
        () => resolveSecretKeys(loadConfig({ NODE_ENV: 'production', HOOKFLOW_DATA_DIR: dir }), { generate: false }),
        (e: unknown) => e instanceof ConfigError && /HOOKFLOW_SECRET_KEYS: is required in production/.test(e.message) && /openssl rand -base64 32/.test(e.message),
      );
      const outsideDev = loadConfig({ HOOKFLOW_DATA_DIR: dir });
      assert.throws(() => resolveSecretKeys(outsideDev, { generate: false }), /no .*secret-keys from `hookflow dev`/);
      const dev = loadConfig({ HOOKFLOW_DATA_DIR: dir });
      assert.equal(resolveSecretKeys(dev, { generate: true }), 'generated');
      const file = path.join(dir, 'secret-keys');
      assert.equal(statSync(file).mode & 0o777, 0o600);
      assert.equal(readFileSync(file, 'utf8').trim(), dev.secretKeys);
      const api = loadConfig({ HOOKFLOW_DATA_DIR: dir });
      assert.equal(resolveSecretKeys(api, { generate: false }), 'file');
      assert.equal(api.secretKeys, dev.secretKeys, 'api and worker read what dev wrote');
      const set = loadConfig({ NODE_ENV: 'production', HOOKFLOW_SECRET_KEYS: `p1:${Buffer.alloc(32, 1).toString('base64')}` });
      assert.equal(resolveSecretKeys(set, { generate: false }), 'environment');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
