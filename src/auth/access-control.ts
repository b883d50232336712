// The one authorization layer of /v1 (and /metrics, /codec). Every route declares who may call it
// (`config.access`) and the scope it needs (`config.scope`, src/auth/scopes.ts), and the hooks here
// decide before any handler runs, so a handler never checks ownership itself and a route that
// forgets to declare either cannot even be registered.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Db } from '../db/pool';
import { getTenant } from '../db/repos/tenants';
import { tenantHolds, type ResourceKind } from '../db/repos/resource-owners';
import { notFound, Problem } from '../errors/problem';
import { unauthorized } from './api-keys';
import { limitFailures, type FailedAuthLimiter } from './failed-auth-limiter';
import type { Principal, PrincipalResolver } from './principal';
import { grants, isScope, type Scope } from './scopes';

export type { ResourceKind };

/**
 * - `admin`: operator API keys only; a tenant token gets 403.
 * - `tenant`: operator keys, and tenant tokens on their own tenant's resources. `resource` names what
 *   the route's `:id` is; another tenant's resource is a 404, exactly like one that does not exist.
 */
export type RouteAccess = { who: 'admin' } | { who: 'tenant'; resource?: ResourceKind };

/** What every route's `config` carries: who may call it and the scope the credential needs. */
export interface RouteGuard {
  access: RouteAccess;
  scope: Scope;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
    scope?: Scope;
  }
  interface FastifyRequest {
    principal: Principal;
  }
}

export const adminOnly: RouteGuard = { access: { who: 'admin' }, scope: 'admin' };
/** Operator keys only, with `scope` (e.g. metrics:read), for operator routes that are not all-powerful. */
export const operatorOnly = (scope: Scope): RouteGuard => ({ access: { who: 'admin' }, scope });
export const tenantScoped = (scope: Scope, resource?: ResourceKind): RouteGuard => ({ access: { who: 'tenant', resource }, scope });

/** The tenant a request acts for: a tenant token's own, else what the caller named, else `default`. */
export const actingTenant = (req: FastifyRequest, named: string | undefined): string | undefined =>
  req.principal.kind === 'tenant' ? req.principal.tenantId : named;

export function installAccessControl(
  app: FastifyInstance,
  deps: { db: Pick<Db, 'query'>; resolve: PrincipalResolver; authFailures?: FailedAuthLimiter },
): void {
  // Set by the onRequest hook below before anything reads it; null only as Fastify's initial shape.
  app.decorateRequest('principal', null as never);

  app.addHook('onRoute', (route) => {
    const { access, scope } = route.config ?? {};
    const name = `${String(route.method)} ${route.url}`;
    if (!access) throw new Error(`route ${name} does not declare config.access`);
    if (!scope || !isScope(scope)) throw new Error(`route ${name} does not declare the scope it needs (config.scope)`);
    if (access.who === 'tenant' && route.url.includes(':id') && !access.resource) {
      throw new Error(`route ${name} is tenant-scoped but does not say what :id names`);
    }
  });

  // Authentication first, for every request in this scope, routed or not (the not-found handler runs
  // these hooks too): without a valid credential an unknown path is a 401 like a real one, so the
  // route table cannot be probed.
  app.addHook('onRequest', async (req) => {
    // An address that keeps failing is refused before its credential costs a look-up.
    const principal = await limitFailures(deps.authFailures, req.ip, () => deps.resolve(req.headers.authorization, req));
    if (!principal) throw unauthorized('send a valid API key or tenant token as "Authorization: Bearer <token>"');
    req.principal = principal;
    const { access, scope } = req.routeOptions.config;
    // Unrouted (a 404 to come): nothing to authorize.
    if (!access || !scope) return;
    if (access.who === 'admin' && principal.kind === 'tenant') throw new Problem(403, 'Forbidden', 'this route needs an admin API key; a tenant token cannot use it');
    if (!grants(principal.scopes, scope)) throw missingScope(principal, scope, req);
  });

  // Before validation, on the raw request: another tenant's resource is a 404 whatever the body
  // says, so not even a validation error can tell that it exists.
  app.addHook('preValidation', async (req) => {
    const principal = req.principal;
    if (principal.kind === 'admin') return;
    const access = req.routeOptions.config.access;
    if (!access || access.who === 'admin') return;
    const id = (req.params as { id?: unknown } | undefined)?.id;
    if (access.resource && typeof id === 'string') {
      if (!(await tenantHolds(deps.db, access.resource, id, principal.tenantId))) throw notFound(access.resource, id);
    }
    for (const [path, holder] of tenantHolders(req)) {
      const named = holder.tenantId;
      if (named !== undefined && named !== principal.tenantId) {
        throw unknownTenant(`${path}.tenantId`, typeof named === 'string' ? named : JSON.stringify(named));
      }
    }
  });

  // After validation (params, query and body are parsed): a tenant token's requests act for its
  // tenant wherever they leave `tenantId` out.
  app.addHook('preHandler', async (req) => {
    const principal = req.principal;
    if (principal.kind === 'admin') return checkNamedTenantExists(deps.db, req);
    for (const [, holder] of tenantHolders(req)) holder.tenantId = principal.tenantId;
  });
}

/** The places a request can name a tenant: the query, the body, and each event of a batch. */
function tenantHolders(req: FastifyRequest): [string, Record<string, unknown>][] {
  const body = req.body as { events?: unknown } | undefined;
  const places: [string, Record<string, unknown>][] = [];
  if (isRecord(req.query)) places.push(['query', req.query]);
  if (isRecord(body)) places.push(['body', body]);
  if (isRecord(body) && Array.isArray(body.events)) {
    body.events.forEach((e, i) => isRecord(e) && places.push([`body.events.${i}`, e]));
  }
  return places;
}

/** An admin's list filter naming a tenant that does not exist is a 404 naming the field, not an empty page. */
async function checkNamedTenantExists(db: Pick<Db, 'query'>, req: FastifyRequest): Promise<void> {
  const named = isRecord(req.query) ? req.query.tenantId : undefined;
  if (typeof named === 'string' && !(await getTenant(db, named))) throw unknownTenant('query.tenantId', named);
}

/** 403 naming the scope, so whoever holds the key knows exactly what to ask for. */
function missingScope(principal: Principal, scope: Scope, req: FastifyRequest): Problem {
  const what = principal.kind === 'tenant' ? 'tenant token' : 'API key';
  const held = [...principal.scopes].join(', ') || 'none';
  return new Problem(403, 'Forbidden', `${req.method} ${req.routeOptions.url} needs the scope "${scope}"; this ${what} has: ${held}`, [
    { path: 'authorization', message: `lacks the scope "${scope}"` },
  ]);
}

export const unknownTenant = (path: string, id: string) =>
  new Problem(404, 'Not Found', `tenant ${id} does not exist`, [{ path, message: `names no tenant (${id})` }]);

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
