import type { Config } from '../config';
import { allowsOtherSites } from '../security/frame-ancestors';

export const CSRF_HEADER = 'x-hookflow-csrf';

/**
 * `__Host-` (production): the browser accepts the cookie only with Secure, Path=/ and no Domain, so
 * no sibling subdomain can plant or shadow it. Plain HTTP development cannot set Secure cookies.
 */
export const sessionCookieName = (config: Pick<Config, 'env'>): string =>
  config.env === 'production' ? '__Host-hookflow_portal' : 'hookflow_portal';

/**
 * HttpOnly: no script, ours included, can read the session. SameSite=Strict: other sites cannot
 * make the browser send it. Embedded in another site's page (frame-ancestors names one), Strict
 * would keep the cookie out of the iframe, so it becomes SameSite=None; Secure; Partitioned (CHIPS:
 * a cookie jar per embedding site) and the CSRF header carries the protection alone.
 */
export function sessionCookie(config: Pick<Config, 'env' | 'portal'>, value: string, maxAgeSeconds: number): string {
  const embedded = allowsOtherSites(config.portal.frameAncestors);
  const secure = embedded || config.env === 'production';
  return [
    `${sessionCookieName(config)}=${value}`,
    'Path=/',
    `Max-Age=${maxAgeSeconds}`,
    'HttpOnly',
    embedded ? 'SameSite=None' : 'SameSite=Strict',
    ...(secure ? ['Secure'] : []),
    ...(embedded ? ['Partitioned'] : []),
  ].join('; ');
}

export const clearedSessionCookie = (config: Pick<Config, 'env' | 'portal'>): string => sessionCookie(config, '', 0);

/** The value of one cookie in a Cookie header (RFC 6265 pairs separated by `;`). */
export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
