// The attempt log's excerpt of an endpoint's answer: always storable text (no NUL, no unpaired
// surrogate), the bytes as sent whenever they are valid UTF-8 without NUL, and a note otherwise.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { responseExcerpt } from '../../activities/response-excerpt';
import { storableString } from '../../src/db/storable-text';

const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const isValidUtf8 = (b: Uint8Array): boolean => {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(b);
    return true;
  } catch {
    return false;
  }
};

void test('the issue\'s bodies: a NUL is replaced and the note says so', () => {
  assert.deepEqual(responseExcerpt(Buffer.from('before\0after'), false), {
    text: 'before\uFFFDafter',
    note: 'not stored as sent: 1 NUL byte replaced with U+FFFD',
  });
  const utf16 = Buffer.from('\ufeffok', 'utf16le');
  const r = responseExcerpt(utf16, false);
  assert.ok(!UNSTORABLE.test(r.text));
  assert.match(r.note ?? '', /NUL bytes/);
  assert.match(responseExcerpt(Buffer.from([0x22, 0xff, 0xfe, 0xc3, 0x28, 0x22]), false).note ?? '', /invalid UTF-8 sequences/);
});

void test('an endpoint\'s own U+FFFD is text as sent, not a replacement', () => {
  assert.deepEqual(responseExcerpt(Buffer.from('a\uFFFDb'), false), { text: 'a\uFFFDb', note: null });
});

void test('a character cut by the read limit is dropped, not reported as invalid', () => {
  const bytes = Buffer.from('ab€'); // € is three bytes
  assert.deepEqual(responseExcerpt(bytes.subarray(0, 4), true), { text: 'ab', note: null });
  // Without the limit, the same bytes are an invalid (incomplete) sequence.
  assert.match(responseExcerpt(bytes.subarray(0, 4), false).note ?? '', /invalid UTF-8/);
});

void test('property: arbitrary bytes give storable text, and a note exactly when they were not kept as sent', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (bytes, truncated) => {
      const r = responseExcerpt(bytes, truncated);
      assert.ok(!UNSTORABLE.test(r.text), 'storable');
      const asSent = Buffer.from(r.text, 'utf8');
      if (r.note === null) {
        // Kept as sent: the text encodes back to the bytes (all of them, or all but a cut last character).
        assert.ok(bytes.length - asSent.length < (truncated ? 4 : 1) && Buffer.from(bytes).subarray(0, asSent.length).equals(asSent));
      } else {
        assert.ok(!isValidUtf8(bytes) || bytes.includes(0), `note ${r.note} on bytes that were fine`);
      }
    }),
    { numRuns: 2000 },
  );
});

void test('property: valid UTF-8 text without NUL is kept exactly', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }).filter((s) => !s.includes('\0')), (s) => {
      assert.deepEqual(responseExcerpt(Buffer.from(s, 'utf8'), false), { text: s, note: null });
    }),
    { numRuns: 1000 },
  );
});

void test('storableString replaces NUL and unpaired surrogates only', () => {
  assert.equal(storableString('a\0b\ud800c\udc00d😀'), 'a\uFFFDb\uFFFDc\uFFFDd😀');
  fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => !UNSTORABLE.test(storableString(s))), { numRuns: 1000 });
});
