import { promises as dnsPromises, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { checkAddress, describeRefusal, type AddressPolicy } from './address-policy';

/** Every address a hostname resolves to, as the OS resolver (and so the delivery) would see it. */
export function lookupAll(hostname: string): Promise<LookupAddress[]> {
  return dnsPromises.lookup(hostname, { all: true });
}

export type UrlCheckResult = { ok: true; warning?: string } | { ok: false; reason: string };

export type UrlCheckOptions = {
  /** Production setting: refuse plain http so payloads and signatures are not sent in clear. */
  requireHttps: boolean;
  /** Injected in tests; defaults to the OS resolver. */
  resolve?: typeof lookupAll;
};

/**
 * Registration-time check of a subscription URL. It gives early, readable feedback; it is not the
 * enforcement point, because DNS can change after registration (rebinding). The delivery
 * agent re-checks every address at connect time.
 */
export async function checkWebhookUrl(
  url: string,
  policy: AddressPolicy,
  opts: UrlCheckOptions,
): Promise<UrlCheckResult> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, reason: 'url is not a valid absolute URL' };
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return { ok: false, reason: `url must use http or https, not ${parsed.protocol.replace(/:$/, '')}` };
  }
  if (opts.requireHttps && parsed.protocol !== 'https:') {
    return { ok: false, reason: 'url must use https' };
  }
  // Credentials in the URL would be stored, logged and shown back in plain text.
  if (parsed.username !== '' || parsed.password !== '') {
    return { ok: false, reason: 'url must not contain a username or password; authenticate with the webhook signature or custom headers instead' };
  }
  // WHATWG URL has already normalised IPv4 spellings such as 0x7f.1 or 2130706433 to dotted quads.
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') return { ok: false, reason: 'url must have a host' };

  if (isIP(host) !== 0) {
    const verdict = checkAddress(host, policy);
    return verdict.allowed ? { ok: true } : { ok: false, reason: `url host ${host} is ${describeRefusal(verdict.reason)}` };
  }

  let addresses: LookupAddress[];
  try {
    addresses = await (opts.resolve ?? lookupAll)(host);
  } catch (err) {
    // Not an SSRF finding: the name may be created later. Deliveries fail (and retry) until it resolves.
    return { ok: true, warning: unresolvedWarning(host, (err as { code?: unknown }).code) };
  }
  if (addresses.length === 0) return { ok: true, warning: unresolvedWarning(host, undefined) };

  // All addresses, not just the first: the connection may use any of them.
  for (const { address } of addresses) {
    const verdict = checkAddress(address, policy);
    if (!verdict.allowed) return { ok: false, reason: `url resolves to ${address}, ${describeRefusal(verdict.reason)}` };
  }
  return { ok: true };
}

function unresolvedWarning(host: string, code: unknown): string {
  const why = typeof code === 'string' ? ` (${code})` : '';
  return `${host} does not resolve${why}; deliveries to it will fail until it does`;
}
