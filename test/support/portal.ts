// Portal links, sessions and a real headless Chromium (the system's /usr/bin/chromium, driven by
// playwright-core; no browser is downloaded) for the portal tests.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { readResponse, type ApiResponse } from './call-api';
import type { Stack } from './stack';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CSRF_HEADER = 'x-hookflow-csrf';

/** A portal link for the tenant, made with the admin key as an operator would. */
export async function createPortalLink(stack: Stack, tenantId: string, body: Record<string, unknown> = {}): Promise<{ id: string; url: string; token: string; expiresAt: string }> {
  const res = await stack.call('POST', `/v1/tenants/${tenantId}/portal-links`, body);
  assert.equal(res.status, 201, JSON.stringify(res.body));
  const token = /#link=(hfpl_[\w-]+)$/.exec(res.body.url)?.[1];
  assert.ok(token, `the link carries its credential in the fragment: ${res.body.url}`);
  return { ...res.body, token };
}

export interface PortalSession {
  cookie: string;
  csrfToken: string;
  tenantId: string;
  /** A call to the API with this session's cookie (and, unless told otherwise, its CSRF header). */
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse>;
}

/** Exchanges a link outside a browser, as the portal's script does, and keeps the cookie it sets. */
export async function openPortalSession(stack: Stack, tenantId: string, baseUrl = stack.url): Promise<PortalSession> {
  const link = await createPortalLink(stack, tenantId);
  const res = await fetch(`${baseUrl}/portal/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ link: link.token }) });
  const body = (await res.json()) as { csrfToken: string; tenantId: string };
  assert.equal(res.status, 201, JSON.stringify(body));
  const cookie = /^([^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1];
  assert.ok(cookie, 'the exchange sets the session cookie');
  return {
    cookie,
    csrfToken: body.csrfToken,
    tenantId: body.tenantId,
    call: (method, p, b, headers = {}) => callWithCookie(baseUrl, cookie, method, p, b, { [CSRF_HEADER]: body.csrfToken, ...headers }),
  };
}

export async function callWithCookie(baseUrl: string, cookie: string | undefined, method: string, p: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse> {
  const res = await fetch(baseUrl + p, {
    method,
    headers: { ...(cookie ? { cookie } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  return readResponse(res);
}

export async function launchChromium(): Promise<Browser> {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium (or set CHROMIUM_PATH)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    // Root in a container: Chromium's sandbox needs user namespaces it does not get here.
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    timeout: 60_000,
  });
}

/** A fresh browser profile (no cookies), in UTC and one locale so pages and screenshots read the same everywhere. */
export function newContext(browser: Browser, opts: { bypassCSP?: boolean } = {}): Promise<BrowserContext> {
  return browser.newContext({ viewport: { width: 1280, height: 860 }, timezoneId: 'UTC', locale: 'en-GB', ...opts });
}

/**
 * Where the screenshots go: a temporary folder, unless HOOKFLOW_SCREENSHOT_DIR names one
 * (`HOOKFLOW_SCREENSHOT_DIR=docs/portal` refreshes the ones docs/portal.md shows).
 */
export function screenshotDir(): string {
  const dir = process.env.HOOKFLOW_SCREENSHOT_DIR ? path.resolve(process.env.HOOKFLOW_SCREENSHOT_DIR) : mkdtempSync(path.join(tmpdir(), 'hookflow-portal-shots-'));
  mkdirSync(dir, { recursive: true });
  return dir;
}
