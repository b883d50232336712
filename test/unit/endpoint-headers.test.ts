import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { headerProblems, isCredentialLike, MASK, refusedName } from '../../src/endpoint-headers/rules';
import { maskedHeaders, openHeaders, sealHeaders, withCustomHeaders } from '../../src/endpoint-headers/sealed-headers';
import { SecretBox, SecretUnavailableError } from '../../src/security/secret-box';

const box = new SecretBox(`k1:${randomBytes(32).toString('base64')}`);

void describe('custom headers: rules', () => {
  void test('refused names, case-insensitive: hop-by-hop, host, framing, content-type and every webhook-… header', () => {
    for (const name of ['Host', 'CONTENT-LENGTH', 'content-type', 'Transfer-Encoding', 'Connection', 'Keep-Alive', 'TE', 'Trailer', 'Upgrade', 'Proxy-Authorization', 'Webhook-Id', 'webhook-signature', 'webhook-anything']) {
      assert.ok(refusedName(name), name);
      const problems = headerProblems({ [name]: 'v' });
      assert.equal(problems.length, 1, name);
      assert.equal(problems[0]!.name, name);
    }
    for (const name of ['Authorization', 'X-Api-Key', 'User-Agent', 'Accept', 'X-Webhook-Source']) assert.equal(refusedName(name), undefined, name);
  });

  void test('names must be tokens, values printable without CR or LF, at most 20, no case-insensitive repeats', () => {
    assert.deepEqual(headerProblems({ 'X-Ok': 'a b\tc' }), []);
    assert.match(headerProblems({ 'X Bad': 'v' })[0]!.message, /not a valid header name/);
    assert.match(headerProblems({ 'X-Ünïcode': 'v' })[0]!.message, /not a valid header name/);
    for (const v of ['a\r\nX-Injected: 1', 'a\nb', 'a\rb', 'nul\u0000', 'é', '']) assert.equal(headerProblems({ 'X-V': v }).length, 1, JSON.stringify(v));
    assert.match(headerProblems({ 'X-V': ' padded ' })[0]!.message, /whitespace/);
    assert.match(headerProblems({ 'X-A': '1', 'x-a': '2' })[0]!.message, /case-insensitive/);
    const many = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`X-${i}`, 'v']));
    assert.deepEqual(headerProblems(many), [{ message: 'at most 20 headers (got 21)' }]);
    assert.deepEqual(headerProblems(Object.fromEntries(Object.entries(many).slice(0, 20))), []);
  });

  void test('no accepted value can split the request (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 50 }), (value) => {
        if (headerProblems({ 'X-P': value }).length === 0) assert.ok(!/[\r\n\u0000]/.test(value));
      }),
      { numRuns: 2000 },
    );
  });

  void test('credential-like names are masked: authorization, cookie, and names containing key, token, secret, auth', () => {
    for (const n of ['Authorization', 'Cookie', 'X-Api-Key', 'X-Auth-Token', 'X-Client-Secret', 'X-Authz', 'Api-KEY']) assert.ok(isCredentialLike(n), n);
    for (const n of ['X-Team', 'User-Agent', 'Accept-Language']) assert.ok(!isCredentialLike(n), n);
  });
});

void describe('custom headers: sealed at rest', () => {
  void test('each value is sealed for its subscription and name; reads mask credentials, the whole read opens all', () => {
    const stored = sealHeaders(box, 'sub_a', { Authorization: 'Bearer xyz', 'X-Team': 'payments' });
    assert.deepEqual(Object.keys(stored), ['Authorization', 'X-Team']);
    for (const v of Object.values(stored)) assert.match(v, /^hfenc1:k1:/);
    assert.ok(!JSON.stringify(stored).includes('xyz') && !JSON.stringify(stored).includes('payments'));
    assert.deepEqual(maskedHeaders(box, 'sub_a', stored), { Authorization: MASK, 'X-Team': 'payments' });
    assert.deepEqual(openHeaders(box, 'sub_a', stored), { Authorization: 'Bearer xyz', 'X-Team': 'payments' });
  });

  void test('a value moved to another row, another header or the secret column does not open', () => {
    const stored = sealHeaders(box, 'sub_a', { 'X-One': 'one', 'X-Two': 'two' });
    assert.throws(() => openHeaders(box, 'sub_b', stored), SecretUnavailableError);
    assert.throws(() => openHeaders(box, 'sub_a', { 'X-One': stored['X-Two']! }), SecretUnavailableError);
    assert.throws(() => box.open(stored['X-One']!, 'sub_a'), SecretUnavailableError);
    assert.throws(() => openHeaders(box, 'sub_a', { 'X-Plain': 'not sealed' }), /not sealed/);
  });

  void test('the request: signed headers always win, a custom User-Agent replaces the default once', () => {
    const signed = { 'webhook-id': 'evt_1', 'webhook-signature': 'v1,x', 'content-type': 'application/json' };
    assert.deepEqual(withCustomHeaders(signed, {}), { 'user-agent': 'hookflow/0.1', ...signed });
    const out = withCustomHeaders(signed, { 'User-Agent': 'acme/1', 'X-Key': 'k', 'Webhook-Id': 'forged' });
    assert.equal(out['user-agent'], 'acme/1');
    assert.equal(out['webhook-id'], 'evt_1');
    assert.equal(out['x-key'], 'k');
    assert.equal(Object.keys(out).filter((k) => k.toLowerCase() === 'user-agent').length, 1);
  });
});
