import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { tenantScoped } from '../../auth/access-control';
import { insertPlannedDelivery } from '../../db/repos/delivery-records';
import { plannedDeliveries } from '../../db/repos/events';
import { subscriptionFactsOf } from '../../db/repos/subscriptions';
import { eventOf } from '../event-lookup';
import { redeliverAny } from '../../dispatch/redeliver';
import { startDelivery } from '../../dispatch/fanout';
import { deliveryIdFor } from '../../db/ids';
import type { ApiDeps } from '../deps';
import { Problem } from '../../errors/problem';
import { idParam, problemResponses, problemSchema, tenantFilterQuery } from '../schemas/common';
import { replayBody, replayResponse } from '../schemas/resend';

/**
 * POST /v1/events/:id/replay sends an event again. To a subscription it already had a delivery for,
 * that delivery gets a new round (or a new run, once closed): one delivery ID, one webhook-id, the
 * whole history in one place. To a subscription it never had (one created later), a new delivery.
 */
export const eventReplayRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  const { db, temporal } = deps;
  const settings = { ...deps.config, eagerStart: false };

  app.post(
    '/events/:id/replay',
    {
      config: tenantScoped('deliveries:write', 'event'),
      schema: { tags: ['events'], params: idParam('event'), querystring: tenantFilterQuery, body: replayBody, response: { 202: replayResponse, ...problemResponses, 409: problemSchema } },
    },
    async (req, reply) => {
      // 404 when purged by the retention job, or never accepted.
      const event = await eventOf(db, req, req.params.id, req.query.tenantId);
      const planned = await plannedDeliveries(db, event.tenant_id, event.id);
      const wanted = req.body.subscriptionIds ?? planned.map((d) => d.subscriptionId);
      const rows = await subscriptionFactsOf(db, wanted);
      const found = new Map(rows.filter((r) => r.tenant_id === event.tenant_id).map((r) => [r.id, r]));
      if (req.body.subscriptionIds) {
        // Another tenant's subscription reads exactly like one that does not exist.
        const missing = req.body.subscriptionIds.findIndex((s) => !found.has(s));
        if (missing >= 0) {
          const sid = req.body.subscriptionIds[missing]!;
          throw new Problem(404, 'Not Found', `subscription ${sid} does not exist`, [{ path: `body.subscriptionIds.${missing}`, message: `names no subscription of tenant ${event.tenant_id}` }]);
        }
        const off = req.body.subscriptionIds.findIndex((s) => !found.get(s)!.live);
        if (off >= 0) {
          throw new Problem(409, 'Conflict', `subscription ${req.body.subscriptionIds[off]} is disabled`, [{ path: `body.subscriptionIds.${off}`, message: 'is disabled; enable it first' }]);
        }
      }
      const existing = new Set(planned.map((d) => d.subscriptionId));
      const results = [];
      for (const subscriptionId of wanted) {
        const deliveryId = deliveryIdFor(event.id, subscriptionId);
        const target = found.get(subscriptionId);
        if (!target?.live) {
          results.push({ id: deliveryId, subscriptionId, outcome: 'refused' as const, reason: `subscription ${subscriptionId} is disabled or deleted` });
          continue;
        }
        if (existing.has(subscriptionId)) {
          const r = await redeliverAny({ db, temporal, settings }, deliveryId);
          results.push({ id: deliveryId, subscriptionId, outcome: r.outcome === 'missing' ? ('refused' as const) : r.outcome, ...(r.reason ? { reason: r.reason } : {}) });
          continue;
        }
        // The plan row first: a crash before the start leaves it for an explicit retry, and reads see it at once.
        await insertPlannedDelivery(db, { deliveryId, tenantId: event.tenant_id, eventId: event.id, subscriptionId, eventType: event.type });
        await startDelivery(temporal, settings, {
          deliveryId,
          tenantId: event.tenant_id,
          eventId: event.id,
          subscriptionId,
          eventType: event.type,
          retryPolicy: target.retry_policy,
          throttle: target.throttle,
        });
        results.push({ id: deliveryId, subscriptionId, outcome: 'created' as const });
      }
      return reply.code(202).send({ eventId: event.id, deliveries: results });
    },
  );
};
