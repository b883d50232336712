// The portal's safety properties against the real API: refused links and cookies get a page that
// says why (in Chromium), links are single-use even when raced, no credential reaches a URL or a
// log line, every change needs the session's CSRF header, and the pages carry a strict CSP.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import type { Browser, Page } from 'playwright-core';
import { Fanout } from '../../src/dispatch/fanout';
import { buildServer } from '../../src/api/server';
import { Metrics } from '../../src/metrics/registry';
import { startApi, type RunningApi } from '../../src/server/api-process';
import { assertProblem } from '../support/api';
import { callWithCookie, createPortalLink, CSRF_HEADER, launchChromium, newContext, openPortalSession } from '../support/portal';
import { API_KEY, startStack, waitFor, type Stack } from '../support/stack';
import { createTenant, type TestTenant } from '../support/tenants';

const SEEN_MS = 30_000;

void describe('portal security', () => {
  let stack: Stack;
  let browser: Browser;
  let tenant: TestTenant;
  // A second API on the same backends whose log, at debug (one line per request), is kept here.
  let logged: RunningApi;
  const logLines: string[] = [];

  before(async () => {
    [stack, browser] = await Promise.all([startStack({}, { worker: false }), launchChromium()]);
    tenant = await createTenant(stack, 'portal-sec');
    const sink = new Writable({ write: (chunk: Buffer, _enc, done) => (logLines.push(chunk.toString('utf8')), done()) });
    logged = await startApi({ config: stack.config, db: stack.db, temporal: stack.temporal.client, log: pino({ level: 'debug' }, sink), metrics: new Metrics({ tenantLabel: false }) });
  });
  after(async () => {
    await logged?.stop();
    await browser?.close();
    await stack?.stop();
  });

  /** Opens `url` in a fresh browser profile and returns the refusal page's heading and text. */
  async function refusal(url: string, setUp?: (page: Page) => Promise<void>): Promise<{ title: string; text: string; cookies: number }> {
    const context = await newContext(browser);
    try {
      const page = await context.newPage();
      await setUp?.(page);
      await page.goto(url);
      const section = page.locator('section.refused');
      await section.waitFor({ timeout: SEEN_MS });
      const cookies = (await context.cookies()).filter((c) => c.value !== '').length;
      return { title: (await section.locator('h1').textContent()) ?? '', text: await section.innerText(), cookies };
    } finally {
      await context.close();
    }
  }

  void test('an expired link, a reused link and a forged or expired cookie each get a page that says so', async () => {
    // Expired: a link lives at least 60 s; moving its expiry into the past stands for waiting.
    const old = await createPortalLink(stack, tenant.id);
    await stack.db.query("UPDATE portal_links SET expires_at = now() - interval '1 second' WHERE id = $1", [old.id]);
    const expired = await refusal(old.url);
    assert.equal(expired.title, 'Portal Link Expired');
    assert.match(expired.text, /This portal link expired at \d{4}-/);
    assert.equal(expired.cookies, 0, 'no session from an expired link');

    // Reused: the first browser gets in, the second is refused, and the first session still works.
    const link = await createPortalLink(stack, tenant.id);
    const first = await newContext(browser);
    const page = await first.newPage();
    await page.goto(link.url);
    await page.getByRole('heading', { level: 1, name: 'Endpoints' }).waitFor({ timeout: SEEN_MS });
    const reused = await refusal(link.url);
    assert.equal(reused.title, 'Portal Link Already Used');
    assert.match(reused.text, /already opened at \d{4}-.*a link works once/s);
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Endpoints' }).waitFor({ timeout: SEEN_MS });
    const [realCookie] = await first.cookies();
    await first.close();

    // Forged cookies: random, tampered with, and not even of the right shape.
    const tampered = realCookie!.value.slice(0, -1) + (realCookie!.value.endsWith('A') ? 'B' : 'A');
    for (const value of [`hfps_${randomBytes(32).toString('base64url')}`, tampered, 'admin', `${API_KEY}`]) {
      const forged = await refusal(`${stack.url}/portal/endpoints`, (p) =>
        p.context().addCookies([{ name: 'hookflow_portal', value, url: stack.url }]),
      );
      assert.equal(forged.title, 'Portal Session Not Valid', value);
      assert.match(forged.text, /This portal session is not valid: it expired, was signed out, or was never issued/);
    }

    // An expired session, and no session at all.
    await stack.db.query("UPDATE portal_sessions SET expires_at = now() - interval '1 second' WHERE token_hash = sha256($1::bytea)", [Buffer.from(realCookie!.value)]);
    const lapsed = await refusal(`${stack.url}/portal/deliveries`, (p) => p.context().addCookies([{ name: 'hookflow_portal', value: realCookie!.value, url: stack.url }]));
    assert.equal(lapsed.title, 'Portal Session Not Valid');
    const none = await refusal(`${stack.url}/portal/endpoints`);
    assert.equal(none.title, 'No Portal Session');
    assert.match(none.text, /open the portal through the link you were given/);
  });

  void test('a link is single-use even when ten exchanges race for it', async () => {
    const link = await createPortalLink(stack, tenant.id);
    const answers = await Promise.all(
      Array.from({ length: 10 }, () =>
        fetch(`${stack.url}/portal/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ link: link.token }) }).then((r) => r.status),
      ),
    );
    assert.deepEqual(answers.sort(), [201, 401, 401, 401, 401, 401, 401, 401, 401, 401]);
    const { rows } = await stack.db.query('SELECT count(*)::int AS n FROM portal_sessions WHERE link_id = $1', [link.id]);
    assert.equal(rows[0].n, 1);
  });

  void test('links: admin key only, default 15 minutes, unknown tenants 404, bad lifetimes named', async () => {
    const made = await createPortalLink(stack, tenant.id);
    const minutes = (Date.parse(made.expiresAt) - Date.now()) / 60_000;
    assert.ok(minutes > 14.5 && minutes <= 15, `expires in ${minutes} min`);
    assert.match(made.url, new RegExp(`^${stack.url}/portal/#link=hfpl_`));
    assertProblem(await tenant.call('POST', `/v1/tenants/${tenant.id}/portal-links`, {}), 403);
    assertProblem(await stack.call('POST', '/v1/tenants/nobody-here/portal-links', {}), 404);
    assertProblem(await stack.call('POST', `/v1/tenants/${tenant.id}/portal-links`, { expiresInSeconds: 5 }), 400, ['body.expiresInSeconds']);
    // A session cannot mint links for itself (it is a tenant principal: admin routes are 403).
    const session = await openPortalSession(stack, tenant.id);
    assertProblem(await session.call('POST', `/v1/tenants/${tenant.id}/portal-links`, {}), 403);
  });

  void test('every change through a portal session needs its CSRF header, and never from another site', async () => {
    const session = await openPortalSession(stack, tenant.id);
    const body = { url: 'http://127.0.0.1:9/csrf', eventTypes: ['a.b'] };
    const count = async () => (await stack.db.query('SELECT count(*)::int AS n FROM subscriptions WHERE tenant_id = $1', [tenant.id])).rows[0].n as number;
    const before = await count();
    for (const headers of <Record<string, string>[]>[{}, { [CSRF_HEADER]: 'x'.repeat(43) }, { [CSRF_HEADER]: session.csrfToken, 'sec-fetch-site': 'cross-site' }]) {
      const res = await callWithCookie(stack.url, session.cookie, 'POST', '/v1/subscriptions', body, headers);
      assertProblem(res, 403);
      assert.match(res.body.detail, /x-hookflow-csrf/);
    }
    assertProblem(await callWithCookie(stack.url, session.cookie, 'DELETE', '/portal/session'), 403);
    // Nor can another site open a session of its choosing in the visitor's browser (login CSRF).
    const planted = await createPortalLink(stack, tenant.id);
    assertProblem(await callWithCookie(stack.url, undefined, 'POST', '/portal/session', { link: planted.token }, { 'sec-fetch-site': 'cross-site' }), 403);
    assert.equal(await count(), before, 'nothing was created');
    // Reads need no token; with it, the change goes through.
    assert.equal((await callWithCookie(stack.url, session.cookie, 'GET', '/v1/subscriptions')).status, 200);
    assert.equal((await session.call('POST', '/v1/subscriptions', body)).status, 201);
    assert.equal(await count(), before + 1);
    // Signing out ends the session for the API too.
    assert.equal((await session.call('DELETE', '/portal/session')).status, 204);
    const after = await session.call('GET', '/v1/subscriptions');
    assertProblem(after, 401);
    assert.match(after.headers.get('www-authenticate') ?? '', /^Bearer/);
  });

  void test('pages: a CSP without inline script, frame-ancestors none by default, no-referrer, no-store', async () => {
    const res = await fetch(`${stack.url}/portal/endpoints`);
    const html = await res.text();
    assert.equal(res.status, 200);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /(^|; )script-src 'self'(;|$)/);
    assert.match(csp, /(^|; )default-src 'none'(;|$)/);
    assert.match(csp, /(^|; )frame-ancestors 'none'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.equal(res.headers.get('x-frame-options'), 'DENY');
    assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    // The shell has no inline script, no inline style and no event-handler attributes.
    assert.deepEqual(html.match(/<script(?![^>]*\ssrc=)[^>]*>/g), null);
    assert.doesNotMatch(html, /\sstyle=|\son[a-z]+=/i);
    const asset = await fetch(`${stack.url}/portal/assets/app.js`);
    assert.match(asset.headers.get('content-type') ?? '', /^text\/javascript/);
    assert.equal((await fetch(`${stack.url}/portal/assets/..%2Fpages.ts`)).status, 404);
    assert.equal((await fetch(`${stack.url}/portal/assets/index.html`)).status, 404);
  });

  /** A page on another 127.0.0.1 port (another origin) that frames `src`; answers where the frame ended up. */
  async function framedFrom(src: string): Promise<{ frameUrl: string; heading: string | null }> {
    const host = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><title>host</title><iframe src="${src}" title="portal"></iframe>`));
    await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
    const context = await newContext(browser);
    try {
      const page = await context.newPage();
      await page.goto(`http://127.0.0.1:${(host.address() as AddressInfo).port}/`);
      const frame = await waitFor(() => page.frames().find((f) => f !== page.mainFrame() && f.url() !== 'about:blank'), 'the iframe to navigate', SEEN_MS);
      // A frame the CSP allowed runs the portal's script, which shows its own page.
      const heading = await frame.locator('main h1').textContent({ timeout: 5_000 }).catch(() => null);
      return { frameUrl: frame.url(), heading };
    } finally {
      await context.close();
      host.closeAllConnections();
      await new Promise<void>((resolve) => host.close(() => resolve()));
    }
  }

  void test('frame-ancestors: another origin cannot frame the portal by default; HOOKFLOW_PORTAL_FRAME_ANCESTORS lets the named one', async () => {
    const refused = await framedFrom(`${stack.url}/portal/endpoints`);
    // Chromium puts its own error page in a frame the CSP refused.
    assert.match(refused.frameUrl, /^chrome-error:/, `the default CSP kept the portal out of the frame (heading: ${refused.heading})`);

    // The same API with the embedding origin named (any port of 127.0.0.1 here: the host page's port is not known in advance).
    const config = { ...stack.config, portal: { ...stack.config.portal, frameAncestors: ["'self'", 'http://127.0.0.1:*'] } };
    const fanout = new Fanout({ db: stack.db, temporal: stack.temporal.client, settings: config, concurrency: 1, log: pino({ level: 'silent' }) });
    const app = await buildServer({ config, db: stack.db, temporal: stack.temporal.client, fanout, logger: false });
    try {
      const url = await app.listen({ host: '127.0.0.1', port: 0 });
      const page = await fetch(`${url}/portal/deliveries`);
      assert.match(page.headers.get('content-security-policy') ?? '', /frame-ancestors 'self' http:\/\/127\.0\.0\.1:\*(;|$)/);
      assert.equal(page.headers.get('x-frame-options'), null);
      const allowed = await framedFrom(`${url}/portal/endpoints`);
      assert.equal(allowed.frameUrl, `${url}/portal/endpoints`);
      assert.equal(allowed.heading, 'No Portal Session', 'the portal ran inside the frame');
      // Embedded by another site, a Strict cookie would never reach the frame: it becomes SameSite=None; Secure; Partitioned.
      const link = await createPortalLink(stack, tenant.id);
      const exchanged = await fetch(`${url}/portal/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ link: link.token }) });
      assert.equal(exchanged.status, 201);
      const cookie = exchanged.headers.get('set-cookie') ?? '';
      for (const attr of ['HttpOnly', 'SameSite=None', 'Secure', 'Partitioned']) assert.ok(cookie.split('; ').includes(attr), `${attr} in ${cookie}`);
    } finally {
      await app.close();
    }
  });

  void test('deleting a tenant ends its portal sessions and voids its links', async () => {
    const doomed = await createTenant(stack, 'portal-gone');
    const session = await openPortalSession(stack, doomed.id);
    const link = await createPortalLink(stack, doomed.id);
    assert.equal((await session.call('GET', '/v1/subscriptions')).status, 200);
    assert.equal((await stack.call('DELETE', `/v1/tenants/${doomed.id}`)).status, 200);
    assertProblem(await session.call('GET', '/v1/subscriptions'), 401);
    const res = await callWithCookie(stack.url, undefined, 'POST', '/portal/session', { link: link.token });
    assertProblem(res, 401);
    assert.equal(res.body.title, 'Invalid Portal Link');
  });

  void test('no credential reaches a URL or a log line: the link travels in the fragment and is exchanged in a body', async (t) => {
    const created = await callWithCookie(logged.url, undefined, 'POST', `/v1/tenants/${tenant.id}/portal-links`, {}, { authorization: `Bearer ${API_KEY}` });
    assert.equal(created.status, 201);
    const linkToken = /#link=(.+)$/.exec(created.body.url)![1]!;
    const context = await newContext(browser);
    const page = await context.newPage();
    const requested: string[] = [];
    page.on('request', (r) => requested.push(r.url()));
    await page.goto(created.body.url);
    await page.getByRole('heading', { level: 1, name: 'Endpoints' }).waitFor({ timeout: SEEN_MS });
    await page.getByRole('link', { name: 'Deliveries', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Deliveries' }).waitFor({ timeout: SEEN_MS });
    const [cookie] = await context.cookies();
    const csrf = (await callWithCookie(logged.url, `${cookie!.name}=${cookie!.value}`, 'GET', '/portal/session')).body.csrfToken as string;
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { level: 1, name: 'Signed out' }).waitFor({ timeout: SEEN_MS });
    await context.close();

    assert.ok(requested.length >= 8, `the browser made its requests (${requested.length})`);
    for (const url of requested) assert.ok(!url.includes(linkToken) && !url.includes('link='), `the credential stayed out of ${url}`);
    const requestLines = logLines.filter((l) => /"url":"\/(portal|v1)/.test(l));
    assert.ok(requestLines.length >= 8, `request lines were logged (${requestLines.length} of ${logLines.length} lines)`);
    t.diagnostic(`${requested.length} browser requests, ${requestLines.length} request log lines (${logLines.length} lines in all) checked for 3 credentials`);
    for (const secret of [linkToken, cookie!.value, csrf]) {
      assert.ok(!logLines.some((l) => l.includes(secret)), `a credential appeared in the log: ${secret.slice(0, 6)}…`);
    }
  });
});
