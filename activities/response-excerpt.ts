import { REPLACEMENT_CHARACTER } from '../src/db/storable-text';

/**
 * The part of an endpoint's answer the attempt log keeps. PostgreSQL text holds neither NUL nor
 * invalid UTF-8, and an endpoint may answer anything (binary, UTF-16, a NUL in the middle): a write
 * that failed on such bytes lost the whole attempt. So the excerpt is always storable text, and when
 * it is not the bytes as sent, `note` says what was replaced.
 */
export interface ResponseExcerpt {
  text: string;
  /** null when `text` is exactly the bytes received (up to the limit). */
  note: string | null;
}


/**
 * `truncated`: the bytes stop at the read limit, so a character cut in two at the end is dropped,
 * not reported as invalid.
 */
export function responseExcerpt(bytes: Uint8Array, truncated: boolean): ResponseExcerpt {
  // stream: true holds back an incomplete last character instead of replacing it.
  const decoded = new TextDecoder('utf-8').decode(bytes, { stream: truncated });
  // U+FFFD in the output is either the endpoint's own (it encodes back to the same bytes) or a
  // replacement: encoding back and comparing tells them apart.
  const encoded = Buffer.from(decoded, 'utf8');
  const invalid = encoded.length > bytes.length || Buffer.compare(encoded, Buffer.from(bytes.buffer, bytes.byteOffset, encoded.length)) !== 0;
  const nuls = countNuls(decoded);
  const text = nuls > 0 ? decoded.replaceAll('\u0000', REPLACEMENT_CHARACTER) : decoded;
  const replaced = [...(nuls > 0 ? [`${nuls} NUL byte${nuls === 1 ? '' : 's'}`] : []), ...(invalid ? ['invalid UTF-8 sequences'] : [])];
  return { text, note: replaced.length === 0 ? null : `not stored as sent: ${replaced.join(' and ')} replaced with U+FFFD` };
}

function countNuls(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\u0000'); i !== -1; i = s.indexOf('\u0000', i + 1)) n += 1;
  return n;
}
