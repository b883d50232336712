// The one authorization layer of /v1. Every route declares who may call it (`config.access`), and
// the hooks here decide before any handler runs, so a handler never checks ownership itself and a
// route that forgets to declare its access cannot even be registered.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Db } from '../db/pool';
import { getTenant } from '../db/repos/tenants';
import { notFound, Problem } from '../api/problem';
import { unauthorized } from './api-keys';
import type { Principal, PrincipalResolver } from './principal';

/** The kinds of resource a route's `:id` can name, and where their owning tenant is recorded. */
const OWNER_SQL = {
  subscription: 'SELECT tenant_id FROM subscriptions WHERE id = $1 AND deleted_at IS NULL',
  event: 'SELECT tenant_id FROM events WHERE id = $1',
  delivery: 'SELECT tenant_id FROM event_deliveries WHERE delivery_id = $1',
} as const;
export type ResourceKind = keyof typeof OWNER_SQL;

/**
 * - `admin`: admin API keys only; a tenant token gets 403.
 * - `tenant`: admin keys, and tenant tokens on their own tenant's resources. `resource` names what
 *   the route's `:id` is; another tenant's resource is a 404, exactly like one that does not exist.
 */
export type RouteAccess = { scope: 'admin' } | { scope: 'tenant'; resource?: ResourceKind };

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
  interface FastifyRequest {
    principal: Principal;
  }
}

export const adminOnly: { access: RouteAccess } = { access: { scope: 'admin' } };
export const tenantScoped = (resource?: ResourceKind): { access: RouteAccess } => ({ access: { scope: 'tenant', resource } });

/** The tenant a request acts for: a tenant token's own, else what the caller named, else `default`. */
export const actingTenant = (req: FastifyRequest, named: string | undefined): string | undefined =>
  req.principal.kind === 'tenant' ? req.principal.tenantId : named;

export function installAccessControl(app: FastifyInstance, deps: { db: Pick<Db, 'query'>; resolve: PrincipalResolver }): void {
  // Set by the onRequest hook below before anything reads it; null only as Fastify's initial shape.
  app.decorateRequest('principal', null as never);

  app.addHook('onRoute', (route) => {
    const access = route.config?.access;
    const name = `${String(route.method)} ${route.url}`;
    if (!access) throw new Error(`route ${name} does not declare config.access`);
    if (access.scope === 'tenant' && route.url.includes(':id') && !access.resource) {
      throw new Error(`route ${name} is tenant-scoped but does not say what :id names`);
    }
  });

  app.addHook('onRequest', async (req) => {
    const principal = await deps.resolve(req.headers.authorization, req);
    if (!principal) throw unauthorized('send a valid API key or tenant token as "Authorization: Bearer <token>"');
    req.principal = principal;
  });

  // Before validation, on the raw request: another tenant's resource is a 404 whatever the body
  // says, so not even a validation error can tell that it exists.
  app.addHook('preValidation', async (req) => {
    const principal = req.principal;
    if (principal.kind === 'admin') return;
    const access = req.routeOptions.config.access!;
    if (access.scope === 'admin') throw new Problem(403, 'Forbidden', 'this route needs an admin API key; a tenant token cannot use it');
    const id = (req.params as { id?: unknown } | undefined)?.id;
    if (access.resource && typeof id === 'string') {
      const { rows } = await deps.db.query<{ tenant_id: string }>(OWNER_SQL[access.resource], [id]);
      if (rows[0]?.tenant_id !== principal.tenantId) throw notFound(access.resource, id);
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

export const unknownTenant = (path: string, id: string) =>
  new Problem(404, 'Not Found', `tenant ${id} does not exist`, [{ path, message: `names no tenant (${id})` }]);

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
