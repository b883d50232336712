import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http2 from 'node:http2';
import net, { type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import tls from 'node:tls';
import { Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { loadConfig } from '../../src/config';
import { connectClient } from '../../src/temporal/client';
import { connectionOptions } from '../../src/temporal/connection-options';
import { connectNative } from '../../src/temporal/native-connection';

// A TLS front for the real dev server, as a cluster's load balancer or Temporal Cloud would be: it
// terminates TLS (requiring a client certificate from the test CA) and pipes the gRPC bytes to the
// dev server's plain port. hookflow's connections must get through it with the TEMPORAL_TLS_*
// settings, and be refused without a trusted client certificate.
const fixture = (name: string) => join(__dirname, '..', 'fixtures', 'tls', name);
const read = (name: string) => readFileSync(fixture(name));
const upstream = process.env.HOOKFLOW_TEST_TEMPORAL_ADDRESS!;
const [upstreamHost, upstreamPort] = [upstream.slice(0, upstream.lastIndexOf(':')), Number(upstream.slice(upstream.lastIndexOf(':') + 1))];

let proxy: tls.Server;
let proxyAddress = '';
const open = new Set<net.Socket>();
const handshakes: { authorized: boolean; error?: string }[] = [];

before(async () => {
  proxy = tls.createServer(
    { key: read('server.key'), cert: read('server.crt'), ca: [read('ca.crt')], requestCert: true, rejectUnauthorized: true, ALPNProtocols: ['h2'] },
    (socket) => {
      handshakes.push({ authorized: socket.authorized });
      const backend = net.connect(upstreamPort, upstreamHost);
      open.add(socket).add(backend);
      socket.pipe(backend).pipe(socket);
      const end = () => {
        socket.destroy();
        backend.destroy();
      };
      socket.on('error', end).on('close', end);
      backend.on('error', end).on('close', end);
    },
  );
  proxy.on('tlsClientError', (err) => handshakes.push({ authorized: false, error: err.message }));
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  proxyAddress = `127.0.0.1:${(proxy.address() as AddressInfo).port}`;
});
after(() => {
  for (const socket of open) socket.destroy();
  proxy.close();
});

const tlsEnv = (extra: Record<string, string> = {}) => ({
  TEMPORAL_ADDRESS: proxyAddress,
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: fixture('ca.crt'),
  TEMPORAL_TLS_SERVER_NAME: 'temporal.test',
  ...extra,
});

void test('mutual TLS: the client (API, migrate) and the native connection (worker) both reach Temporal through TLS', { timeout: 60_000 }, async () => {
  const config = loadConfig(tlsEnv({ TEMPORAL_TLS_CLIENT_CERT_PATH: fixture('worker.crt'), TEMPORAL_TLS_CLIENT_KEY_PATH: fixture('worker.key') }));
  const before = handshakes.filter((h) => h.authorized).length;

  const { client, connection } = await connectClient(config);
  try {
    const info = await client.workflowService.getSystemInfo({});
    assert.ok(info.serverVersion, 'the dev server answered through the TLS front');
  } finally {
    await connection.close();
  }

  const native = await connectNative(config);
  try {
    const info = await native.workflowService.getSystemInfo({});
    assert.ok(info.serverVersion);
  } finally {
    await native.close();
  }
  assert.ok(handshakes.filter((h) => h.authorized).length >= before + 2, 'both connections presented the trusted client certificate');
});

void test('without a client certificate, or with one from another CA, the TLS front refuses the connection', { timeout: 60_000 }, async () => {
  for (const env of [tlsEnv(), tlsEnv({ TEMPORAL_TLS_CLIENT_CERT_PATH: fixture('client-b.crt'), TEMPORAL_TLS_CLIENT_KEY_PATH: fixture('client-b.key') })]) {
    const failedBefore = handshakes.filter((h) => !h.authorized).length;
    const config = loadConfig(env);
    await assert.rejects(NativeConnection.connect({ ...connectionOptions(config.temporal) }));
    assert.ok(handshakes.filter((h) => !h.authorized).length > failedBefore, 'the front saw and refused the handshake');
  }
});

void test('an API key travels as a bearer token with the namespace, over TLS', { timeout: 60_000 }, async () => {
  // An HTTP/2 TLS endpoint that records what a gRPC call carries and answers UNAUTHENTICATED.
  const seen: http2.IncomingHttpHeaders[] = [];
  const server = http2.createSecureServer({ key: read('server.key'), cert: read('server.crt') });
  server.on('stream', (stream, headers) => {
    seen.push(headers);
    // A trailers-only gRPC response: the status travels in the one HEADERS frame that ends the stream.
    stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '16', 'grpc-message': 'recorded' }, { endStream: true });
  });
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (session) => sessions.add(session));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const config = loadConfig({
      TEMPORAL_ADDRESS: `127.0.0.1:${(server.address() as AddressInfo).port}`,
      TEMPORAL_NAMESPACE: 'payments.a1b2c',
      TEMPORAL_API_KEY: 'test-api-key-123',
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: fixture('ca.crt'),
      TEMPORAL_TLS_SERVER_NAME: 'temporal.test',
    });
    // The API's client (a lazy connection, so a refused call cannot leak its channel) ...
    const client = Connection.lazy(connectionOptions(config.temporal));
    try {
      await assert.rejects(client.workflowService.getSystemInfo({}), /recorded/);
    } finally {
      await client.close();
    }
    // ... and the worker's native connection, which calls the server as it connects.
    await assert.rejects(NativeConnection.connect({ ...connectionOptions(config.temporal) }));
    assert.ok(seen.length >= 2, `both connections reached the TLS endpoint (${seen.length} requests)`);
    for (const headers of seen) {
      assert.equal(headers.authorization, 'Bearer test-api-key-123');
      assert.equal(headers['temporal-namespace'], 'payments.a1b2c');
    }
  } finally {
    for (const session of sessions) session.destroy();
    server.close();
  }
});
