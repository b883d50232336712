// What people import: the project packed with `npm pack`, installed in an empty project, and
// `hookflow/receiver` and `hookflow/client` imported there by those names, from ESM and CommonJS,
// with their TypeScript types resolving (`tsc --noEmit`), and the client calling a real API.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { createSubscription } from '../support/api';
import { API_KEY, startStack, type Stack } from '../support/stack';

const run = promisify(execFile);
const ROOT = path.join(__dirname, '..', '..');

const CONSUMER_TS = `
import { createHookflowClient, unwrap, HookflowApiError, type paths } from 'hookflow/client';
import { verifyWebhook, hookflowReceiver, MemoryDedupStore, WebhookVerificationError, type WebhookEvent } from 'hookflow/receiver';

type Created = paths['/v1/subscriptions']['post']['responses'][201]['content']['application/json'];
// Narrowed by \`signature\`: an HMAC subscription comes with its secret, an ed25519 one with its public key.
export const secretOf = (s: Created): string => (s.signature === 'hmac-sha256' ? s.secret : s.publicKey);

export async function typed(): Promise<string> {
  const client = createHookflowClient({ baseUrl: 'http://127.0.0.1:3000', apiKey: 'key' });
  const sub = await unwrap(client.POST('/v1/subscriptions', { body: { url: 'http://127.0.0.1:4000/hook', eventTypes: ['invoice.*'] } }));
  const id: string = sub.id;
  // @ts-expect-error: not a route of the API (the paths are real types, not any)
  await client.GET('/v1/nope');
  // @ts-expect-error: eventTypes is a list
  await client.POST('/v1/subscriptions', { body: { url: 'http://x', eventTypes: 'invoice.*' } });
  const ping = await unwrap(client.POST('/v1/subscriptions/{id}/test', { params: { path: { id } }, body: {} }));
  // @ts-expect-error: outcome is an enum of strings
  const wrong: number = ping.outcome;
  return id + String(wrong);
}

export function verified(body: string, headers: Record<string, string>, secret: string): string {
  const event: WebhookEvent = verifyWebhook(body, headers, secret);
  // @ts-expect-error: type is a string
  const n: number = event.type;
  return event.type + String(n);
}

export const parts = [hookflowReceiver, MemoryDedupStore, WebhookVerificationError, HookflowApiError];
`;

// Signs as Standard Webhooks says, with node:crypto only, so the receiver is checked against the spec, not against itself.
const CONSUMER_MJS = `
import { createHmac } from 'node:crypto';
import { createHookflowClient, unwrap, HookflowApiError } from 'hookflow/client';
import { verifyWebhook, WebhookVerificationError } from 'hookflow/receiver';

const [url, apiKey, subscriptionId] = process.argv.slice(2);
const client = createHookflowClient({ baseUrl: url, apiKey });
const sub = await unwrap(client.GET('/v1/subscriptions/{id}', { params: { path: { id: subscriptionId } } }));
const { secret } = await unwrap(client.GET('/v1/subscriptions/{id}/secret', { params: { path: { id: subscriptionId } } }));
let problem;
try { await unwrap(client.GET('/v1/deliveries/{id}', { params: { path: { id: 'dlv_nope' } } })); } catch (e) { problem = e; }

const body = JSON.stringify({ type: 'invoice.paid', timestamp: new Date().toISOString(), data: { n: 1 } });
const ts = String(Math.floor(Date.now() / 1000));
const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
const sig = createHmac('sha256', key).update('msg_1.' + ts + '.' + body).digest('base64');
const event = verifyWebhook(body, { 'webhook-id': 'msg_1', 'webhook-timestamp': ts, 'webhook-signature': 'v1,' + sig }, secret);
let forged;
try { verifyWebhook(body.replace('1}', '2}'), { 'webhook-id': 'msg_1', 'webhook-timestamp': ts, 'webhook-signature': 'v1,' + sig }, secret); } catch (e) { forged = e; }
console.log(JSON.stringify({
  subscriptionUrl: sub.url,
  problem: problem instanceof HookflowApiError ? [problem.status, problem.title] : String(problem),
  event: [event.id, event.type, event.data],
  forged: forged instanceof WebhookVerificationError ? forged.code : String(forged),
}));
`;

