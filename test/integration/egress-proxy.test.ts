// HOOKFLOW_EGRESS_PROXY against a real forward proxy (Debian's tinyproxy on 127.0.0.1): every
// delivery request is in the proxy's log, https goes through a CONNECT tunnel, and the SSRF guard
// still refuses a private destination before anything reaches the proxy.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { request } from 'undici';
import { loadConfig } from '../../src/config';
import { EgressProxyAgent } from '../../src/security/egress-proxy';
import { isAddressNotAllowedError } from '../../src/security/guarded-agent';
import { attemptsOf, waitForState } from '../support/engine';
import { startForwardProxy, type ForwardProxy } from '../support/forward-proxy';
import { receiverPool } from '../support/receiver';
import { startStack, type Stack } from '../support/stack';

// Loopback is private: only 127.0.0.1 is let through, so 127.0.0.2 stands for an internal address.
const POLICY = { allowPrivate: false, allowedCidrs: ['127.0.0.1/32'] };

void describe('egress proxy', () => {
  const pool = receiverPool();
  let proxy: ForwardProxy;
  let stack: Stack;

  before(async () => {
    proxy = await startForwardProxy();
    stack = await startStack({ HOOKFLOW_EGRESS_PROXY: proxy.url, HOOKFLOW_ALLOW_PRIVATE_URLS: 'false', HOOKFLOW_ALLOWED_CIDRS: '127.0.0.1/32' });
  });
  after(async () => {
    await stack?.stop();
    await proxy?.stop();
    await pool.closeAll();
  });

  void test('HOOKFLOW_EGRESS_PROXY must be http://host:port, and a bad value never echoes it', () => {
    for (const bad of ['https://proxy.internal:3128', 'socks5://127.0.0.1:1080', 'http://user:pw@127.0.0.1:3128/path', 'not a url']) {
      assert.throws(() => loadConfig({ HOOKFLOW_EGRESS_PROXY: bad }), (err: Error) => {
        assert.match(err.message, /HOOKFLOW_EGRESS_PROXY: must be http:\/\/host:port/);
        assert.ok(!err.message.includes('pw@'), 'the value (which may hold credentials) was echoed');
        return true;
      });
    }
    assert.equal(loadConfig({ HOOKFLOW_EGRESS_PROXY: 'http://127.0.0.1:3128' }).egressProxy, 'http://127.0.0.1:3128');
  });

  void test('every delivery request, retries included, goes through the proxy and still verifies', async () => {
    const r = await pool.start((_req, i) => ({ status: i === 1 ? 503 : 200 }));
    const created = await stack.call('POST', '/v1/subscriptions', { url: r.url, eventTypes: ['proxied.thing'], headers: { 'X-Via-Test': 'yes' } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    r.secrets = [created.body.secret];
    const deliveries: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await stack.call('POST', '/v1/events', { type: 'proxied.thing', data: { i } });
      deliveries.push(res.body.deliveries[0].id);
    }
    for (const id of deliveries) await waitForState(stack, id, 'succeeded');
    assert.equal(r.received.length, 4, 'three deliveries, one of them retried once');
    for (const got of r.received) {
      assert.equal(got.verified, true, got.verifyError);
      assert.equal(got.headers['x-via-test'], 'yes');
    }
    const path = new URL(r.url).pathname;
    const logged = proxy.requests().filter((line) => line.includes(`${new URL(r.url).host}${path}`));
    assert.deepEqual(logged, r.received.map(() => `POST ${r.url} HTTP/1.1`), `the proxy logged:\n${proxy.requests().join('\n')}`);
  });

  void test('a destination that became private is refused before the proxy is asked, and not retried', async () => {
    const r = await pool.start();
    const created = await stack.call('POST', '/v1/subscriptions', { url: r.url, eventTypes: ['proxied.private'] });
    assert.equal(created.status, 201);
    // As if its DNS now pointed inside: the URL passed registration, the delivery must still refuse it.
    const privateUrl = r.url.replace('127.0.0.1', '127.0.0.2');
    await stack.db.query('UPDATE subscriptions SET url = $2 WHERE id = $1', [created.body.id, privateUrl]);
    const before = proxy.requests().length;
    const res = await stack.call('POST', '/v1/events', { type: 'proxied.private', data: {} });
    const id = res.body.deliveries[0].id as string;
    await waitForState(stack, id, 'dead_lettered');
    const attempts = await attemptsOf(stack, id);
    assert.equal(attempts.length, 1, 'a refusal is not retried');
    assert.equal(attempts[0].outcome, 'refused', JSON.stringify(attempts[0]));
    assert.match(attempts[0].errorMessage, /refusing to connect to 127\.0\.0\.2/);
    assert.equal(proxy.requests().length, before, 'the proxy was asked for a refused destination');
    assert.equal(r.received.length, 0);
  });

  void test('https goes through a CONNECT tunnel (TLS end to end); a name resolving to a refused address never reaches the proxy', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hookflow-tls-'));
    const server = await httpsServer(dir);
    const port = (server.address() as AddressInfo).port;
    const dispatcher = new EgressProxyAgent({ proxyUrl: proxy.url, policy: POLICY, connectTimeoutMs: 2_000, requestTls: { ca: readFileSync(path.join(dir, 'cert.pem')) } });
    try {
      const before = proxy.requests().length;
      for (let i = 0; i < 2; i++) {
        const res = await request(`https://127.0.0.1:${port}/tls`, { method: 'POST', body: '{}', dispatcher });
        assert.equal(res.statusCode, 200);
        assert.equal(await res.body.text(), 'tls ok');
      }
      const tunnels = proxy.requests().slice(before);
      assert.ok(tunnels.length >= 1 && tunnels.every((l) => l === `CONNECT 127.0.0.1:${port} HTTP/1.1`), tunnels.join('\n'));

      // An IP literal is judged as it is; a name by every address it resolves to (localhost: loopback,
      // refused by a policy that lets no private address through).
      const strict = new EgressProxyAgent({ proxyUrl: proxy.url, policy: { allowPrivate: false, allowedCidrs: [] }, connectTimeoutMs: 2_000 });
      const cases = [[dispatcher, `https://127.0.0.2:${port}/x`], [dispatcher, `http://127.0.0.2:${port}/x`], [strict, `http://localhost:${port}/x`]] as const;
      for (const [via, url] of cases) {
        const refused = await request(url, { method: 'POST', body: '{}', dispatcher: via }).then(
          () => undefined,
          (err: unknown) => err,
        );
        assert.ok(isAddressNotAllowedError(refused), `${url}: ${String(refused)}`);
      }
      await strict.close();
      assert.equal(proxy.requests().length, before + tunnels.length, 'a refused destination reached the proxy');
    } finally {
      await dispatcher.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** An https server on 127.0.0.1 with a self-signed certificate made by openssl for this run. */
async function httpsServer(dir: string): Promise<https.Server> {
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'),
  ], { stdio: 'ignore' });
  const server = https.createServer({ key: readFileSync(path.join(dir, 'key.pem')), cert: readFileSync(path.join(dir, 'cert.pem')) }, (req, res) => {
    req.resume();
    req.on('end', () => res.end('tls ok'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}
