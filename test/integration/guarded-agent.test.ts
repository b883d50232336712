import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setImmediate } from 'node:timers/promises';
import { request, type Agent } from 'undici';
import type { AddressPolicy } from '../../src/security/address-policy';
import {
  AddressNotAllowedError,
  createGuardedAgent,
  createGuardedLookup,
  isAddressNotAllowedError,
} from '../../src/security/guarded-agent';

const strict: AddressPolicy = { allowPrivate: false, allowedCidrs: [] };
const openPolicy: AddressPolicy = { allowPrivate: true, allowedCidrs: [] };

/** A receiver on 127.0.0.1 that records every TCP connection and request it sees. */
function startReceiver() {
  const seen = { connections: 0, paths: [] as string[] };
  const server = http.createServer((req, res) => {
    seen.paths.push(req.url ?? '');
    if (req.url === '/redirect') {
      res.writeHead(302, { location: '/target' }).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain' }).end('received');
  });
  server.on('connection', () => {
    seen.connections += 1;
  });
  return new Promise<{ server: http.Server; port: number; seen: typeof seen }>((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port, seen }));
  });
}

void describe('delivery dispatcher', () => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const dispatchers: Agent[] = [];
  const dispatcher = (policy: AddressPolicy) => {
    const d = createGuardedAgent({ policy, connectTimeoutMs: 500 });
    dispatchers.push(d);
    return d;
  };

  before(async () => {
    receiver = await startReceiver();
  });
  after(async () => {
    await Promise.all(dispatchers.map((d) => d.close()));
    receiver.server.closeAllConnections();
    await new Promise((resolve) => receiver.server.close(resolve));
  });

  /**
   * Runs a request that must be refused and asserts it never reached the receiver. A probe through
   * an open dispatcher goes after it: the server accepts connections in order, so a leaked
   * connection is counted by the time the probe's request arrives.
   */
  async function refusedWithoutContact(send: () => Promise<unknown>): Promise<unknown> {
    const before = { connections: receiver.seen.connections, paths: [...receiver.seen.paths] };
    const err = await send().then(
      () => assert.fail('request should have been refused'),
      (e: unknown) => e,
    );
    const probe = createGuardedAgent({ policy: openPolicy, connectTimeoutMs: 500 });
    try {
      const res = await request(`http://127.0.0.1:${receiver.port}/probe`, { dispatcher: probe });
      await res.body.text();
    } finally {
      await probe.close();
    }
    assert.equal(receiver.seen.connections, before.connections + 1, 'the refused request opened a TCP connection');
    assert.deepEqual(receiver.seen.paths, [...before.paths, '/probe']);
    return err;
  }

  for (const [label, url, address] of [
    ['a hostname resolving to loopback (DNS rebinding)', (p: number) => `http://localhost:${p}/hook`, '127.0.0.1'],
    ['the same over https (TLS connect path)', (p: number) => `https://localhost:${p}/hook`, '127.0.0.1'],
    ['an IPv4 literal', (p: number) => `http://127.0.0.1:${p}/hook`, '127.0.0.1'],
    ['an IPv4-mapped IPv6 literal', (p: number) => `http://[::ffff:127.0.0.1]:${p}/hook`, '::ffff:7f00:1'],
  ] as const) {
    void it(`refuses ${label} under the default policy`, async () => {
      const d = dispatcher(strict);
      const err = await refusedWithoutContact(() => request(url(receiver.port), { dispatcher: d, method: 'POST', body: '{}' }));
      // undici passes the connector's error through unchanged.
      assert.ok(err instanceof AddressNotAllowedError, `got ${String(err)}`);
      assert.equal(err.code, 'ERR_HOOKFLOW_ADDRESS_NOT_ALLOWED');
      assert.equal(err.address, address);
      assert.equal(err.reason, 'loopback');
      assert.ok(isAddressNotAllowedError(err));
    });
  }

  void it('refuses a metadata address even with allowPrivate, without trying to connect', async () => {
    const started = Date.now();
    await assert.rejects(request('http://169.254.169.254/latest/meta-data/', { dispatcher: dispatcher(openPolicy) }), (err: unknown) => {
      assert.ok(err instanceof AddressNotAllowedError);
      assert.equal(err.reason, 'metadata');
      return true;
    });
    // A connect attempt would hang until the 500ms connect timeout here.
    assert.ok(Date.now() - started < 400);
  });

  void it('an allowed CIDR that does not cover the target leaves it refused', async () => {
    const d = dispatcher({ allowPrivate: false, allowedCidrs: ['10.0.0.0/8'] });
    const err = await refusedWithoutContact(() => request(`http://localhost:${receiver.port}/`, { dispatcher: d }));
    assert.ok(isAddressNotAllowedError(err));
  });

  const openings: Array<[string, AddressPolicy]> = [
    ['allowPrivate: true', openPolicy],
    ["allowedCidrs ['127.0.0.0/8']", { allowPrivate: false, allowedCidrs: ['127.0.0.0/8'] }],
  ];
  for (const [label, policy] of openings) {
    void it(`delivers to localhost and 127.0.0.1 with ${label}`, async () => {
      const d = dispatcher(policy);
      for (const host of ['localhost', '127.0.0.1']) {
        const res = await request(`http://${host}:${receiver.port}/ok`, { dispatcher: d, method: 'POST', body: '{}' });
        assert.equal(res.statusCode, 200);
        assert.equal(await res.body.text(), 'received');
      }
    });
  }

  void it('reuses one keep-alive connection for sequential requests to an origin', async () => {
    const d = dispatcher(openPolicy);
    const before = receiver.seen.connections;
    for (let i = 0; i < 3; i++) {
      const res = await request(`http://127.0.0.1:${receiver.port}/reuse`, { dispatcher: d, method: 'POST', body: `{"n":${i}}` });
      await res.body.text();
      // undici marks the connection idle a tick after the body ends; a request sent in the same
      // tick finds it busy and opens a second one. Real deliveries are never that close together.
      await setImmediate();
    }
    assert.equal(receiver.seen.connections - before, 1);
  });

  void it('queues instead of opening more connections than connectionsPerOrigin', async () => {
    const d = createGuardedAgent({ policy: openPolicy, connectTimeoutMs: 500, connectionsPerOrigin: 1 });
    dispatchers.push(d);
    const before = receiver.seen.connections;
    await Promise.all(
      [1, 2, 3].map(async (n) => {
        const res = await request(`http://127.0.0.1:${receiver.port}/capped`, { dispatcher: d, method: 'POST', body: `{"n":${n}}` });
        assert.equal(res.statusCode, 200);
        await res.body.text();
      }),
    );
    assert.equal(receiver.seen.connections - before, 1);
  });

  void it('returns a redirect as-is instead of following it', async () => {
    const d = dispatcher(openPolicy);
    const before = receiver.seen.paths.length;
    const res = await request(`http://127.0.0.1:${receiver.port}/redirect`, { dispatcher: d, method: 'POST', body: '{}' });
    await res.body.text();
    assert.equal(res.statusCode, 302);
    assert.equal(res.headers.location, '/target');
    assert.deepEqual(receiver.seen.paths.slice(before), ['/redirect']);
  });

  void it('rejects a bad allowedCidrs entry when the dispatcher is created', () => {
    assert.throws(
      () => createGuardedAgent({ policy: { allowPrivate: false, allowedCidrs: ['10.0.0.0/40'] }, connectTimeoutMs: 500 }),
      /invalid CIDR "10\.0\.0\.0\/40"/,
    );
  });
});

