import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { tenantScoped } from '../../auth/access-control';
import { lastSequence } from '../../db/repos/fifo-sequences';
import { getSubscription } from '../../db/repos/subscriptions';
import { lineView } from '../../ordering/line-client';
import type { ApiDeps } from '../deps';
import { notFound } from '../../errors/problem';
import { idParam, problemResponses } from '../schemas/common';
import { orderingSchema } from '../schemas/subscriptions';

export const orderingStateResponse = z.object({
  subscriptionId: z.string(),
  ordering: orderingSchema,
  blocked: z.boolean().describe('True while the head of the line is a dead letter: nothing behind it goes until it is redelivered and succeeds, or is discarded'),
  head: z
    .object({
      deliveryId: z.string(),
      sequence: z.number().describe('Its place in the line'),
      since: z.string().describe('When its turn came'),
      blockedSince: z.string().optional().describe('When it became a dead letter'),
    })
    .nullable()
    .describe('The delivery whose turn it is; null when the line is idle or waits for a delivery that has not started yet'),
  next: z.number().describe('The place whose turn it is'),
  lastSequence: z.number().describe('The last place handed out (events accepted for this subscription while FIFO)'),
  waiting: z.number().describe('Deliveries that have asked for their turn and wait behind the head'),
  behind: z.number().describe('Places after the one whose turn it is: accepted events not yet delivered, whether or not their delivery has started'),
});

/**
 * GET /v1/subscriptions/:id/ordering: the subscription's FIFO line as its line workflow
 * (workflows/ordering/line.ts) sees it right now: who holds it, whether a dead letter blocks it,
 * and how many wait behind. Named like GET /v1/subscriptions/:id/throttle.
 */
export const subscriptionOrderingRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  app.get(
    '/subscriptions/:id/ordering',
    {
      config: tenantScoped('read', 'subscription'),
      schema: { tags: ['subscriptions'], params: idParam('subscription'), response: { 200: orderingStateResponse, ...problemResponses } },
    },
    async (req) => {
      const sub = await getSubscription(deps.db, req.params.id);
      if (!sub) throw notFound('subscription', req.params.id);
      const [view, last] = await Promise.all([lineView(deps.temporal, sub.id), lastSequence(deps.db, sub.id)]);
      const next = view?.next ?? last + 1;
      const head = view?.head;
      return {
        subscriptionId: sub.id,
        ordering: sub.ordering,
        blocked: head?.heldSince !== undefined,
        head: head ? { deliveryId: head.deliveryId, sequence: head.sequence, since: head.since, ...(head.heldSince ? { blockedSince: head.heldSince } : {}) } : null,
        next,
        lastSequence: last,
        waiting: view?.waiting ?? 0,
        behind: Math.max(0, last - next),
      };
    },
  );
};
