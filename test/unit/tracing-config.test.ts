import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../src/config';
import { ConfigError } from '../../src/errors/config-error';
import { createLogger } from '../../src/logger';
import { startTracing } from '../../src/telemetry/tracing';
// Everything the API and worker processes load, so the check below covers their whole import graph.
import '../../src/server/api-process';
import '../../src/server/worker-process';

void test('tracing off (no endpoint): nothing of the OpenTelemetry SDK is loaded and no log mixin is installed', () => {
  const config = loadConfig({});
  assert.equal(config.tracing, undefined);
  assert.equal(startTracing(config), undefined);
  const loaded = Object.keys(require.cache).filter((m) => /@opentelemetry[\\/](sdk-|exporter-|resources)|@temporalio[\\/]interceptors-opentelemetry|src[\\/]telemetry[\\/]sdk/.test(m));
  assert.deepEqual(loaded, []);
  const lines: string[] = [];
  const log = createLogger(config, { destination: { write: (l: string) => void lines.push(l) } });
  log.info('hello');
  assert.deepEqual(Object.keys(JSON.parse(lines[0]!) as object).filter((k) => k.includes('trace')), []);
});

void test('OTEL_EXPORTER_OTLP_ENDPOINT turns tracing on: traces go to <endpoint>/v1/traces over http/protobuf', () => {
  assert.deepEqual(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).tracing, {
    url: 'http://collector:4318/v1/traces',
    protocol: 'http/protobuf',
    serviceName: 'hookflow',
  });
  // The signal's own endpoint is used as given, and its protocol wins over the general one.
  assert.deepEqual(
    loadConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example/ingest',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
      OTEL_SERVICE_NAME: 'hookflow-worker',
    }).tracing,
    { url: 'https://traces.example/ingest', protocol: 'http/json', serviceName: 'hookflow-worker' },
  );
  assert.equal(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'true' }).tracing, undefined);
});

void test('bad OTEL_* values stop start-up with the variable named', () => {
  let error: unknown;
  try {
    loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_SDK_DISABLED: 'maybe' });
  } catch (err) {
    error = err;
  }
  assert.ok(error instanceof ConfigError);
  assert.match(error.message, /OTEL_EXPORTER_OTLP_ENDPOINT: must be an absolute http\(s\) URL/);
  assert.match(error.message, /OTEL_EXPORTER_OTLP_PROTOCOL: must be http\/protobuf or http\/json \(OTLP over gRPC is not supported/);
  assert.match(error.message, /OTEL_SDK_DISABLED/);
});
