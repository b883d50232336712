import assert from 'node:assert/strict';
import { randomBytes, webcrypto } from 'node:crypto';
import { describe, test } from 'node:test';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { loadConfig } from '../../src/config';
import { ConfigError } from '../../src/errors/config-error';
import {
  AesGcmPayloadCodec,
  createDataConverter,
  ENCRYPTED_ENCODING,
  KEY_ID_METADATA,
  parsePayloadKeys,
  PayloadDecryptionError,
} from '../../src/temporal/payload-codec';

const KEY_A = randomBytes(32).toString('base64');
const KEY_B = randomBytes(32).toString('base64');
const codecFor = (spec: string) => new AesGcmPayloadCodec(parsePayloadKeys(spec));
const text = (b: Uint8Array | null | undefined) => Buffer.from(b ?? []).toString('utf8');

const SECRET_ID = 'dlv_plaintext_marker_4f1c';
const VALUE = { deliveryId: SECRET_ID, eventId: 'evt_123', nested: { n: 7, list: ['a', 'ü'] } };
const plainPayload = (): Payload => defaultPayloadConverter.toPayload(VALUE);

void describe('AES-256-GCM payload codec', () => {
  void test('round trip: encrypted on the wire, the original payload (metadata too) back after decode', async () => {
    const codec = codecFor(`k1:${KEY_A}`);
    const original = plainPayload();
    const [wire] = await codec.encode([original]);

    assert.deepEqual(Object.keys(wire!.metadata!).sort(), ['encoding', KEY_ID_METADATA].sort());
    assert.equal(text(wire!.metadata!.encoding), ENCRYPTED_ENCODING);
    assert.equal(text(wire!.metadata![KEY_ID_METADATA]), 'k1');
    const serialized = temporal.api.common.v1.Payload.encode(original).finish();
    // iv (12) || ciphertext (same length as the serialized payload) || tag (16)
    assert.equal(wire!.data!.length, 12 + serialized.length + 16);
    assert.ok(!Buffer.from(wire!.data!).includes(SECRET_ID), 'plaintext ID visible in the ciphertext');
    assert.ok(!Buffer.from(wire!.data!).includes('json/plain'), 'original encoding visible in the ciphertext');

    const [back] = await codec.decode([wire!]);
    assert.equal(text(back!.metadata!.encoding), 'json/plain');
    assert.deepEqual(Buffer.from(back!.data!), Buffer.from(original.data!));
    assert.deepEqual(defaultPayloadConverter.fromPayload(back!), VALUE);
  });

  void test('a fresh IV per payload: the same value never encrypts to the same bytes', async () => {
    const codec = codecFor(`k1:${KEY_A}`);
    const [a, b] = await codec.encode([plainPayload(), plainPayload()]);
    assert.notDeepEqual(Buffer.from(a!.data!), Buffer.from(b!.data!));
    assert.notDeepEqual(Buffer.from(a!.data!).subarray(0, 12), Buffer.from(b!.data!).subarray(0, 12));
  });

  void test('wire format is the one Temporal samples use: WebCrypto AES-GCM over iv || ct||tag of Payload.encode', async () => {
    const [wire] = await codecFor(`k1:${KEY_A}`).encode([plainPayload()]);
    const data = Buffer.from(wire!.data!);
    const key = await webcrypto.subtle.importKey('raw', Buffer.from(KEY_A, 'base64'), 'AES-GCM', false, ['decrypt']);
    const plain = await webcrypto.subtle.decrypt({ name: 'AES-GCM', iv: data.subarray(0, 12) }, key, data.subarray(12));
    const inner = temporal.api.common.v1.Payload.decode(new Uint8Array(plain));
    assert.deepEqual(defaultPayloadConverter.fromPayload(inner), VALUE);
  });

  void test('tampering anywhere (IV, ciphertext, tag) or truncation is rejected, never decoded to garbage', async () => {
    const codec = codecFor(`k1:${KEY_A}`);
    const [wire] = await codec.encode([plainPayload()]);
    const length = wire!.data!.length;
    for (const at of [0, 11, 12, Math.floor(length / 2), length - 17, length - 1]) {
      const data = Buffer.from(wire!.data!);
      data[at] = data[at]! ^ 0x01;
      await assert.rejects(
        codec.decode([{ metadata: wire!.metadata, data }]),
        (err: Error) => err instanceof PayloadDecryptionError && /failed authentication/.test(err.message),
        `flipping byte ${at} was not detected`,
      );
    }
    await assert.rejects(codec.decode([{ metadata: wire!.metadata, data: wire!.data!.subarray(0, 20) }]), /truncated/);
  });

  void test('a different key under the same key ID fails authentication', async () => {
    const [wire] = await codecFor(`k1:${KEY_A}`).encode([plainPayload()]);
    await assert.rejects(codecFor(`k1:${KEY_B}`).decode([wire!]), PayloadDecryptionError);
  });

  void test('rotation: old ciphertext still decodes with "new,old"; new payloads use the first key', async () => {
    const [underA] = await codecFor(`A:${KEY_A}`).encode([plainPayload()]);
    const rotated = codecFor(`B:${KEY_B},A:${KEY_A}`);
    const [back] = await rotated.decode([underA!]);
    assert.deepEqual(defaultPayloadConverter.fromPayload(back!), VALUE);

    const [underB] = await rotated.encode([plainPayload()]);
    assert.equal(text(underB!.metadata![KEY_ID_METADATA]), 'B');
    // Once A is retired from the config its ciphertext is unreadable, with an error that says why.
    await assert.rejects(codecFor(`B:${KEY_B}`).decode([underA!]), (err: Error) => {
      assert.ok(err instanceof PayloadDecryptionError);
      assert.match(err.message, /key ID "A".*does not hold.*B/);
      assert.ok(!err.message.includes(KEY_B), 'error message leaks key material');
      return true;
    });
  });

  void test('payloads that are not binary/encrypted pass through unchanged (history written before encryption)', async () => {
    const codec = codecFor(`k1:${KEY_A}`);
    const plain = plainPayload();
    const binary = defaultPayloadConverter.toPayload(new Uint8Array([1, 2, 3]));
    const nothing = defaultPayloadConverter.toPayload(undefined);
    const out = await codec.decode([plain, binary, nothing]);
    assert.equal(out[0], plain);
    assert.equal(out[1], binary);
    assert.equal(out[2], nothing);
  });

  void test('an encrypted payload without a key ID is rejected clearly', async () => {
    const [wire] = await codecFor(`k1:${KEY_A}`).encode([plainPayload()]);
    await assert.rejects(
      codecFor(`k1:${KEY_A}`).decode([{ metadata: { encoding: wire!.metadata!.encoding! }, data: wire!.data }]),
      /no "encryption-key-id" metadata/,
    );
  });
});

