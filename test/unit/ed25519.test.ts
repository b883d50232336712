// v1a (Ed25519) signing and verification, checked against the Standard Webhooks reference vector and
// against a second, independent Ed25519 implementation (tweetnacl), not only against itself.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import nacl from 'tweetnacl';
import { verifyWebhook, WebhookVerificationError } from '../../src/receiver';
import { generateSigningKey, isValidPublicKey, isValidSigningKey, publicKeyFor, signEd25519 } from '../../src/signing/ed25519';
import { buildWebhookHeaders, generateSecret } from '../../src/signing/standard-webhooks';

// standard-webhooks/standard-webhooks, libraries/go/webhook_asymmetric_test.go, TestAsymmetricWebhookSign.
const VECTOR = {
  seed: 'VEVTVFNJR05JTkdLRVlET05PVFVTRVRISVNGT1JBTlk=',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1a,tQ9V2XOqn7jL/DQenEFpqIugdBVtiMmER5mhSkXBNwM0mkATuDe6KYYUuxqtaiHeYGb7KaaBRdM5WqyeFiL8Ag==',
};

const b64 = (s: string) => Buffer.from(s, 'base64');
const raw = (key: string) => b64(key.slice(5));
const signed = (id: string, ts: number, body: string) => Buffer.from(`${id}.${ts}.${body}`, 'utf8');

/** The independent verifier: tweetnacl's Ed25519, given only the whpk_ key and the header token. */
function naclVerifies(publicKey: string, token: string, id: string, ts: number, body: string): boolean {
  assert.match(token, /^v1a,/);
  return nacl.sign.detached.verify(signed(id, ts, body), b64(token.slice(4)), raw(publicKey));
}

void describe('Ed25519 (v1a) signatures', () => {
  void test('the Standard Webhooks reference vector: same signature, byte for byte', () => {
    assert.equal(signEd25519(`whsk_${VECTOR.seed}`, VECTOR.id, VECTOR.timestamp, VECTOR.body), VECTOR.signature);
  });

  void test('the public key we derive is the one tweetnacl derives from the same seed, and it verifies the vector', () => {
    const ours = publicKeyFor(`whsk_${VECTOR.seed}`);
    const theirs = nacl.sign.keyPair.fromSeed(b64(VECTOR.seed)).publicKey;
    assert.deepEqual(raw(ours), Buffer.from(theirs));
    assert.equal(naclVerifies(ours, VECTOR.signature, VECTOR.id, VECTOR.timestamp, VECTOR.body), true);
  });

  void test('generated key pairs: whsk_/whpk_ of 32 bytes each; tweetnacl verifies our signatures and rejects a one-byte change', () => {
    for (let i = 0; i < 20; i++) {
      const { signingKey, publicKey } = generateSigningKey();
      assert.ok(isValidSigningKey(signingKey) && isValidPublicKey(publicKey));
      assert.equal(publicKeyFor(signingKey), publicKey);
      const body = JSON.stringify({ type: 'invoice.paid', data: { n: i } });
      const token = signEd25519(signingKey, 'evt_1', 1_700_000_000 + i, body);
      assert.equal(naclVerifies(publicKey, token, 'evt_1', 1_700_000_000 + i, body), true);
      const flipped = Buffer.from(body);
      flipped[i % flipped.length]! ^= 0x01;
      assert.equal(naclVerifies(publicKey, token, 'evt_1', 1_700_000_000 + i, flipped.toString('latin1')), false);
      assert.equal(naclVerifies(publicKey, token, 'evt_2', 1_700_000_000 + i, body), false, 'another webhook-id');
    }
  });

  void test('signatures tweetnacl makes verify in our receiver; one byte off does not', () => {
    const pair = nacl.sign.keyPair();
    const publicKey = `whpk_${Buffer.from(pair.publicKey).toString('base64')}`;
    const body = '{"type":"a.b","data":{"x":1}}';
    const ts = Math.floor(Date.now() / 1000);
    const sig = Buffer.from(nacl.sign.detached(signed('evt_9', ts, body), pair.secretKey)).toString('base64');
    const headers = { 'webhook-id': 'evt_9', 'webhook-timestamp': String(ts), 'webhook-signature': `v1a,${sig}` };
    assert.equal(verifyWebhook(body, headers, publicKey).type, 'a.b');
    const altered = body.replace('"x":1', '"x":2');
    assert.throws(() => verifyWebhook(altered, headers, publicKey), (e: unknown) => e instanceof WebhookVerificationError && e.code === 'invalid_signature');
  });

  void test('a rotation header carries v1a tokens of both keys; each public key verifies it; a whsec_ receiver finds nothing it supports', () => {
    const [older, newer] = [generateSigningKey(), generateSigningKey()];
    const body = '{"type":"a.b","data":null}';
    const ts = Math.floor(Date.now() / 1000);
    const headers = buildWebhookHeaders({ id: 'evt_r', timestampSeconds: ts, body, secrets: [newer.signingKey, older.signingKey] });
    const tokens = headers['webhook-signature']!.split(' ');
    assert.equal(tokens.length, 2);
    assert.ok(tokens.every((t) => t.startsWith('v1a,')));
    for (const pair of [older, newer]) {
      assert.equal(verifyWebhook(body, headers, pair.publicKey).type, 'a.b');
      assert.equal(tokens.filter((t) => naclVerifies(pair.publicKey, t, 'evt_r', ts, body)).length, 1);
    }
    assert.throws(() => verifyWebhook(body, headers, generateSecret()), (e: unknown) => e instanceof WebhookVerificationError && e.code === 'no_supported_signature');
    assert.throws(() => verifyWebhook(body, headers, generateSigningKey().publicKey), (e: unknown) => e instanceof WebhookVerificationError && e.code === 'invalid_signature');
  });

  void test('malformed keys are refused without echoing them', () => {
    for (const bad of ['whsk_', 'whsk_abc', `whsk_${VECTOR.seed.replace('k=', 'l=')}`, `whpk_${VECTOR.seed}x`, VECTOR.seed]) {
      assert.equal(isValidSigningKey(bad) || isValidPublicKey(bad), false, bad);
    }
    assert.throws(() => signEd25519('whsk_not-a-key', 'a', 1, 'b'), (e: unknown) => e instanceof TypeError && !e.message.includes('not-a-key'));
    assert.throws(() => verifyWebhook('{}', { 'webhook-id': 'a', 'webhook-timestamp': '1', 'webhook-signature': 'v1a,x' }, 'whpk_bad'), (e: unknown) => e instanceof WebhookVerificationError && e.code === 'invalid_secret');
  });
});
