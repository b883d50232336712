import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { tenantScoped } from '../../auth/access-control';
import { getSubscription } from '../../db/repos/subscriptions';
import { limiterView } from '../../throttle/limiter-client';
import type { ApiDeps } from '../deps';
import { notFound } from '../../errors/problem';
import { idParam, problemResponses } from '../schemas/common';

export const flowStateResponse = z.object({
  subscriptionId: z.string(),
  throttle: z.object({ perSecond: z.number().optional(), maxInFlight: z.number().optional() }).nullable(),
  throttled: z.boolean().describe('True while deliveries wait for a slot of this endpoint'),
  waiting: z.number().describe('Deliveries waiting for a slot'),
  inFlight: z.number().describe('Slots held by attempts under way'),
  oldestWaitingSince: z.string().optional(),
  nextSlotAt: z.string().optional().describe('When the rate next lets a request through, while some wait'),
});

/**
 * GET /v1/subscriptions/:id/throttle: whether the endpoint is holding deliveries back, and how many,
 * as its limiter (workflows/throttle/limiter.ts) sees it right now.
 */
export const subscriptionThrottleRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  app.get(
    '/subscriptions/:id/throttle',
    {
      config: tenantScoped('read', 'subscription'),
      schema: { tags: ['subscriptions'], params: idParam('subscription'), response: { 200: flowStateResponse, ...problemResponses } },
    },
    async (req) => {
      const sub = await getSubscription(deps.db, req.params.id);
      if (!sub) throw notFound('subscription', req.params.id);
      const view = await limiterView(deps.temporal, sub.id);
      return {
        subscriptionId: sub.id,
        throttle: sub.throttle,
        throttled: (view?.waiting ?? 0) > 0,
        waiting: view?.waiting ?? 0,
        inFlight: view?.inFlight ?? 0,
        ...(view?.oldestWaitingSince ? { oldestWaitingSince: view.oldestWaitingSince } : {}),
        ...(view?.nextGrantAt ? { nextSlotAt: view.nextGrantAt } : {}),
      };
    },
  );
};
