import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildWebhookHeaders, computeSignature, generateSecret } from '../../src/signing/standard-webhooks';
import { verifyWebhook, WebhookVerificationError } from '../../src/receiver';

const SECRET = generateSecret();
const NOW_S = 1_700_000_000;
const now = (): number => NOW_S * 1000;
const RUNS = 400;

const idArb = fc.string({ minLength: 1, maxLength: 64 });
const tsArb = fc.integer({ min: 300, max: 99_999_999_999 });
const eventArb = fc.record(
  { type: fc.string({ minLength: 1, maxLength: 40, unit: 'binary' }), timestamp: fc.string(), data: fc.jsonValue() },
  { requiredKeys: ['type', 'data'] },
);
const bytesArb = fc.uint8Array({ maxLength: 512 }).map((u) => Buffer.from(u));

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof WebhookVerificationError, `threw non-WebhookVerificationError: ${String(err)}`);
    return err.code;
  }
  return 'accepted';
}

void test('sign → verify round-trips for arbitrary ids, timestamps and JSON events', () => {
  fc.assert(
    fc.property(idArb, tsArb, eventArb, fc.boolean(), (id, ts, payload, asBuffer) => {
      const text = JSON.stringify(payload);
      const headers = buildWebhookHeaders({ id, timestampSeconds: ts, body: text, secrets: [SECRET] });
      const event = verifyWebhook(asBuffer ? Buffer.from(text) : text, headers, SECRET, { now: () => ts * 1000 });
      const reparsed = JSON.parse(text) as { type: string; data: unknown; timestamp?: string };
      assert.equal(event.id, id);
      assert.equal(event.timestamp.getTime(), ts * 1000);
      assert.equal(event.type, reparsed.type);
      assert.deepEqual(event.data, reparsed.data);
      assert.equal(event.payloadTimestamp, reparsed.timestamp);
      assert.equal(event.raw, text);
    }),
    { numRuns: RUNS },
  );
});

void test('arbitrary signed bytes always pass the signature check', () => {
  fc.assert(
    fc.property(idArb, bytesArb, (id, body) => {
      const headers = buildWebhookHeaders({ id, timestampSeconds: NOW_S, body, secrets: [SECRET] });
      assert.ok(['accepted', 'invalid_payload'].includes(codeOf(() => verifyWebhook(body, headers, SECRET, { now }))));
    }),
    { numRuns: RUNS },
  );
});

type Mutation =
  | { kind: 'body'; index: number; mask: number }
  | { kind: 'timestamp'; delta: number }
  | { kind: 'id'; index: number; char: string }
  | { kind: 'signature'; index: number; char: string }
  | { kind: 'secret' };

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=';
const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('body' as const), index: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('timestamp' as const), delta: fc.integer({ min: -300, max: 300 }).filter((d) => d !== 0) }),
  fc.record({ kind: fc.constant('id' as const), index: fc.nat(), char: fc.string({ minLength: 1, maxLength: 1 }) }),
  fc.record({ kind: fc.constant('signature' as const), index: fc.nat(), char: fc.constantFrom(...B64) }),
  fc.record({ kind: fc.constant('secret' as const) }),
);

void test('any single mutation of body, timestamp, id, signature or secret is rejected', () => {
  fc.assert(
    fc.property(idArb, eventArb, mutationArb, (id, payload, m) => {
      let body = Buffer.from(JSON.stringify(payload));
      const headers = buildWebhookHeaders({ id, timestampSeconds: NOW_S, body, secrets: [SECRET] });
      let secret = SECRET;
      switch (m.kind) {
        case 'body': {
          body = Buffer.from(body);
          const i = m.index % body.length;
          body[i] = body[i]! ^ m.mask;
          break;
        }
        case 'timestamp':
          headers['webhook-timestamp'] = String(NOW_S + m.delta);
          break;
        case 'id': {
          // Insert rather than replace so the result always differs from the original.
          const i = m.index % (id.length + 1);
          headers['webhook-id'] = id.slice(0, i) + m.char + id.slice(i);
          break;
        }
        case 'signature': {
          const sig = headers['webhook-signature']!;
          const i = 3 + (m.index % (sig.length - 3));
          fc.pre(sig[i] !== m.char);
          headers['webhook-signature'] = sig.slice(0, i) + m.char + sig.slice(i + 1);
          break;
        }
        case 'secret':
          secret = generateSecret();
      }
      // Timestamp mutations stay inside the tolerance window, so every case must die on the MAC.
      assert.equal(codeOf(() => verifyWebhook(body, headers, secret, { now })), 'invalid_signature');
    }),
    { numRuns: RUNS },
  );
});

