// PostgreSQL text holds no NUL character, and pg turns an unpaired UTF-16 surrogate into U+FFFD on
// the way in (jsonb refuses both). Text that hookflow did not write itself (what an endpoint answered,
// an error message quoting it) is made storable here before a write that must not fail on it.

export const REPLACEMENT_CHARACTER = '\uFFFD';

const UNSTORABLE_G = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** The string with every NUL and unpaired surrogate replaced by U+FFFD. */
export function storableString(s: string): string {
  return s.replace(UNSTORABLE_G, REPLACEMENT_CHARACTER);
}
