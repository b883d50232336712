// A subscription's custom headers at rest: PostgreSQL holds each name with its value sealed under
// HOOKFLOW_SECRET_KEYS, bound to the subscription and the header name (src/security/secret-box.ts).
// Plaintext exists only in the API's answer to a caller allowed to read it and in the delivery
// activity's memory during one attempt, never in a log, an error or Temporal history.
import { isSealed, SecretUnavailableError, type SecretBox } from '../security/secret-box';
import { isCredentialLike, MASK } from './rules';

/** Stored form: name → sealed value. */
export type SealedHeaders = Record<string, string>;

const field = (name: string) => ({ header: name.toLowerCase() });

export function sealHeaders(box: SecretBox, subscriptionId: string, headers: Record<string, string>): SealedHeaders {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, box.seal(value, subscriptionId, field(name))]));
}

export function openHeaders(box: SecretBox, subscriptionId: string, stored: SealedHeaders): Record<string, string> {
  return Object.fromEntries(
    Object.entries(stored).map(([name, sealed]) => {
      // Custom headers never existed in plain text: an unsealed value was written around hookflow.
      if (!isSealed(sealed)) throw new SecretUnavailableError(`the value of header ${name.toLowerCase()} of ${subscriptionId} is not sealed`);
      return [name, box.open(sealed, subscriptionId, field(name))];
    }),
  );
}

/** What reads show: every name; the value too unless the name looks like a credential. */
export function maskedHeaders(box: SecretBox, subscriptionId: string, stored: SealedHeaders): Record<string, string> {
  const shown = Object.fromEntries(Object.entries(stored).filter(([name]) => !isCredentialLike(name)));
  const open = openHeaders(box, subscriptionId, shown);
  return Object.fromEntries(Object.keys(stored).sort(byName).map((name) => [name, open[name] ?? MASK]));
}

const byName = (a: string, b: string) => a.toLowerCase().localeCompare(b.toLowerCase());

/** Reads list headers by name (PostgreSQL's jsonb orders keys by length first). */
export const sortedByName = (headers: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.keys(headers).sort(byName).map((name) => [name, headers[name]!]));

/**
 * The request's headers: the signed Standard Webhooks headers, then the custom ones (lower-cased, so
 * a custom `User-Agent` replaces the default rather than being sent twice). The rules refuse every
 * name that could override the signed ones; they are applied last all the same.
 */
export function withCustomHeaders(signed: Record<string, string>, custom: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = { 'user-agent': 'hookflow/0.1' };
  for (const [name, value] of Object.entries(custom)) out[name.toLowerCase()] = value;
  return { ...out, ...signed };
}