const headerName = fc.oneof(
  fc.constantFrom('webhook-id', 'WEBHOOK-ID', 'webhook-timestamp', 'Webhook-Timestamp', 'webhook-signature', 'WEBHOOK-SIGNATURE'),
  fc.constantFrom('svix-id', 'svix-timestamp', 'svix-signature', '__proto__', 'constructor', 'toString'),
  fc.string(),
);
const tokenArb = fc.oneof(
  fc.constantFrom('v1,', 'v1', ',', 'v2,abc', 'v1a,x'),
  fc.uint8Array({ minLength: 32, maxLength: 32 }).map((u) => 'v1,' + Buffer.from(u).toString('base64')),
  fc.string().map((s) => 'v1,' + s),
);
const headerValue = fc.oneof(
  fc.constant(String(NOW_S)),
  fc.integer({ min: NOW_S - 400, max: NOW_S + 400 }).map(String),
  idArb,
  fc.array(tokenArb, { maxLength: 20 }).map((t) => t.join(' ')),
  fc.array(fc.oneof(fc.string(), tokenArb), { maxLength: 4 }),
  fc.nat({ max: 200_000 }).map((n) => 'v1,' + 'A'.repeat(n)),
  fc.anything(),
);
// Mostly well-formed header sets, so the fuzz reaches the MAC comparison instead of dying on
// missing_header; the rest are arbitrary objects and values.
const caseOf = (name: string) => fc.constantFrom(name, name.toUpperCase(), name.replace('webhook-', 'svix-'), name.replace('webhook-', 'Webhook-'));
const plausibleHeadersArb = fc
  .tuple(
    caseOf('webhook-id'),
    fc.oneof({ weight: 4, arbitrary: idArb }, { weight: 1, arbitrary: headerValue }),
    caseOf('webhook-timestamp'),
    fc.oneof({ weight: 4, arbitrary: fc.constant(String(NOW_S)) }, { weight: 1, arbitrary: headerValue }),
    caseOf('webhook-signature'),
    fc.oneof({ weight: 4, arbitrary: fc.array(tokenArb, { minLength: 1, maxLength: 20 }).map((t) => t.join(' ')) }, { weight: 1, arbitrary: headerValue }),
    fc.dictionary(headerName, headerValue, { maxKeys: 4 }),
  )
  .map(([idName, id, tsName, ts, sigName, sig, extra]) => ({ ...extra, [idName]: id, [tsName]: ts, [sigName]: sig }));
const headersArb = fc.oneof(
  { weight: 6, arbitrary: plausibleHeadersArb },
  { weight: 3, arbitrary: fc.dictionary(headerName, headerValue, { maxKeys: 8 }) },
  { weight: 1, arbitrary: fc.anything() },
);
const bodyArb = fc.oneof(fc.string({ unit: 'binary' }), bytesArb, eventArb.map((e) => JSON.stringify(e)), fc.anything());

void test('fuzz: arbitrary headers and bodies only ever throw WebhookVerificationError and never verify', () => {
  fc.assert(
    fc.property(headersArb, bodyArb, (headers, body) => {
      const code = codeOf(() => verifyWebhook(body as string, headers as Record<string, string>, SECRET, { now }));
      assert.notEqual(code, 'accepted');
      // For a real body, invalid_payload would mean a forged MAC passed; other types are rejected up front.
      if (typeof body === 'string' || body instanceof Uint8Array) assert.notEqual(code, 'invalid_payload');
    }),
    { numRuns: RUNS },
  );
});

void test('fuzz: arbitrary secret configuration is rejected as invalid_secret, not a crash', () => {
  const body = '{"type":"t"}';
  const headers = { 'webhook-id': 'evt', 'webhook-timestamp': String(NOW_S), 'webhook-signature': computeSignature(SECRET, 'evt', NOW_S, body) };
  fc.assert(
    fc.property(fc.oneof(fc.anything(), fc.array(fc.string())), (secrets) => {
      assert.equal(codeOf(() => verifyWebhook(body, headers, secrets as string[], { now })), 'invalid_secret');
    }),
    { numRuns: RUNS },
  );
});

void test('hostile objects (throwing getters, proxies) are rejected with the right code, never crash', () => {
  const boom = (): never => {
    throw new Error('boom');
  };
  const throwing = Object.defineProperty({}, 'webhook-id', { enumerable: true, get: boom });
  const proxy = new Proxy({}, { ownKeys: boom, getPrototypeOf: boom, get: boom, has: boom });
  const arrayProxy = new Proxy(['x'], { get: boom });
  const body = '{"type":"t"}';
  const good = { 'webhook-id': 'evt', 'webhook-timestamp': String(NOW_S), 'webhook-signature': computeSignature(SECRET, 'evt', NOW_S, body) };
  for (const headers of [throwing, proxy, { ...good, 'webhook-id': arrayProxy }]) {
    assert.equal(codeOf(() => verifyWebhook(body, headers as Record<string, string>, SECRET, { now })), 'missing_header');
  }
  assert.equal(codeOf(() => verifyWebhook(proxy as string, good, SECRET, { now })), 'invalid_payload');
  assert.equal(codeOf(() => verifyWebhook(body, good, new Proxy([SECRET], { get: boom }), { now })), 'invalid_secret');
  assert.equal(codeOf(() => verifyWebhook(body, good, SECRET, { now })), 'accepted');
});
