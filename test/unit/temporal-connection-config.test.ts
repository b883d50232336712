import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadConfig } from '../../src/config';
import { ConfigError } from '../../src/errors/config-error';
import { connectionOptions } from '../../src/temporal/connection-options';

// Self-signed P-256 pairs made for these tests only (a and b do not match each other).
const fixture = (name: string) => join(__dirname, '..', 'fixtures', 'tls', name);
const CERT_A = fixture('client-a.crt');
const KEY_A = fixture('client-a.key');
const KEY_B = fixture('client-b.key');
const CA = fixture('client-b.crt');

const scratch = mkdtempSync(join(tmpdir(), 'hookflow-tls-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function problemsOf(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.message;
  }
  assert.fail('expected a ConfigError');
}

void test('no TLS settings: plain text to the address, nothing else in the options', () => {
  const c = loadConfig({ TEMPORAL_ADDRESS: 'temporal:7233' });
  assert.equal(c.temporal.tls, undefined);
  assert.equal(c.temporal.apiKey, undefined);
  assert.deepEqual(connectionOptions(c.temporal), { address: 'temporal:7233' });
});

void test('mutual TLS: the files are read at start-up and handed to the connection with the CA and server name', () => {
  const c = loadConfig({
    TEMPORAL_ADDRESS: 'payments.a1b2c.tmprl.cloud:7233',
    TEMPORAL_NAMESPACE: 'payments.a1b2c',
    TEMPORAL_TLS_CLIENT_CERT_PATH: CERT_A,
    TEMPORAL_TLS_CLIENT_KEY_PATH: KEY_A,
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: CA,
    TEMPORAL_TLS_SERVER_NAME: 'frontend.temporal.internal',
  });
  const options = connectionOptions(c.temporal);
  assert.equal(options.address, 'payments.a1b2c.tmprl.cloud:7233');
  assert.ok(options.tls && typeof options.tls === 'object');
  assert.equal(options.tls.serverNameOverride, 'frontend.temporal.internal');
  assert.match(options.tls.clientCertPair!.crt.toString(), /BEGIN CERTIFICATE/);
  assert.match(options.tls.clientCertPair!.key.toString(), /BEGIN PRIVATE KEY/);
  assert.match(options.tls.serverRootCACertificate!.toString(), /BEGIN CERTIFICATE/);
  assert.equal(options.apiKey, undefined, 'no API key unless one is set');
  assert.equal(options.metadata, undefined);
});

void test('TEMPORAL_TLS=true alone: TLS with the system trust store', () => {
  const c = loadConfig({ TEMPORAL_TLS: 'true' });
  assert.deepEqual(c.temporal.tls, {});
  const options = connectionOptions(c.temporal);
  assert.deepEqual(options.tls, { serverNameOverride: undefined, serverRootCACertificate: undefined, clientCertPair: undefined });
});

void test('an API key turns TLS on and routes by namespace; TEMPORAL_TLS=false keeps it on plain text', () => {
  const cloud = loadConfig({ TEMPORAL_API_KEY: 'eyJhbGciOi.secret-part', TEMPORAL_NAMESPACE: 'payments.a1b2c' });
  const options = connectionOptions(cloud.temporal);
  assert.equal(options.apiKey, 'eyJhbGciOi.secret-part');
  assert.deepEqual(options.metadata, { 'temporal-namespace': 'payments.a1b2c' });
  assert.ok(options.tls, 'Temporal Cloud takes API keys over TLS only');

  const proxy = loadConfig({ TEMPORAL_API_KEY: 'eyJhbGciOi.secret-part', TEMPORAL_TLS: 'false' });
  assert.equal(proxy.temporal.tls, undefined);
  assert.equal(connectionOptions(proxy.temporal).tls, undefined);
});

void test('a certificate without its key, or a key without its certificate, names the missing variable', () => {
  assert.match(problemsOf({ TEMPORAL_TLS_CLIENT_CERT_PATH: CERT_A }), /TEMPORAL_TLS_CLIENT_KEY_PATH: must be set with TEMPORAL_TLS_CLIENT_CERT_PATH/);
  assert.match(problemsOf({ TEMPORAL_TLS_CLIENT_KEY_PATH: KEY_A }), /TEMPORAL_TLS_CLIENT_CERT_PATH: must be set with TEMPORAL_TLS_CLIENT_KEY_PATH/);
});

void test('a key that is not the certificate\'s is refused at start-up, not at the first handshake', () => {
  assert.match(
    problemsOf({ TEMPORAL_TLS_CLIENT_CERT_PATH: CERT_A, TEMPORAL_TLS_CLIENT_KEY_PATH: KEY_B }),
    /TEMPORAL_TLS_CLIENT_KEY_PATH: is not the private key of TEMPORAL_TLS_CLIENT_CERT_PATH/,
  );
});

void test('missing and malformed files name the variable and the path, never the file\'s bytes', () => {
  const missing = join(scratch, 'nope.crt');
  assert.match(problemsOf({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: missing }), new RegExp(`TEMPORAL_TLS_SERVER_CA_CERT_PATH: cannot read the file \\(ENOENT\\) \\(got "${missing}"\\)`));

  const notAKey = join(scratch, 'not-a-key.pem');
  writeFileSync(notAKey, 'hunter2-secret-material');
  const message = problemsOf({ TEMPORAL_TLS_CLIENT_CERT_PATH: CERT_A, TEMPORAL_TLS_CLIENT_KEY_PATH: notAKey });
  assert.match(message, /TEMPORAL_TLS_CLIENT_KEY_PATH: is not a PEM private key/);
  assert.ok(!message.includes('hunter2'), 'file contents are not echoed');

  // A key where the certificate belongs.
  assert.match(problemsOf({ TEMPORAL_TLS_CLIENT_CERT_PATH: KEY_A, TEMPORAL_TLS_CLIENT_KEY_PATH: KEY_A }), /TEMPORAL_TLS_CLIENT_CERT_PATH: is not a PEM certificate/);
});

void test('TLS settings with TEMPORAL_TLS=false, a bad server name and a bad API key are each named; the key is not echoed', () => {
  const message = problemsOf({
    TEMPORAL_TLS: 'false',
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: CA,
    TEMPORAL_TLS_SERVER_NAME: 'not a host',
    TEMPORAL_API_KEY: 'two words',
  });
  assert.match(message, /TEMPORAL_TLS: is false, but TEMPORAL_TLS_SERVER_CA_CERT_PATH is a TLS setting/);
  assert.match(message, /TEMPORAL_TLS_SERVER_NAME: must be a DNS name \(got "not a host"\)/);
  assert.match(message, /TEMPORAL_API_KEY: must be one token without spaces/);
  assert.ok(!message.includes('two words'), 'the API key is a secret');
});
