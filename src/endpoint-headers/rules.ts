// What a subscription's custom headers may be. Pure: the API schema, the portal's messages and the
// delivery activity all follow these rules.

export const MAX_HEADERS = 20;
export const MAX_NAME_LENGTH = 256;
export const MAX_VALUE_LENGTH = 4096;

/** What reads show instead of a credential-like header's value. */
export const MASK = '********';

// RFC 9110 token characters.
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// Visible ASCII, space and tab: no CR, LF or other control character can split the request.
const PRINTABLE = /^[\x20-\x7e\t]*$/;

// Names hookflow or HTTP itself sets: overriding them would break framing, the signature or the
// connection. Hop-by-hop headers are the connection's, not the endpoint's; `expect` is refused by
// the HTTP client.
const REFUSED: Record<string, string> = {
  host: 'hookflow sets host from the URL',
  'content-length': 'hookflow sets content-length from the body',
  'content-type': 'hookflow always sends application/json',
  'transfer-encoding': 'is a hop-by-hop header that HTTP sets itself',
  connection: 'is a hop-by-hop header that HTTP sets itself',
  'keep-alive': 'is a hop-by-hop header that HTTP sets itself',
  'proxy-authenticate': 'is a hop-by-hop header',
  'proxy-authorization': 'is a hop-by-hop header (it would go to the egress proxy, not the endpoint)',
  'proxy-connection': 'is a hop-by-hop header',
  te: 'is a hop-by-hop header that HTTP sets itself',
  trailer: 'is a hop-by-hop header that HTTP sets itself',
  upgrade: 'is a hop-by-hop header that HTTP sets itself',
  expect: 'is not supported on webhook requests',
};

/** Why a header name is refused (without its value), or undefined when it may be set. */
export function refusedName(name: string): string | undefined {
  const lower = name.toLowerCase();
  if (lower.startsWith('webhook-')) return 'webhook-… headers are the Standard Webhooks headers hookflow sets and signs';
  return REFUSED[lower];
}

/** Problems of a header map, each with the header name it concerns; messages never quote a value. */
export function headerProblems(headers: Record<string, string>): { name?: string; message: string }[] {
  const problems: { name?: string; message: string }[] = [];
  const names = Object.keys(headers);
  if (names.length > MAX_HEADERS) problems.push({ message: `at most ${MAX_HEADERS} headers (got ${names.length})` });
  const seen = new Map<string, string>();
  for (const name of names) {
    const value = headers[name]!;
    if (!TOKEN.test(name) || name.length > MAX_NAME_LENGTH) {
      problems.push({ name, message: `is not a valid header name (1-${MAX_NAME_LENGTH} letters, digits and !#$%&'*+-.^_\`|~)` });
      continue;
    }
    const refused = refusedName(name);
    if (refused) problems.push({ name, message: `cannot be set: ${refused}` });
    const earlier = seen.get(name.toLowerCase());
    if (earlier !== undefined) problems.push({ name, message: `repeats ${earlier}: header names are case-insensitive` });
    seen.set(name.toLowerCase(), name);
    if (typeof value !== 'string') continue; // the schema reports the type
    if (!PRINTABLE.test(value)) problems.push({ name, message: 'value must be printable ASCII (no CR, LF or other control characters)' });
    else if (value.length === 0 || value.length > MAX_VALUE_LENGTH) problems.push({ name, message: `value must be 1-${MAX_VALUE_LENGTH} characters` });
    else if (value !== value.trim()) problems.push({ name, message: 'value must not start or end with whitespace' });
  }
  return problems;
}

const CREDENTIAL_WORDS = ['key', 'token', 'secret', 'auth', 'password', 'credential', 'cookie', 'session', 'signature'];

/** Headers whose values reads mask: `authorization`, `cookie`, and names containing key, token, secret, auth… */
export function isCredentialLike(name: string): boolean {
  const lower = name.toLowerCase();
  return CREDENTIAL_WORDS.some((w) => lower.includes(w));
}
