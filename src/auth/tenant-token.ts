import { createHash, randomBytes } from 'node:crypto';

// The prefix lets secret scanners (and people) recognise a leaked token; 32 random bytes make it unguessable.
const PREFIX = 'hft_';

export function generateTenantToken(): string {
  return PREFIX + randomBytes(32).toString('base64url');
}

export const looksLikeTenantToken = (credential: string): boolean => credential.startsWith(PREFIX) && credential.length > 20;

/**
 * Only this digest is stored. A plain SHA-256 suffices because the token is 256 random bits (no
 * dictionary to attack), and it lets the database find the token by an index lookup.
 */
export const tenantTokenHash = (token: string): Buffer => createHash('sha256').update(token).digest();
