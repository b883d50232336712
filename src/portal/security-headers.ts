import type { Config } from '../config';

/**
 * The portal's pages run only the scripts and styles it serves itself: no inline script or style,
 * no eval, no other origin, and (Trusted Types) no HTML strings turned into DOM, so text from the
 * API can only ever land as text. frame-ancestors decides who may embed it.
 */
export function contentSecurityPolicy(frameAncestors: string[]): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    `frame-ancestors ${frameAncestors.join(' ')}`,
    "require-trusted-types-for 'script'",
    'trusted-types',
  ].join('; ');
}

export function portalHeaders(config: Pick<Config, 'portal'>): Record<string, string> {
  const { frameAncestors } = config.portal;
  return {
    'content-security-policy': contentSecurityPolicy(frameAncestors),
    'x-content-type-options': 'nosniff',
    // Nothing of a portal URL travels to the endpoints or sites it links to.
    'referrer-policy': 'no-referrer',
    'cross-origin-resource-policy': 'same-origin',
    'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
    // For browsers that predate frame-ancestors; only expressible for the default.
    ...(frameAncestors.length === 1 && frameAncestors[0] === "'none'" ? { 'x-frame-options': 'DENY' } : {}),
  };
}
