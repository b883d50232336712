import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../src/config';
import { ConfigError } from '../../src/errors/config-error';

void test('defaults: a usable development config from an empty environment', () => {
  const c = loadConfig({});
  assert.equal(c.env, 'development');
  assert.equal(c.port, 3000);
  assert.equal(c.temporal.taskQueue, 'hookflow-deliveries');
  assert.deepEqual(c.retry, { maxAttempts: 8, initialIntervalMs: 5_000, backoffCoefficient: 3, maxIntervalMs: 7_200_000 });
  assert.equal(c.allowPrivateUrls, undefined, 'unset, so dev can choose and warn');
  assert.deepEqual(c.apiKeys, []);
});

void test('every bad variable is named in one error, without echoing secrets', () => {
  const secretKey = 'short';
  let error: unknown;
  try {
    loadConfig({ PORT: 'eighty', HOOKFLOW_API_KEYS: secretKey, HOOKFLOW_ALLOW_PRIVATE_URLS: 'maybe', TEMPORAL_ADDRESS: 'nohostport', NODE_ENV: 'prod' });
  } catch (err) {
    error = err;
  }
  assert.ok(error instanceof ConfigError);
  for (const name of ['PORT', 'HOOKFLOW_API_KEYS', 'HOOKFLOW_ALLOW_PRIVATE_URLS', 'TEMPORAL_ADDRESS', 'NODE_ENV']) {
    assert.match(error.message, new RegExp(name), `${name} is named`);
  }
  assert.ok(!error.message.includes(`"${secretKey}"`), 'API key value not echoed');
  assert.match(error.message, /"eighty"/, 'non-secret values are shown to help');
});

void test('comma lists, booleans and cross-field rules', () => {
  const c = loadConfig({
    HOOKFLOW_API_KEYS: ' key-aaaaaaaaaaaaaaaa , key-bbbbbbbbbbbbbbbb ',
    HOOKFLOW_ALLOW_PRIVATE_URLS: 'false',
    HOOKFLOW_ALLOWED_CIDRS: '10.1.0.0/16,192.168.5.0/24',
  });
  assert.deepEqual(c.apiKeys, ['key-aaaaaaaaaaaaaaaa', 'key-bbbbbbbbbbbbbbbb']);
  assert.equal(c.allowPrivateUrls, false);
  assert.deepEqual(c.allowedCidrs, ['10.1.0.0/16', '192.168.5.0/24']);
  assert.throws(
    () => loadConfig({ HOOKFLOW_RETRY_INITIAL_INTERVAL_MS: '10000', HOOKFLOW_RETRY_MAX_INTERVAL_MS: '5000' }),
    /HOOKFLOW_RETRY_MAX_INTERVAL_MS/,
  );
  // Empty values (FOO= in a compose file) count as unset rather than as errors.
  assert.equal(loadConfig({ PORT: '' }).port, 3000);
});
