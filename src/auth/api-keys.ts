import { createHash, timingSafeEqual } from 'node:crypto';
import { Problem } from '../errors/problem';
import { isScope, SCOPES, type Scope } from './scopes';

// Keys are compared as SHA-256 digests: equal length always, so timingSafeEqual is usable and
// the comparison time says nothing about the key's length or prefix.
const digest = (s: string) => createHash('sha256').update(s).digest();

/** One entry of HOOKFLOW_API_KEYS: `key` (admin) or `key:scope+scope`. */
export interface ApiKey {
  key: string;
  scopes: ReadonlySet<Scope>;
  /** Names the key in logs and rate-limit buckets without revealing it: the start of its SHA-256. */
  id: string;
}

export const MIN_KEY_LENGTH = 16;

/** What is wrong with one entry (by position; the key itself is never echoed). */
export function apiKeyProblems(entry: string, position: number): string[] {
  const colon = entry.indexOf(':');
  const key = colon < 0 ? entry : entry.slice(0, colon);
  const problems: string[] = [];
  if (key.length < MIN_KEY_LENGTH) problems.push(`entry ${position}: each API key must be at least ${MIN_KEY_LENGTH} characters`);
  if (colon >= 0) {
    const scopes = entry.slice(colon + 1).split('+');
    for (const s of scopes) {
      if (!isScope(s)) problems.push(`entry ${position}: unknown scope ${JSON.stringify(s)} (scopes: ${SCOPES.join(', ')}; join several with +)`);
    }
  }
  return problems;
}

export function parseApiKey(entry: string): ApiKey {
  const colon = entry.indexOf(':');
  const key = colon < 0 ? entry : entry.slice(0, colon);
  // A key without scopes keeps doing everything, as every key did before scopes existed.
  const scopes = colon < 0 ? ['admin' as const] : entry.slice(colon + 1).split('+').filter(isScope);
  return { key, scopes: new Set(scopes), id: `key_${digest(key).toString('hex').slice(0, 12)}` };
}

/** The credential of an `Authorization: Bearer <credential>` header, if that is its shape. */
export function bearerCredential(header: string | undefined): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1];
}

/** Finds the configured key a bearer header presents, comparing against every key in constant time. */
export function bearerKeyMatcher(entries: string[]): (header: string | undefined) => ApiKey | undefined {
  const keys = entries.map(parseApiKey);
  const digests = keys.map((k) => digest(k.key));
  return (header) => {
    const credential = bearerCredential(header);
    if (credential === undefined) return undefined;
    const presented = digest(credential);
    let found: ApiKey | undefined;
    // Check every key (no early exit), so timing does not reveal which one matched.
    digests.forEach((d, i) => {
      if (timingSafeEqual(presented, d)) found = keys[i];
    });
    return found;
  };
}

export const unauthorized = (detail = 'send a valid API key as "Authorization: Bearer <key>"') =>
  new Problem(401, 'Unauthorized', detail, undefined, { 'www-authenticate': 'Bearer realm="hookflow"' });
