import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { tenantScoped } from '../../auth/access-control';
import { readStats } from '../../db/repos/subscription-stats';
import { getSubscription } from '../../db/repos/subscriptions';
import { getTenant } from '../../db/repos/tenants';
import { notFound } from '../../errors/problem';
import { summarize } from '../../stats/summary';
import { resolveWindow } from '../../stats/window';
import type { ApiDeps } from '../deps';
import { idParam, problemResponses } from '../schemas/common';
import { statsQuery, subscriptionStatsResponse, tenantStatsResponse } from '../schemas/stats';
import { tenantParam } from '../schemas/tenants';

const HOW =
  'Read from rollups the attempt path keeps per subscription and minute and hour (never from the attempt log), so a read costs the same however many attempts were made.';

/**
 * Delivery health: how many deliveries ended and how, how many attempts they took, and how long the
 * endpoint took to answer, per bucket of a window and in total. A tenant token (and the portal)
 * reads its own subscriptions and its own tenant only.
 */
export const statsRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  const { db, config } = deps;

  app.get(
    '/subscriptions/:id/stats',
    {
      config: tenantScoped('read', 'subscription'),
      schema: {
        tags: ['subscriptions'],
        description: `Delivery health of one subscription over a window. ${HOW}`,
        params: idParam('subscription'),
        querystring: statsQuery,
        response: { 200: subscriptionStatsResponse, ...problemResponses },
      },
    },
    async (req) => {
      const window = resolveWindow(req.query, Date.now(), config.retentionDays);
      const sub = await getSubscription(db, req.params.id);
      if (!sub) throw notFound('subscription', req.params.id);
      return { subscriptionId: sub.id, tenantId: sub.tenant_id, ...summarize(window, await readStats(db, 'subscription', sub.id, window)) };
    },
  );

  app.get(
    '/tenants/:id/stats',
    {
      config: tenantScoped('read', 'tenant'),
      schema: {
        tags: ['tenants'],
        description: `Delivery health of all of a tenant's subscriptions together (deleted ones included, for the time they existed). ${HOW}`,
        params: tenantParam,
        querystring: statsQuery,
        response: { 200: tenantStatsResponse, ...problemResponses },
      },
    },
    async (req) => {
      const window = resolveWindow(req.query, Date.now(), config.retentionDays);
      const tenant = await getTenant(db, req.params.id);
      if (!tenant) throw notFound('tenant', req.params.id);
      return { tenantId: tenant.id, ...summarize(window, await readStats(db, 'tenant', tenant.id, window)) };
    },
  );
};
