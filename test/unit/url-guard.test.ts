import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import type { AddressPolicy } from '../../src/security/address-policy';
import { checkWebhookUrl, type UrlCheckOptions } from '../../src/security/url-guard';

const strict: AddressPolicy = { allowPrivate: false, allowedCidrs: [] };
const dev: UrlCheckOptions = { requireHttps: false };

/** A resolver that answers from a table and records what it was asked. */
function fakeResolver(answers: Record<string, string[]>) {
  const asked: string[] = [];
  const resolve = async (hostname: string): Promise<LookupAddress[]> => {
    asked.push(hostname);
    const found = answers[hostname];
    if (found === undefined) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return found.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return { resolve, asked };
}

const publicResolver = fakeResolver({ 'hooks.example.com': ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'] });

async function reasonOf(url: string, policy = strict, opts: UrlCheckOptions = { ...dev, resolve: publicResolver.resolve }) {
  const result = await checkWebhookUrl(url, policy, opts);
  assert.equal(result.ok, false, `${url} should be refused`);
  return result.ok ? '' : result.reason;
}

void describe('checkWebhookUrl: syntax', () => {
  void it('accepts http and https URLs with public hosts', async () => {
    const opts = { ...dev, resolve: publicResolver.resolve };
    assert.deepEqual(await checkWebhookUrl('https://hooks.example.com/in?x=1', strict, opts), { ok: true });
    assert.deepEqual(await checkWebhookUrl('http://hooks.example.com:8080/in', strict, opts), { ok: true });
  });

  void it('refuses other schemes and non-URLs', async () => {
    assert.match(await reasonOf('ftp://hooks.example.com/'), /must use http or https, not ftp/);
    assert.match(await reasonOf('file:///etc/passwd'), /must use http or https, not file/);
    assert.match(await reasonOf('javascript:alert(1)'), /must use http or https/);
    assert.match(await reasonOf('hooks.example.com/in'), /not a valid absolute URL/);
    assert.match(await reasonOf('http://'), /not a valid absolute URL/);
  });

  void it('refuses credentials in the URL', async () => {
    assert.match(await reasonOf('https://user:pw@hooks.example.com/'), /must not contain a username or password/);
    assert.match(await reasonOf('https://user@hooks.example.com/'), /must not contain a username or password/);
    assert.match(await reasonOf('https://:pw@hooks.example.com/'), /must not contain a username or password/);
  });

  void it('requires https when asked to', async () => {
    const prod: UrlCheckOptions = { requireHttps: true, resolve: publicResolver.resolve };
    assert.match(await reasonOf('http://hooks.example.com/', strict, prod), /must use https/);
    assert.deepEqual(await checkWebhookUrl('https://hooks.example.com/', strict, prod), { ok: true });
  });
});

void describe('checkWebhookUrl: literal IPs', () => {
  const noDns: UrlCheckOptions = {
    requireHttps: false,
    resolve: () => Promise.reject(new Error('an IP literal must not be resolved')),
  };

  for (const [url, shown, kind] of [
    ['http://127.0.0.1:3000/', '127.0.0.1', 'loopback'],
    ['http://2130706433/', '127.0.0.1', 'loopback'], // URL parsing normalises legacy IPv4 forms
    ['http://0x7f.1/', '127.0.0.1', 'loopback'],
    ['http://[::1]/', '::1', 'loopback'],
    ['http://[::ffff:127.0.0.1]/', '::ffff:7f00:1', 'loopback'],
    ['http://10.0.0.8/', '10.0.0.8', 'private'],
    ['http://169.254.169.254/latest/meta-data/', '169.254.169.254', 'cloud metadata'],
    ['http://[fd00:ec2::254]/', 'fd00:ec2::254', 'cloud metadata'],
    ['http://0.0.0.0:8080/', '0.0.0.0', 'unspecified'],
  ] as const) {
    void it(`refuses ${url} as ${kind}`, async () => {
      const reason = await reasonOf(url, strict, noDns);
      assert.ok(reason.startsWith(`url host ${shown} is a`), reason);
      assert.match(reason, new RegExp(`${kind} address`));
    });
  }

  void it('accepts public literals without resolving them', async () => {
    assert.deepEqual(await checkWebhookUrl('https://8.8.8.8/hook', strict, noDns), { ok: true });
    assert.deepEqual(await checkWebhookUrl('https://[2606:4700::1]:8443/hook', strict, noDns), { ok: true });
  });

  void it('follows allowPrivate and allowedCidrs', async () => {
    assert.deepEqual(await checkWebhookUrl('http://10.0.0.8/', { allowPrivate: true, allowedCidrs: [] }, noDns), { ok: true });
    assert.deepEqual(await checkWebhookUrl('http://10.0.0.8/', { allowPrivate: false, allowedCidrs: ['10.0.0.0/24'] }, noDns), { ok: true });
    const metadata = await reasonOf('http://169.254.169.254/', { allowPrivate: true, allowedCidrs: [] }, noDns);
    assert.match(metadata, /refused even with HOOKFLOW_ALLOW_PRIVATE_URLS=true/);
  });
});

void describe('checkWebhookUrl: hostnames', () => {
  void it('refuses localhost by default using the real resolver', async () => {
    const reason = await reasonOf('http://localhost:3000/hook', strict, dev);
    assert.match(reason, /^url resolves to (127\.0\.0\.1|::1), a loopback address; private addresses are refused unless HOOKFLOW_ALLOW_PRIVATE_URLS=true/);
  });

  void it('accepts localhost when private URLs are allowed', async () => {
    assert.deepEqual(await checkWebhookUrl('http://localhost:3000/hook', { allowPrivate: true, allowedCidrs: [] }, dev), { ok: true });
  });

  void it('accepts a name that does not resolve, with a warning', async () => {
    const { resolve, asked } = fakeResolver({});
    const result = await checkWebhookUrl('https://not-yet-created.example.com/hook', strict, { ...dev, resolve });
    assert.equal(result.ok, true);
    assert.ok(result.ok && result.warning !== undefined);
    assert.match(result.warning, /not-yet-created\.example\.com does not resolve \(ENOTFOUND\)/);
    assert.deepEqual(asked, ['not-yet-created.example.com']);
  });

  void it('refuses a name if any of its addresses is disallowed', async () => {
    const { resolve } = fakeResolver({ 'mixed.example.com': ['93.184.215.14', '2606:4700::1', '10.1.2.3'] });
    const reason = await reasonOf('https://mixed.example.com/', strict, { ...dev, resolve });
    assert.match(reason, /^url resolves to 10\.1\.2\.3, a private \(RFC 1918\) address/);
  });

  void it('refuses a name resolving to a mapped or metadata address', async () => {
    const { resolve } = fakeResolver({ 'a.example.com': ['::ffff:127.0.0.1'], 'b.example.com': ['169.254.169.254'] });
    assert.match(await reasonOf('https://a.example.com/', strict, { ...dev, resolve }), /loopback/);
    assert.match(await reasonOf('https://b.example.com/', { allowPrivate: true, allowedCidrs: [] }, { ...dev, resolve }), /cloud metadata/);
  });

  void it('resolves the bare host name, without port or brackets', async () => {
    const { resolve, asked } = fakeResolver({ 'hooks.example.com': ['93.184.215.14'] });
    assert.deepEqual(await checkWebhookUrl('https://HOOKS.example.com:8443/x', strict, { ...dev, resolve }), { ok: true });
    assert.deepEqual(asked, ['hooks.example.com']);
  });
});
