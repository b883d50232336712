// The portal's pure parts: which frame-ancestors values are accepted, the session cookie's
// attributes in each mode, and the CSRF token's binding to its session.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfig } from '../../src/config';
import { ConfigError } from '../../src/errors/config-error';
import { readCookie, sessionCookie, sessionCookieName } from '../../src/auth/portal-cookie';
import { csrfMatches, csrfTokenFor, generateLinkToken, generateSessionToken, isLinkToken, isSessionToken } from '../../src/auth/portal-credentials';
import { parseFrameAncestors } from '../../src/security/frame-ancestors';
import { contentSecurityPolicy } from '../../src/portal/security-headers';

void describe('portal', () => {
  void test('frame-ancestors: none by default; origins, self and wildcards accepted; anything that could inject a directive refused', () => {
    assert.deepEqual(loadConfig({}).portal.frameAncestors, ["'none'"]);
    assert.deepEqual(loadConfig({ HOOKFLOW_PORTAL_FRAME_ANCESTORS: "'self' https://app.example.com, https://*.example.org:8443" }).portal.frameAncestors, [
      "'self'",
      'https://app.example.com',
      'https://*.example.org:8443',
    ]);
    for (const bad of ["https://a.example; script-src *", "'none' https://a.example", '*', 'javascript:alert(1)', "'unsafe-inline'", 'https://a.example/path']) {
      assert.ok(parseFrameAncestors(bad).problems.length > 0, bad);
      assert.throws(() => loadConfig({ HOOKFLOW_PORTAL_FRAME_ANCESTORS: bad }), (e: unknown) => e instanceof ConfigError && /HOOKFLOW_PORTAL_FRAME_ANCESTORS/.test(e.message), bad);
    }
    assert.match(contentSecurityPolicy(['https://app.example.com']), /; frame-ancestors https:\/\/app\.example\.com;/);
  });

  void test('the session cookie: HttpOnly SameSite=Strict, Secure and __Host- in production, SameSite=None; Secure; Partitioned when embedded', () => {
    const dev = loadConfig({});
    const prod = loadConfig({ NODE_ENV: 'production' });
    const embedded = loadConfig({ HOOKFLOW_PORTAL_FRAME_ANCESTORS: 'https://app.example.com' });
    assert.equal(sessionCookie(dev, 'v', 60), 'hookflow_portal=v; Path=/; Max-Age=60; HttpOnly; SameSite=Strict');
    assert.equal(sessionCookie(prod, 'v', 60), '__Host-hookflow_portal=v; Path=/; Max-Age=60; HttpOnly; SameSite=Strict; Secure');
    assert.equal(sessionCookie(embedded, 'v', 60), 'hookflow_portal=v; Path=/; Max-Age=60; HttpOnly; SameSite=None; Secure; Partitioned');
    assert.equal(sessionCookieName(prod), '__Host-hookflow_portal');
    assert.equal(readCookie('a=1; hookflow_portal=hfps_x; b=2', 'hookflow_portal'), 'hfps_x');
    assert.equal(readCookie('xhookflow_portal=1', 'hookflow_portal'), undefined);
  });

  void test('credentials: link and session tokens are told apart; the CSRF token is bound to its session', () => {
    const link = generateLinkToken();
    const session = generateSessionToken();
    assert.ok(isLinkToken(link) && !isSessionToken(link));
    assert.ok(isSessionToken(session) && !isLinkToken(session));
    assert.ok(!isSessionToken(`${session}x`) && !isSessionToken('hfps_short'));
    const csrf = csrfTokenFor(session);
    assert.ok(csrfMatches(session, csrf));
    assert.ok(!csrfMatches(generateSessionToken(), csrf), 'another session’s token does not match');
    assert.ok(!csrfMatches(session, undefined) && !csrfMatches(session, csrf.slice(1)));
  });
});
