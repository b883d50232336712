import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Problem } from '../api/problem';

// Keys are compared as SHA-256 digests: equal length always, so timingSafeEqual is usable and
// the comparison time says nothing about the key's length or prefix.
const digest = (s: string) => createHash('sha256').update(s).digest();

/** The credential of an `Authorization: Bearer <credential>` header, if that is its shape. */
export function bearerCredential(header: string | undefined): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1];
}

export function bearerKeyMatcher(keys: string[]): (header: string | undefined) => boolean {
  const digests = keys.map(digest);
  return (header) => {
    const credential = bearerCredential(header);
    if (credential === undefined) return false;
    const presented = digest(credential);
    let ok = false;
    // Check every key (no early exit), so timing does not reveal which one matched.
    for (const d of digests) ok = timingSafeEqual(presented, d) || ok;
    return ok;
  };
}

export const unauthorized = (detail = 'send a valid API key as "Authorization: Bearer <key>"') =>
  new Problem(401, 'Unauthorized', detail, undefined, { 'www-authenticate': 'Bearer realm="hookflow"' });

/** Every route registered in `app` (an encapsulated scope such as /codec) requires an admin API key. */
export function requireApiKey(app: FastifyInstance, keys: string[]): void {
  const matches = bearerKeyMatcher(keys);
  app.addHook('onRequest', async (req) => {
    if (!matches(req.headers.authorization)) throw unauthorized();
  });
}