void describe('HOOKFLOW_PAYLOAD_KEY configuration', () => {
  const load = (value: string) => loadConfig({ NODE_ENV: 'test', HOOKFLOW_PAYLOAD_KEY: value });

  void test('valid: one key or several, standard or URL-safe base64, spaces around commas', () => {
    assert.equal(load(`main:${KEY_A}`).payloadKey, `main:${KEY_A}`);
    const urlSafe = Buffer.from(KEY_B, 'base64').toString('base64url');
    const keys = parsePayloadKeys(` 2025-06.b:${urlSafe} , old_a:${KEY_A} `);
    assert.equal(keys.currentKeyId, '2025-06.b');
    assert.deepEqual([...keys.keys.keys()], ['2025-06.b', 'old_a']);
    assert.deepEqual(keys.keys.get('2025-06.b'), Buffer.from(KEY_B, 'base64'));
    assert.ok(load(`x:${KEY_A}, y:${KEY_B}`));
  });

  const bad: [string, string, RegExp][] = [
    ['no key ID', KEY_A, /entry 1 must be keyId:base64key/],
    ['a 16-byte key', `k:${randomBytes(16).toString('base64')}`, /entry 1: the key must decode to 32 bytes \(got 16\)/],
    ['a 33-byte key', `k:${randomBytes(33).toString('base64')}`, /decode to 32 bytes \(got 33\)/],
    ['not base64', `k:${KEY_A.slice(0, 40)}!!!!`, /entry 1: the key must be base64/],
    ['an empty key ID', `:${KEY_A}`, /entry 1: the key ID must be/],
    ['a duplicate key ID', `k:${KEY_A},k:${KEY_B}`, /entry 2: the key ID is used by an earlier entry/],
    ['a bad second entry', `k:${KEY_A},j:${KEY_B.slice(0, 20)}`, /entry 2: the key must/],
    ['only commas', ',,', /must hold comma-separated keyId:base64key/],
  ];
  for (const [what, value, message] of bad) {
    void test(`invalid (${what}): start-up fails naming HOOKFLOW_PAYLOAD_KEY, without echoing the value`, () => {
      assert.throws(
        () => load(value),
        (err: Error) => {
          assert.ok(err instanceof ConfigError, String(err));
          assert.match(err.message, /HOOKFLOW_PAYLOAD_KEY/);
          assert.match(err.message, message);
          for (const secret of [KEY_A, KEY_B, value, value.split(':').pop()!]) {
            if (secret.length >= 8) assert.ok(!err.message.includes(secret), `message echoes the key: ${err.message}`);
          }
          return true;
        },
      );
      assert.throws(() => parsePayloadKeys(value), /HOOKFLOW_PAYLOAD_KEY is invalid/);
    });
  }

  void test('createDataConverter: none without a key, one AES-GCM codec with one', () => {
    assert.equal(createDataConverter({ payloadKey: undefined }), undefined);
    const dc = createDataConverter({ payloadKey: `k:${KEY_A}` });
    assert.equal(dc?.payloadCodecs?.length, 1);
    assert.ok(dc.payloadCodecs[0] instanceof AesGcmPayloadCodec);
  });

  void test('HOOKFLOW_CODEC_CORS_ORIGINS: the local Web UI by default, a list when set', () => {
    assert.deepEqual(loadConfig({ NODE_ENV: 'test' }).codecCorsOrigins, ['http://localhost:8233', 'http://127.0.0.1:8233']);
    assert.deepEqual(
      loadConfig({ NODE_ENV: 'test', HOOKFLOW_CODEC_CORS_ORIGINS: 'https://ui.example.com, http://localhost:8080' }).codecCorsOrigins,
      ['https://ui.example.com', 'http://localhost:8080'],
    );
  });
});
