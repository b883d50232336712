import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Problem } from './problem';

// Keys are compared as SHA-256 digests: equal length always, so timingSafeEqual is usable and
// the comparison time says nothing about the key's length or prefix.
const digest = (s: string) => createHash('sha256').update(s).digest();

export function bearerKeyMatcher(keys: string[]): (header: string | undefined) => boolean {
  const digests = keys.map(digest);
  return (header) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    if (!match) return false;
    const presented = digest(match[1]!);
    let ok = false;
    // Check every key (no early exit), so timing does not reveal which one matched.
    for (const d of digests) ok = timingSafeEqual(presented, d) || ok;
    return ok;
  };
}

/** Every route registered in `app` (an encapsulated /v1 scope) requires a valid API key. */
export function requireApiKey(app: FastifyInstance, keys: string[]): void {
  const matches = bearerKeyMatcher(keys);
  app.addHook('onRequest', async (req) => {
    if (!matches(req.headers.authorization)) {
      throw new Problem(401, 'Unauthorized', 'send a valid API key as "Authorization: Bearer <key>"', undefined, {
        'www-authenticate': 'Bearer realm="hookflow"',
      });
    }
  });
}