void describe('guarded lookup', () => {
  const lookup = (policy: AddressPolicy, hostname: string, all: boolean) =>
    new Promise<{ err: Error | null; address: unknown; family: unknown }>((resolve) => {
      createGuardedLookup(policy)(hostname, { all }, (err, address, family) => resolve({ err, address, family }));
    });

  void it('answers in the shape net.connect asked for (happy-eyeballs uses all: true)', async () => {
    const single = await lookup(openPolicy, 'localhost', false);
    assert.equal(single.err, null);
    assert.equal(typeof single.address, 'string');
    assert.ok(single.family === 4 || single.family === 6);

    const many = await lookup(openPolicy, 'localhost', true);
    assert.equal(many.err, null);
    assert.ok(Array.isArray(many.address) && many.address.length > 0);
  });

  void it('refuses in both shapes under the default policy', async () => {
    for (const all of [false, true]) {
      const { err } = await lookup(strict, 'localhost', all);
      assert.ok(err instanceof AddressNotAllowedError);
      assert.equal(err.hostname, 'localhost');
    }
  });

  void it('passes resolver errors through untouched', async () => {
    const { err } = await lookup(strict, 'does-not-exist.invalid', true);
    assert.ok(err !== null && !isAddressNotAllowedError(err));
  });
});

void describe('isAddressNotAllowedError', () => {
  const refusal = new AddressNotAllowedError('127.0.0.1', 'loopback', 'localhost');

  void it('finds the refusal directly, through cause chains and inside AggregateErrors', () => {
    assert.ok(isAddressNotAllowedError(refusal));
    assert.ok(isAddressNotAllowedError(new Error('fetch failed', { cause: new Error('connect', { cause: refusal }) })));
    assert.ok(isAddressNotAllowedError(new AggregateError([new Error('other'), refusal])));
    // A copy from another module instance, or one rebuilt from a serialized failure.
    assert.ok(isAddressNotAllowedError({ code: 'ERR_HOOKFLOW_ADDRESS_NOT_ALLOWED' }));
  });

  void it('is false for other errors, non-errors and cyclic causes', () => {
    const cyclic = new Error('a');
    cyclic.cause = new Error('b', { cause: cyclic });
    for (const value of [cyclic, new Error('ECONNREFUSED'), Object.assign(new Error('x'), { code: 'ECONNREFUSED' }), null, undefined, 'ERR_HOOKFLOW_ADDRESS_NOT_ALLOWED']) {
      assert.equal(isAddressNotAllowedError(value), false);
    }
  });
});
