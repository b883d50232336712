import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { tenantScoped } from '../../auth/access-control';
import { getSubscription } from '../../db/repos/subscriptions';
import { sendPing } from '../../ping/send-ping';
import type { ApiDeps } from '../deps';
import { badRequest, notFound, Problem } from '../../errors/problem';
import { getEventType } from '../../db/repos/event-types';
import type { z } from 'zod';
import { idParam, problemResponses, problemSchema } from '../schemas/common';
import { pingBody, pingResult } from '../schemas/ping';

/**
 * POST /v1/subscriptions/:id/test sends a signed `hookflow.ping` (or, with `eventType`, that type's
 * example from the catalog) to this subscription alone, whatever its filters, and answers with its first attempt: 200 once an attempt is in the log (whatever the endpoint said),
 * 202 when none finished within the wait (the delivery goes on like any other).
 */
export const subscriptionTestRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  app.post(
    '/subscriptions/:id/test',
    {
      // A test of the endpoint's setup, as "ping": true at creation is.
      config: tenantScoped('subscriptions:write', 'subscription'),
      schema: {
        tags: ['subscriptions'],
        params: idParam('subscription'),
        body: pingBody,
        response: { 200: pingResult, 202: pingResult, ...problemResponses, 409: problemSchema },
      },
    },
    async (req, reply) => {
      const sub = await getSubscription(deps.db, req.params.id);
      if (!sub) throw notFound('subscription', req.params.id);
      // The activity would refuse to send it; saying so here is clearer than a ping that never arrives.
      if (!sub.active) throw new Problem(409, 'Conflict', `subscription ${sub.id} is disabled; enable it first (PATCH "active": true)`);
      const result = await sendPing(deps, sub, undefined, await chosenExample(deps, req.body));
      return reply.code(result.outcome === 'pending' ? 202 : 200).send(result);
    },
  );
};

/** With `eventType`: the catalog's example to send, checked like any input (400 naming the field). */
async function chosenExample(deps: ApiDeps, body: z.infer<typeof pingBody>): Promise<{ type: string; data: unknown } | undefined> {
  if (!body?.eventType) return undefined;
  const type = await getEventType(deps.db, body.eventType);
  if (!type) throw badRequest([{ path: 'body.eventType', message: `is not in the event catalog (${body.eventType})` }]);
  if (type.examples.length === 0) throw badRequest([{ path: 'body.eventType', message: `has no example to send; add one at PATCH /v1/event-types/${type.name}` }]);
  if (body.example >= type.examples.length) throw badRequest([{ path: 'body.example', message: `must be below ${type.examples.length}: ${type.name} has ${type.examples.length} example(s)` }]);
  return { type: type.name, data: type.examples[body.example] };
}
