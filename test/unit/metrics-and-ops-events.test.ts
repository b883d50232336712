import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import pino from 'pino';
import { REDACTED_PATHS } from '../../src/logger';
import { Metrics } from '../../src/metrics/registry';
import { statusClass } from '../../src/metrics/status-class';
import { opsEventId } from '../../src/ops-events/emitter';
import { isOperationalType, isOperatorSubscription } from '../../src/ops-events/types';
import { parseExposition, total } from '../support/metrics';

void test('status classes: codes by hundred, refused before anything, timeouts apart from other network errors', () => {
  assert.equal(statusClass({ statusCode: 200 }), '2xx');
  assert.equal(statusClass({ statusCode: 299 }), '2xx');
  assert.equal(statusClass({ statusCode: 302 }), '3xx');
  assert.equal(statusClass({ statusCode: 410 }), '4xx');
  assert.equal(statusClass({ statusCode: 503 }), '5xx');
  assert.equal(statusClass({ statusCode: 999 }), 'other');
  assert.equal(statusClass({ errorClass: 'Timeout' }), 'timeout');
  assert.equal(statusClass({ errorClass: 'ECONNREFUSED' }), 'network');
  assert.equal(statusClass({ errorClass: 'AddressNotAllowed', refused: true }), 'refused');
});

void test('operational event IDs depend only on type and key, and fit the event ID pattern', () => {
  const a = opsEventId('hookflow.delivery.failing', 'dlv_1|1');
  assert.equal(a, opsEventId('hookflow.delivery.failing', 'dlv_1|1'));
  assert.notEqual(a, opsEventId('hookflow.delivery.failing', 'dlv_1|2'));
  assert.notEqual(a, opsEventId('hookflow.delivery.recovered', 'dlv_1|1'));
  assert.match(a, /^hfop_[0-9a-f]{40}$/);
});

void test('reserved types and operator subscriptions', () => {
  assert.ok(isOperationalType('hookflow.delivery.failing'));
  assert.ok(!isOperationalType('myhookflow.x'));
  assert.ok(isOperatorSubscription(['hookflow.*']));
  assert.ok(isOperatorSubscription(['hookflow.delivery.failing', 'hookflow.subscription.disabled']));
  assert.ok(!isOperatorSubscription(['hookflow.*', 'invoice.*']));
  assert.ok(!isOperatorSubscription(['*']));
  assert.ok(!isOperatorSubscription([]));
});

void test('the tenant label appears only when enabled', async () => {
  for (const tenantLabel of [false, true]) {
    const m = new Metrics({ tenantLabel });
    m.attempt('2xx', 12, 'acme');
    m.deliveryFinished('succeeded', 'acme');
    const samples = parseExposition(await m.render());
    const attempts = samples.filter((s) => s.name === 'hookflow_delivery_attempts_total');
    assert.deepEqual(attempts.map((s) => s.labels), [tenantLabel ? { status_class: '2xx', tenant: 'acme' } : { status_class: '2xx' }]);
    assert.equal(total(samples, 'hookflow_delivery_attempt_duration_seconds_count'), 1);
    assert.ok(samples.filter((s) => s.name.startsWith('hookflow_delivery_attempt_duration')).every((s) => !('tenant' in s.labels)));
  }
});

void test('a gauge whose source fails keeps its last value and does not fail the scrape', async () => {
  const m = new Metrics();
  let fail = false;
  m.gauge('hookflow_test_gauge', 'test', () => {
    if (fail) throw new Error('database down');
    return 7;
  });
  assert.equal(total(parseExposition(await m.render()), 'hookflow_test_gauge'), 7);
  fail = true;
  assert.equal(total(parseExposition(await m.render()), 'hookflow_test_gauge'), 7);
});

void test('logs redact authorization headers, secrets, tokens and API keys wherever they sit', () => {
  const lines: string[] = [];
  const sink = new Writable({ write: (chunk: Buffer, _e, cb) => (lines.push(chunk.toString()), cb()) });
  const log = pino({ redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, sink);
  const secret = 'whsec_c2VjcmV0LXZhbHVlLXRoYXQtbXVzdC1uZXZlci1sZWFr';
  log.info({ req: { headers: { authorization: `Bearer hf_live_abc123456789` } } }, 'request');
  log.info({ headers: { authorization: 'Bearer x-top-secret-key' } }, 'outgoing');
  log.info({ subscription: { id: 'sub_1', secret, previous_secret: secret } }, 'row');
  log.info({ secret, token: 'hft_0123456789abcdef' }, 'body');
  log.info({ config: { apiKeys: ['k-0123456789abcdef'], payloadKey: 'k1:AAAA', databaseUrl: 'postgres://u:pw@h/db' } }, 'config');
  log.info({ err: { config: { apiKeys: ['k-0123456789abcdef'] } } }, 'nested');
  const out = lines.join('');
  for (const leaked of ['hf_live_abc123456789', 'x-top-secret-key', secret, 'hft_0123456789abcdef', 'k-0123456789abcdef', 'k1:AAAA', 'pw@h']) {
    assert.ok(!out.includes(leaked), `${leaked} leaked: ${out}`);
  }
  assert.ok(out.includes('sub_1'), 'non-secret fields stay');
});