const CONSUMER_CJS = `
const receiver = require('hookflow/receiver');
const client = require('hookflow/client');
let internal;
try { require('hookflow/dist/src/db/pool'); internal = 'reachable'; } catch (e) { internal = e.code; }
console.log(JSON.stringify({ receiver: Object.keys(receiver).sort(), client: Object.keys(client).sort(), internal }));
`;

void describe('the packed package: hookflow/receiver and hookflow/client', () => {
  let stack: Stack;
  const work = mkdtempSync(path.join(tmpdir(), 'hookflow-consumer-'));
  const consumer = path.join(work, 'app');

  before(async () => {
    stack = await startStack();
  });
  after(async () => {
    await stack?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  void test('npm pack, install the tarball in an empty project, import by name, typecheck, call a real API', { timeout: 480_000 }, async () => {
    // prepack builds dist/ afresh, so the tarball holds what the sources say now.
    await run('npm', ['pack', '--pack-destination', work], { cwd: ROOT, timeout: 240_000 });
    const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));
    assert.ok(tarball, 'npm pack wrote a tarball');
    const listing = (await run('tar', ['tzf', path.join(work, tarball)])).stdout.split('\n');
    for (const f of ['package/dist/src/receiver/index.d.ts', 'package/dist/src/client/index.d.ts', 'package/dist/src/client/schema.d.ts', 'package/bin/hookflow.js']) {
      assert.ok(listing.includes(f), `the tarball has ${f}`);
    }
    assert.ok(!listing.some((f) => f.startsWith('package/test/') || f.startsWith('package/src/')), 'no tests or TypeScript sources in the tarball');

    await run('mkdir', ['-p', consumer]);
    writeFileSync(path.join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
    // The registry is reachable here, but everything is already in npm's cache from `npm ci`.
    await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', path.join(work, tarball), 'typescript@~5.9.3', '@types/node@^20.19.0'], {
      cwd: consumer,
      timeout: 300_000,
    });

    writeFileSync(path.join(consumer, 'check.ts'), CONSUMER_TS);
    writeFileSync(
      path.join(consumer, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, noEmit: true, skipLibCheck: true, types: ['node'] }, files: ['check.ts'] }),
    );
    // Fails on any type error, and on any @ts-expect-error that is not needed (types collapsed to any).
    await run(path.join(consumer, 'node_modules', '.bin', 'tsc'), ['--noEmit', '-p', consumer], { cwd: consumer, timeout: 120_000 }).catch((err: { stdout?: string }) => {
      assert.fail(`tsc --noEmit failed in the consumer:\n${err.stdout}`);
    });

    const sub = await createSubscription(stack, { url: 'http://127.0.0.1:4000/hook', eventTypes: ['invoice.*'] });
    writeFileSync(path.join(consumer, 'run.mjs'), CONSUMER_MJS);
    const esm = JSON.parse((await run(process.execPath, ['run.mjs', stack.url, API_KEY, sub.id], { cwd: consumer, timeout: 30_000 })).stdout);
    assert.deepEqual(esm, {
      subscriptionUrl: 'http://127.0.0.1:4000/hook',
      problem: [404, 'Not Found'],
      event: ['msg_1', 'invoice.paid', { n: 1 }],
      forged: 'invalid_signature',
    });

    writeFileSync(path.join(consumer, 'run.cjs'), CONSUMER_CJS);
    const cjs = JSON.parse((await run(process.execPath, ['run.cjs'], { cwd: consumer, timeout: 30_000 })).stdout);
    assert.deepEqual(cjs.receiver, ['MAX_SIGNATURES_CONSIDERED', 'MemoryDedupStore', 'WebhookVerificationError', 'hookflowReceiver', 'verifyWebhook']);
    assert.deepEqual(cjs.client, ['HookflowApiError', 'createHookflowClient', 'unwrap']);
    assert.equal(cjs.internal, 'ERR_PACKAGE_PATH_NOT_EXPORTED');

    // The installed bin runs the compiled CLI.
    const version = await run(path.join(consumer, 'node_modules', '.bin', 'hookflow'), ['--version'], { cwd: consumer, timeout: 30_000 });
    assert.equal(version.stdout.trim(), '0.1.0');
  });
});
