import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { isSealed, SecretBox, SecretUnavailableError } from '../../src/security/secret-box';
import { generateSecret } from '../../src/signing/standard-webhooks';

const key = () => randomBytes(32).toString('base64');
const [K1, K2] = [key(), key()];

void describe('signing secrets at rest (SecretBox)', () => {
  void test('seal gives hfenc1:<current key ID>:… holding nothing of the secret; open gives it back', () => {
    const box = new SecretBox(`k1:${K1}`);
    const secret = generateSecret();
    const sealed = box.seal(secret, 'sub_a');
    assert.ok(sealed.startsWith('hfenc1:k1:') && isSealed(sealed) && box.isCurrent(sealed));
    assert.ok(!sealed.includes(secret.slice(6)) && !sealed.includes(secret));
    assert.notEqual(box.seal(secret, 'sub_a'), sealed, 'a fresh IV each time');
    assert.equal(box.open(sealed, 'sub_a'), secret);
  });

  void test('bound to its subscription: copied to another row it does not open', () => {
    const box = new SecretBox(`k1:${K1}`);
    const sealed = box.seal(generateSecret(), 'sub_a');
    assert.throws(() => box.open(sealed, 'sub_b'), (e: unknown) => e instanceof SecretUnavailableError && /sub_b/.test(e.message));
  });

  void test('a tampered byte, an unknown key ID: errors name the row and key, never the value', () => {
    const box = new SecretBox(`k1:${K1}`);
    const secret = generateSecret();
    const sealed = box.seal(secret, 'sub_a');
    const body = Buffer.from(sealed.slice('hfenc1:k1:'.length), 'base64');
    body[20]! ^= 1;
    for (const bad of [`hfenc1:k1:${body.toString('base64')}`, sealed.replace('hfenc1:k1:', 'hfenc1:k9:')]) {
      assert.throws(
        () => box.open(bad, 'sub_a'),
        (e: unknown) => e instanceof SecretUnavailableError && /sub_a/.test(e.message) && !e.message.includes(secret) && !e.message.includes(bad.slice(12, 40)),
      );
    }
  });

  void test('key rotation: a ring with a new first key opens the old ciphertext and seals under the new key', () => {
    const before = new SecretBox(`k1:${K1}`);
    const after = new SecretBox(`k2:${K2},k1:${K1}`);
    const secret = generateSecret();
    const old = before.seal(secret, 'sub_a');
    assert.equal(after.isCurrent(old), false);
    assert.equal(after.open(old, 'sub_a'), secret);
    assert.ok(after.seal(secret, 'sub_a').startsWith('hfenc1:k2:'));
    assert.throws(() => new SecretBox(`k2:${K2}`).open(old, 'sub_a'), /key ID "k1", which HOOKFLOW_SECRET_KEYS does not hold/);
  });

  void test('a row from before encryption at rest passes through until it is sealed', () => {
    const secret = generateSecret();
    assert.equal(new SecretBox(`k1:${K1}`).open(secret, 'sub_a'), secret);
    assert.equal(isSealed(secret), false);
  });

  void test('a malformed key ring is refused by position, never echoed', () => {
    assert.throws(() => new SecretBox('k1:short'), (e: unknown) => e instanceof Error && /HOOKFLOW_SECRET_KEYS is invalid: entry 1/.test(e.message) && !e.message.includes('short'));
  });
});
