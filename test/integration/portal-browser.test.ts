// The customer portal in real headless Chromium against the real stack (API, worker, Temporal,
// PostgreSQL) and a verifying receiver on 127.0.0.1: a customer opens its link, adds an endpoint,
// pings it, watches a webhook arrive, lets one fail until it dead-letters, redelivers it and
// recovers another from the page; the endpoint page's delivery health. Screenshots are taken on the way.
import assert from 'node:assert/strict';
import path from 'node:path';
import { createRequire } from 'node:module';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { waitForState } from '../support/engine';
import { createPortalLink, launchChromium, newContext, screenshotDir } from '../support/portal';
import { receiverPool, type Receiver } from '../support/receiver';
import { startStack, waitFor, type Stack } from '../support/stack';
import { createTenant, type TestTenant } from '../support/tenants';

// Bounded waits for what the page shows; generous because the machine is shared.
const SEEN_MS = 30_000;

void describe('customer portal in headless Chromium', () => {
  let stack: Stack;
  let browser: Browser;
  let tenant: TestTenant;
  let receiver: Receiver;
  let failing = false;
  const pool = receiverPool();
  const shots = screenshotDir();

  before(async () => {
    [stack, browser] = await Promise.all([startStack({ HOOKFLOW_RETRY_MAX_ATTEMPTS: '3' }), launchChromium()]);
    tenant = await createTenant(stack, 'portal');
    receiver = await pool.start(() => (failing ? { status: 503, body: 'receiver is down for maintenance' } : { status: 200, body: 'thanks, got it' }));
  });
  after(async () => {
    await browser?.close();
    await stack?.stop();
    await pool.closeAll();
  });

  const consoleErrors: string[] = [];
  /** Waits for the page's heading; on a timeout, says what the page showed instead and what its console said. */
  async function heading(page: Page, text: string): Promise<void> {
    try {
      await page.getByRole('heading', { level: 1, name: text, exact: true }).waitFor({ timeout: SEEN_MS });
    } catch (err) {
      const shown = await page.locator('body').innerText().catch(() => '(unreadable)');
      throw new Error(`no "${text}" heading at ${page.url()}; the page shows: ${shown.slice(0, 800)}; console: ${consoleErrors.join(' | ')}`, { cause: err });
    }
  }

  /** Runs axe-core's WCAG 2 A/AA and best-practice rules on the page; fails naming each violation. Returns how many rules passed. */
  async function assertAxeClean(page: Page, route: string): Promise<number> {
    await page.addScriptTag({ path: createRequire(__filename).resolve('axe-core/axe.min.js') });
    const result = await page.evaluate<{ violations: { id: string; help: string; nodes: { target: string[] }[] }[]; passes: unknown[] }>(
      "axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] })",
    );
    const found = result.violations.map((v) => `${v.id} (${v.help}) at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    assert.deepEqual(found, [], `${route}: axe violations`);
    return result.passes.length;
  }

  void test('open a link, add an endpoint, ping it, watch deliveries, redeliver a dead letter and recover another', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
    page.on('pageerror', (e) => consoleErrors.push(e.message));

    // 1. The link opens the portal; its credential leaves the address bar and the script cannot read the session.
    const link = await createPortalLink(stack, tenant.id);
    await page.goto(link.url);
    await heading(page, 'Endpoints');
    assert.equal(new URL(page.url()).hash, '', 'the link credential is gone from the address bar');
    assert.equal(new URL(page.url()).pathname, '/portal/endpoints');
    assert.equal(await page.evaluate('document.cookie'), '', 'the session cookie is HttpOnly');
    const [cookie] = await context.cookies();
    assert.equal(cookie?.httpOnly, true);
    assert.equal(cookie?.sameSite, 'Strict');
    assert.equal(await page.getByText(`Tenant ${tenant.id}`).isVisible(), true, 'the header names the tenant');

    // 2. Add an endpoint pointing at the receiver.
    await page.getByLabel('Endpoint URL').fill(receiver.url);
    await page.getByLabel('Event types').fill('order.*');
    await page.getByLabel('Description (optional)').fill('Order updates');
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    await heading(page, 'Endpoint');
    const subscriptionId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
    assert.match(subscriptionId, /^sub_/);
    const stored = await tenant.call('GET', `/v1/subscriptions/${subscriptionId}`);
    assert.deepEqual([stored.body.url, stored.body.eventTypes, stored.body.description, stored.body.tenantId], [receiver.url, ['order.*'], 'Order updates', tenant.id]);

    // 3. Reveal the secret, and hand it to the receiver so every request it gets is verified with it.
    await page.getByRole('button', { name: 'Reveal secret' }).click();
    const secret = await page.locator('[data-secret]').textContent({ timeout: SEEN_MS });
    assert.equal(secret, (await tenant.call('GET', `/v1/subscriptions/${subscriptionId}/secret`)).body.secret);
    receiver.secrets = [secret!];

    // 4. A test ping, and its result on the page.
    await page.getByRole('button', { name: 'Send test ping' }).click();
    const ping = page.locator('[data-ping]');
    await ping.waitFor({ timeout: SEEN_MS });
    assert.equal(await ping.getAttribute('data-ping'), 'succeeded', await ping.innerText());
    const pingText = await ping.innerText();
    assert.match(pingText, /Delivered/);
    assert.match(pingText, /Status code\s+200/);
    assert.match(pingText, /thanks, got it/);
    const pinged = receiver.received.find((r) => r.payload?.type === 'hookflow.ping');
    assert.ok(pinged?.verified, 'the receiver got a verified hookflow.ping');

    // 5. An event sent through the API appears in the delivery log as delivered.
    await page.getByRole('link', { name: 'Deliveries', exact: true }).click();
    await heading(page, 'Deliveries');
    const sent = await tenant.call('POST', '/v1/events', { type: 'order.created', data: { order: 'ord_1001', total: 4200 } });
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
    const okId = sent.body.deliveries[0].id as string;
    await page.locator(`tr[data-delivery="${okId}"][data-state="succeeded"]`).waitFor({ timeout: SEEN_MS });
    assert.ok(receiver.received.some((r) => r.verified && r.payload?.type === 'order.created'), 'the receiver verified order.created');

    // 6. The receiver fails until the next delivery dead-letters (3 attempts); the log shows it failed.
    failing = true;
    const doomed = await tenant.call('POST', '/v1/events', { type: 'order.shipped', data: { order: 'ord_1001', carrier: 'DHL' } });
    const deadId = doomed.body.deliveries[0].id as string;
    await page.locator(`tr[data-delivery="${deadId}"][data-state="dead_lettered"]`).waitFor({ timeout: SEEN_MS });
    const rows = await page.locator('tbody tr[data-delivery]').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-delivery')));
    assert.deepEqual(rows.slice(0, 3), [deadId, okId, rows[2]], 'newest first');
    // Filtered by state: only the dead letter.
    await page.getByLabel('State').selectOption('dead_lettered');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await waitFor(async () => {
      const ids = await page.locator('tbody tr[data-delivery]').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-delivery')));
      return ids.length === 1 && ids[0] === deadId ? ids : undefined;
    }, 'the state filter to leave only the dead letter', SEEN_MS);
    assert.match(page.url(), /status=dead_lettered/);
    await page.getByRole('link', { name: 'Clear' }).click();
    await page.locator(`tr[data-delivery="${okId}"]`).waitFor({ timeout: SEEN_MS });
    await page.screenshot({ path: path.join(shots, 'deliveries.png'), fullPage: true });

    // 7. Its attempts, the event body, and redelivery from the page once the receiver is back.
    await page.getByRole('link', { name: `Details of delivery ${deadId}` }).click();
    await heading(page, 'Delivery');
    const attempts = page.locator('table[data-attempts] tbody tr');
    await waitFor(async () => ((await attempts.count()) === 3 ? true : undefined), 'three attempts listed', SEEN_MS);
    for (const text of await attempts.allInnerTexts()) {
      assert.match(text, /\b503\b/);
      assert.match(text, /receiver is down for maintenance/);
      assert.match(text, /\d+ ms/);
    }
    const body = JSON.parse((await page.locator('[data-event-body]').textContent())!);
    assert.deepEqual(body, { order: 'ord_1001', carrier: 'DHL' });
    failing = false;
    await page.getByRole('button', { name: 'Redeliver' }).click();
    await page.locator('[data-delivery-state="succeeded"]').waitFor({ timeout: SEEN_MS });
    await waitFor(async () => ((await attempts.count()) === 4 ? true : undefined), 'the fourth attempt listed', SEEN_MS);
    assert.match((await attempts.nth(3).innerText()), /\b200\b.*succeeded/s);
    assert.equal(receiver.received.filter((r) => r.verified && r.payload?.type === 'order.shipped').length, 4, '3 failed attempts and 1 redelivered, all verified');
    await page.screenshot({ path: path.join(shots, 'delivery-attempts.png'), fullPage: true });

    // 8. Recovery: another dead letter, resent by a recovery job started from the endpoint's page.
    failing = true;
    const lost = await tenant.call('POST', '/v1/events', { type: 'order.cancelled', data: { order: 'ord_1002' } });
    const lostId = lost.body.deliveries[0].id as string;
    await waitForState(stack, lostId, 'dead_lettered');
    failing = false;
    await page.goto(new URL(`/portal/endpoints/${subscriptionId}`, stack.url).toString());
    await heading(page, 'Endpoint');
    await page.getByLabel('Since').fill(new Date(Date.now() - 10 * 60_000).toISOString().slice(0, 16));
    await page.getByRole('button', { name: 'Recover failed deliveries' }).click();
    const progress = page.locator('[data-recovery="completed"]');
    await progress.waitFor({ timeout: SEEN_MS });
    assert.match(await progress.innerText(), /Resent\s+1\b/);
    await waitForState(stack, lostId, 'succeeded');

    // 8b. Throttle the endpoint from its page; the API then carries it.
    await page.getByLabel('Requests per second (at most)').fill('5');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await waitFor(async () => (await tenant.call('GET', `/v1/subscriptions/${subscriptionId}`)).body.throttle?.perSecond === 5, 'the throttle saved from the portal', SEEN_MS);
    await page.getByLabel('Requests per second (at most)').fill('');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await waitFor(async () => (await tenant.call('GET', `/v1/subscriptions/${subscriptionId}`)).body.throttle === null, 'the throttle removed from the portal', SEEN_MS);

    // 8c. Put the endpoint's deliveries in order from its page, and back.
    await page.getByLabel('Delivery order').selectOption('fifo');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await waitFor(async () => (await tenant.call('GET', `/v1/subscriptions/${subscriptionId}`)).body.ordering === 'fifo', 'FIFO set from the portal', SEEN_MS);
    await page.getByLabel('Delivery order').selectOption('none');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await waitFor(async () => (await tenant.call('GET', `/v1/subscriptions/${subscriptionId}`)).body.ordering === 'none', 'FIFO turned off from the portal', SEEN_MS);

    // 9. The endpoints page, with a second endpoint disabled from the page.
    await page.getByRole('link', { name: 'Endpoints', exact: true }).click();
    await heading(page, 'Endpoints');
    await page.getByLabel('Endpoint URL').fill('http://127.0.0.1:9/billing-hooks');
    await page.getByLabel('Event types').fill('invoice.paid, invoice.refunded');
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    await heading(page, 'Endpoint');
    await page.getByRole('button', { name: 'Disable endpoint' }).click();
    await page.getByRole('button', { name: 'Enable endpoint' }).waitFor({ timeout: SEEN_MS });
    await page.getByRole('link', { name: 'Endpoints', exact: true }).click();
    await page.locator('[data-active="false"]').waitFor({ timeout: SEEN_MS });
    assert.equal(await page.locator('tr[data-endpoint]').count(), 2);
    await page.screenshot({ path: path.join(shots, 'endpoints.png'), fullPage: true });

    assert.deepEqual(consoleErrors, [], 'no script errors or CSP violations in the console');
    await context.close();
  });

  void test('accessible: no WCAG 2 A/AA violations (axe-core) on every page, and the keyboard alone adds and deletes an endpoint', async (t) => {
    // axe is injected as a script, which the portal's own CSP rightly refuses: this profile bypasses CSP for that alone.
    const context = await newContext(browser, { bypassCSP: true });
    const page = await context.newPage();
    await page.goto((await createPortalLink(stack, tenant.id)).url);
    await heading(page, 'Endpoints');
    const delivery = (await tenant.call('GET', '/v1/deliveries?limit=1')).body.data[0].id as string;
    const endpoint = (await tenant.call('GET', '/v1/subscriptions?limit=1')).body.data[0].id as string;
    const checked: string[] = [];
    for (const [route, title] of [['/portal/endpoints', 'Endpoints'], [`/portal/endpoints/${endpoint}`, 'Endpoint'], ['/portal/deliveries', 'Deliveries'], [`/portal/deliveries/${delivery}`, 'Delivery']] as const) {
      await page.goto(new URL(route, stack.url).toString());
      await heading(page, title);
      await page.locator('main table, main form').first().waitFor({ timeout: SEEN_MS });
      const passed = await assertAxeClean(page, route);
      checked.push(`${route.replace(/_[0-9a-z]{20,}/, '_…')}: ${passed} rules passed`);
    }
    t.diagnostic(`axe-core, 0 violations: ${checked.join('; ')}`);

    // Keyboard only: the skip link first, then every control in order; Enter submits, Escape cancels the dialog.
    await page.goto(new URL('/portal/endpoints', stack.url).toString());
    await heading(page, 'Endpoints');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate('document.activeElement.textContent'), 'Skip to content');
    const tabTo = async (selector: string) => {
      for (let i = 0; i < 60; i++) {
        if (await page.evaluate(`document.activeElement?.matches(${JSON.stringify(selector)}) ?? false`)) return;
        await page.keyboard.press('Tab');
      }
      throw new Error(`Tab never reached ${selector}`);
    };
    await tabTo('input[name="url"]');
    await page.keyboard.type('http://127.0.0.1:9/keyboard-only');
    await page.keyboard.press('Enter');
    await heading(page, 'Endpoint');
    const created = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
    await tabTo('button.danger');
    await page.keyboard.press('Enter');
    await page.locator('dialog[open]').waitFor({ timeout: SEEN_MS });
    assert.equal(await page.evaluate('document.activeElement.textContent'), 'Cancel', 'focus moves into the dialog, on the safe choice');
    await page.keyboard.press('Escape');
    await page.locator('dialog').waitFor({ state: 'detached', timeout: SEEN_MS });
    assert.equal((await tenant.call('GET', `/v1/subscriptions/${created}`)).status, 200, 'Escape deleted nothing');
    await tabTo('button.danger');
    await page.keyboard.press('Enter');
    await page.locator('dialog[open]').waitFor({ timeout: SEEN_MS });
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await heading(page, 'Endpoints');
    assert.equal((await tenant.call('GET', `/v1/subscriptions/${created}`)).status, 404, 'deleted with the keyboard');
    await context.close();
  });

  void test('errors show the API\'s problem detail in words', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await page.goto((await createPortalLink(stack, tenant.id)).url);
    await heading(page, 'Endpoints');
    // The browser accepts both fields; the API does not, and the page says which field and why.
    const alert = page.getByRole('alert');
    await page.getByLabel('Endpoint URL').fill('http://127.0.0.1:9/hooks');
    await page.getByLabel('Event types').fill('order.created, order created!');
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    await alert.waitFor({ timeout: SEEN_MS });
    assert.match(await alert.innerText(), /^Validation Failed — body\.eventTypes\.2: must be an event type, "\*", or a prefix wildcard/);
    await page.getByLabel('Endpoint URL').fill('ftp://127.0.0.1/hooks');
    await page.getByLabel('Event types').fill('order.*');
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    await page.getByRole('alert').filter({ hasText: 'body.url' }).waitFor({ timeout: SEEN_MS });
    assert.match(await alert.innerText(), /^Validation Failed — body\.url: /);
    // Another tenant's delivery reads as missing, in the API's words.
    await page.goto(new URL('/portal/deliveries/dlv_not_mine', stack.url).toString());
    await heading(page, 'Delivery');
    assert.match(await page.getByRole('alert').innerText(), /Not Found — delivery dlv_not_mine does not exist/);
    await context.close();
  });

  void test('the event catalog: its pages, picking types for a new endpoint, and sending an example to it (axe-core clean)', async (t) => {
    // Global to the installation, as an operator would publish it.
    const paid = {
      name: 'invoice.paid',
      description: 'An invoice was paid in full.',
      schema: {
        type: 'object',
        required: ['invoice', 'amount'],
        properties: { invoice: { type: 'string', description: 'The invoice ID' }, amount: { type: 'integer', minimum: 0 }, customer: { type: 'object', properties: { email: { type: 'string', format: 'email' } } } },
      },
      examples: [{ invoice: 'in_42', amount: 4200, customer: { email: 'ada@example.com' } }],
    };
    for (const body of [paid, { name: 'invoice.refunded', description: 'An invoice was refunded.' }, { name: 'invoice.legacy', deprecated: true }]) {
      const res = await stack.call('POST', '/v1/event-types', body);
      assert.equal(res.status, 201, JSON.stringify(res.body));
    }
    const context = await newContext(browser, { bypassCSP: true });
    const page = await context.newPage();
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    await page.goto((await createPortalLink(stack, tenant.id)).url);
    await heading(page, 'Endpoints');
    const checked: string[] = [];

    // The catalog page lists the published types (not the deprecated one), each linking to its fields and example.
    await page.getByRole('link', { name: 'Event types', exact: true }).click();
    await heading(page, 'Event types');
    await page.locator('tr[data-event-type="invoice.paid"]').waitFor({ timeout: SEEN_MS });
    assert.deepEqual(await page.locator('tr[data-event-type]').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-event-type'))), ['invoice.paid', 'invoice.refunded']);
    checked.push(`/portal/event-types: ${await assertAxeClean(page, '/portal/event-types')} rules passed`);
    await page.getByRole('link', { name: 'invoice.paid' }).click();
    await heading(page, 'invoice.paid');
    const fields = await page.locator('table[data-fields] tbody tr').allInnerTexts();
    assert.deepEqual(fields.map((f) => f.split('\t').map((c) => c.trim())), [
      ['invoice', 'string', 'Yes', 'The invoice ID'],
      ['amount', 'integer', 'Yes', ''],
      ['customer', 'object', 'No', ''],
      ['customer.email', 'string (email)', 'No', ''],
    ]);
    assert.deepEqual(JSON.parse((await page.locator('[data-example]').textContent())!).data, paid.examples[0]);
    checked.push(`/portal/event-types/invoice.paid: ${await assertAxeClean(page, '/portal/event-types/invoice.paid')} rules passed`);
    await page.screenshot({ path: path.join(shots, 'event-type.png'), fullPage: true });

    // Adding an endpoint: the catalog's types to tick, kept in step with the text field.
    await page.getByRole('link', { name: 'Endpoints', exact: true }).click();
    await heading(page, 'Endpoints');
    await page.getByRole('group', { name: 'Pick from the event catalog' }).waitFor({ timeout: SEEN_MS });
    checked.push(`/portal/endpoints (with the picker): ${await assertAxeClean(page, '/portal/endpoints')} rules passed`);
    await page.getByLabel('Endpoint URL').fill(receiver.url);
    await page.getByLabel('invoice.paid').check();
    await page.getByLabel('invoice.refunded').check();
    await page.getByLabel('invoice.refunded').uncheck();
    assert.equal(await page.getByLabel('Event types').inputValue(), 'invoice.paid');
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    await heading(page, 'Endpoint');
    const subscriptionId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
    const stored = await tenant.call('GET', `/v1/subscriptions/${subscriptionId}`);
    assert.deepEqual(stored.body.eventTypes, ['invoice.paid']);
    receiver.secrets = [(await tenant.call('GET', `/v1/subscriptions/${subscriptionId}/secret`)).body.secret];

    // Send an example: the chosen type's example, signed and delivered to this endpoint like a ping.
    await page.getByLabel('Event type', { exact: true }).selectOption('invoice.paid');
    checked.push(`/portal/endpoints/:id (with examples): ${await assertAxeClean(page, '/portal/endpoints/:id')} rules passed`);
    await page.getByRole('button', { name: 'Send example' }).click();
    const result = page.locator('[data-ping]');
    await result.waitFor({ timeout: SEEN_MS });
    assert.equal(await result.getAttribute('data-ping'), 'succeeded', await result.innerText());
    const got = receiver.received.filter((r) => r.payload?.type === 'invoice.paid');
    assert.equal(got.length, 1);
    assert.equal(got[0]!.verified, true, 'the example arrives signed with the endpoint\'s secret');
    assert.deepEqual(got[0]!.payload!.data, paid.examples[0]);
    t.diagnostic(`axe-core, 0 violations: ${checked.join('; ')}`);
    assert.deepEqual(consoleErrors, [], 'no script errors in the console');
    await context.close();
  });

  void test('delivery health on the endpoint page: totals, a chart and the same figures as a table (axe-core clean)', async (t) => {
    const health = await pool.start((req) => ((JSON.parse(req.body) as { data: { ok: boolean } }).data.ok ? { status: 200, delayMs: 20 } : { status: 503 }));
    const created = await tenant.call('POST', '/v1/subscriptions', { url: health.url, eventTypes: ['health.*'], description: 'Health check' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    // Three delivered, one dead-lettered after its three attempts: 4 deliveries, 6 attempts.
    const sent = await Promise.all([true, true, true, false].map(async (ok) => (await tenant.call('POST', '/v1/events', { type: 'health.check', data: { ok } })).body.deliveries[0].id as string));
    await Promise.all(sent.map((id, i) => waitForState(stack, id, i < 3 ? 'succeeded' : 'dead_lettered')));

    const context = await newContext(browser, { bypassCSP: true });
    const page = await context.newPage();
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    await page.goto((await createPortalLink(stack, tenant.id)).url);
    await heading(page, 'Endpoints');
    await page.goto(new URL(`/portal/endpoints/${created.body.id}`, stack.url).toString());
    await heading(page, 'Endpoint');
    const section = page.locator('section[data-stats="ready"]');
    await section.waitFor({ timeout: SEEN_MS });
    assert.match(await section.locator('[data-stats-totals]').innerText(), /^4 deliveries: 3 succeeded, 1 failed \(success rate 75\.0%\) · 6 attempts · latency p50 \d+ ms, p95 \d+ ms, p99 \d+ ms$/);
    // The charts are images with a title; the table holds each period's figures, adding up to the totals.
    const charts = section.getByRole('img');
    assert.equal(await charts.count(), 2);
    await section.getByRole('img', { name: 'Deliveries per hour, last 24 hours' }).waitFor({ timeout: SEEN_MS });
    await section.getByRole('img', { name: 'Latency per hour, last 24 hours' }).waitFor({ timeout: SEEN_MS });
    assert.ok((await section.locator('rect.bar-ok').count()) >= 1 && (await section.locator('rect.bar-failed').count()) >= 1, 'bars for both outcomes');
    assert.ok((await section.locator('.line-p50').count()) >= 1, 'a p50 line or point');
    const rows = await section.locator('table[data-stats-table] tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.children].map((c) => (c.textContent ?? '').trim())));
    const sum = (col: number) => rows.reduce((n, r) => n + Number(r[col]), 0);
    assert.deepEqual([sum(1), sum(2), sum(3)], [3, 1, 6], JSON.stringify(rows));
    const api = (await tenant.call('GET', `/v1/subscriptions/${created.body.id}/stats?bucket=1h`)).body;
    const busy = api.buckets.filter((b: { attempts: number }) => b.attempts > 0);
    assert.deepEqual(rows.map((r) => r.slice(1, 5)), busy.map((b: { succeeded: number; failed: number; attempts: number; successRate: number | null }) => [
      String(b.succeeded), String(b.failed), String(b.attempts), b.successRate === null ? '—' : `${(b.successRate * 100).toFixed(1)}%`,
    ]));
    const passed = await assertAxeClean(page, '/portal/endpoints/:id (delivery health)');
    await section.screenshot({ path: path.join(shots, 'endpoint-health.png') });

    // Another window: the last hour in 5-minute periods, still the same four deliveries.
    await section.getByLabel('Window', { exact: true }).selectOption('1h');
    await page.locator('table[data-stats-table] caption', { hasText: 'Per 5 minutes, last hour' }).waitFor({ timeout: SEEN_MS });
    await page.locator('section[data-stats="ready"]').waitFor({ timeout: SEEN_MS });
    assert.match(await section.locator('[data-stats-totals]').innerText(), /^4 deliveries: 3 succeeded, 1 failed/);
    t.diagnostic(`axe-core, 0 violations with the health section: ${passed} rules passed`);
    assert.deepEqual(consoleErrors, [], 'no script errors in the console');
    await context.close();
  });

  void test('endpoint controls: headers shown masked and edited with their values, a bad filter shows the API\'s message', async () => {
    const created = await tenant.call('POST', '/v1/subscriptions', { url: receiver.url, eventTypes: ['ctl.*'], headers: { 'X-Api-Key': 'k-hidden-1', 'X-Team': 'ops' } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const base = `/v1/subscriptions/${created.body.id}`;
    const context = await newContext(browser);
    const page = await context.newPage();
    await page.goto((await createPortalLink(stack, tenant.id)).url);
    await heading(page, 'Endpoints');
    await page.goto(new URL(`/portal/endpoints/${created.body.id}`, stack.url).toString());
    await heading(page, 'Endpoint');
    const table = page.locator('table.headers');
    await table.waitFor({ timeout: SEEN_MS });
    assert.match(await table.innerText(), /X-Api-Key\s+\*{8}[\s\S]*X-Team\s+ops/);
    assert.ok(!(await page.locator('body').innerText()).includes('k-hidden-1'), 'a masked value is on the page');

    // Editing loads the whole values; the credential stays in a password field.
    await page.getByRole('button', { name: 'Edit headers' }).click();
    const names = page.getByLabel('Header name');
    await names.first().waitFor({ timeout: SEEN_MS });
    const values = page.getByLabel('Header value');
    assert.equal(await values.nth(0).getAttribute('type'), 'password');
    assert.equal(await values.nth(0).inputValue(), 'k-hidden-1');
    await page.getByRole('button', { name: 'Add header' }).click();
    await names.nth(2).fill('X-New');
    await values.nth(2).fill('fresh');
    await page.getByRole('button', { name: 'Save headers' }).click();
    await table.waitFor({ timeout: SEEN_MS });
    await page.getByRole('cell', { name: 'fresh' }).waitFor({ timeout: SEEN_MS });
    assert.deepEqual((await tenant.call('GET', `${base}/headers`)).body.headers, { 'X-Api-Key': 'k-hidden-1', 'X-New': 'fresh', 'X-Team': 'ops' });

    // A refused header name: the API's message, naming the header.
    await page.getByRole('button', { name: 'Edit headers' }).click();
    await names.nth(0).fill('Host');
    await page.getByRole('button', { name: 'Save headers' }).click();
    await page.getByRole('alert').filter({ hasText: 'body.headers.Host' }).waitFor({ timeout: SEEN_MS });
    await page.getByRole('button', { name: 'Cancel' }).click();

    // The filter: the API's validation message with the place in the filter, then a good one saved.
    const filter = page.getByLabel('Filter (JSON)');
    await filter.fill('{"data": {"amount": {"$regex": "^1"}}}');
    await page.getByRole('button', { name: 'Save filter' }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'body.filter' });
    await alert.waitFor({ timeout: SEEN_MS });
    assert.match(await alert.innerText(), /body\.filter\.data\.amount\.\$regex: is not a supported operator/);
    await filter.fill('{"data": {"amount": {"$gte": 100}}}');
    await page.getByRole('button', { name: 'Save filter' }).click();
    await alert.waitFor({ state: 'detached', timeout: SEEN_MS });
    await waitFor(async () => ((await tenant.call('GET', base)).body.filter?.data?.amount?.$gte === 100 ? true : undefined), 'the filter to be saved');
    await context.close();
  });
});
