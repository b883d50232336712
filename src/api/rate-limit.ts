// Per-credential rate limits on /v1 (@fastify/rate-limit): one bucket per API key or tenant token,
// and a separate, larger one for ingest. Runs after authentication (a route hook runs after the
// scope's onRequest hooks), so the bucket is the caller's, not an address's.
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RateLimitSetting } from '../config';
import { Problem } from '../errors/problem';

export type LimitClass = 'ingest' | 'api';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Which bucket a route draws on; routes that do not say use `api`. */
    limit?: LimitClass;
  }
}

export interface RateLimits {
  api: RateLimitSetting;
  ingest: RateLimitSetting;
}

const classOf = (req: FastifyRequest): LimitClass => req.routeOptions.config.limit ?? 'api';

export async function installRateLimits(app: FastifyInstance, limits: RateLimits): Promise<void> {
  const setting = (req: FastifyRequest) => limits[classOf(req)];
  await app.register(rateLimit, {
    global: true,
    // The IETF draft's RateLimit-Limit / -Remaining / -Reset, plus Retry-After on a 429.
    enableDraftSpec: true,
    hook: 'onRequest',
    keyGenerator: (req) => `${classOf(req)}:${req.principal.id}`,
    max: (req) => setting(req).max ?? Number.MAX_SAFE_INTEGER,
    timeWindow: (req) => setting(req).windowMs,
    // A bucket per credential: a few thousand live ones fit; the least recently used go first.
    cache: 10_000,
    allowList: (req) => setting(req).max === undefined,
    errorResponseBuilder: (req, ctx) =>
      new Problem(
        429,
        'Too Many Requests',
        `this ${req.principal.kind === 'tenant' ? 'tenant token' : 'API key'} may make ${ctx.max} ${classOf(req) === 'ingest' ? 'ingest ' : ''}requests per ${setting(req).label}; retry in ${ctx.after}`,
      ),
  });
}
