import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

// Prefixes let secret scanners (and people) tell a leaked portal credential from a tenant token.
const LINK_PREFIX = 'hfpl_';
const SESSION_PREFIX = 'hfps_';
const CREDENTIAL = /^hfp[ls]_[A-Za-z0-9_-]{43}$/;

const random = (prefix: string) => prefix + randomBytes(32).toString('base64url');

/** The one-time credential a portal link carries (in its fragment, never in its path or query). */
export const generateLinkToken = (): string => random(LINK_PREFIX);
/** The session cookie's value. */
export const generateSessionToken = (): string => random(SESSION_PREFIX);

export const isLinkToken = (s: string): boolean => s.startsWith(LINK_PREFIX) && CREDENTIAL.test(s);
export const isSessionToken = (s: string): boolean => s.startsWith(SESSION_PREFIX) && CREDENTIAL.test(s);

/** Only this digest is stored: 256 random bits leave nothing to brute-force, and it is an index lookup. */
export const credentialHash = (token: string): Buffer => createHash('sha256').update(token).digest();

/**
 * The CSRF token of a session, derived from the session's own secret: whoever can compute it already
 * holds the HttpOnly cookie, so nothing needs storing, and a cross-site page (which can make the
 * browser send the cookie but never read it) cannot forge the header.
 */
export const csrfTokenFor = (sessionToken: string): string =>
  createHmac('sha256', sessionToken).update('hookflow-portal-csrf').digest('base64url');

export function csrfMatches(sessionToken: string, presented: string | undefined): boolean {
  if (presented === undefined) return false;
  const expected = Buffer.from(csrfTokenFor(sessionToken));
  const given = Buffer.from(presented);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
