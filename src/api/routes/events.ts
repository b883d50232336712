import { createHash } from 'node:crypto';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { acceptEvents, getEvent, IdempotencyConflictError, plannedDeliveries, type AcceptedEvent, type NewEvent } from '../../db/repos/events';
import { newId } from '../../ids';
import { forEachDelivery } from '../../temporal/visibility';
import type { ApiDeps } from '../deps';
import { conflict, notFound, Problem } from '../problem';
import { idParam, problemResponses, problemSchema } from '../schemas/common';
import { BATCH_MAX, acceptedEvent, batchInput, eventDetail, eventInput, idempotencyHeaders } from '../schemas/events';

const tags = ['events'];

export const eventRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  const { config, db } = deps;
  const responses = { ...problemResponses, 409: problemSchema, 413: problemSchema };

  async function accept(inputs: z.infer<typeof eventInput>[], idempotencyKey: string | undefined, batch: boolean) {
    const path = (i: number) => (batch ? `body.events.${i}.data` : 'body.data');
    const events: NewEvent[] = inputs.map((e, i) => {
      const dataJson = JSON.stringify(e.data);
      if (Buffer.byteLength(dataJson) > config.maxPayloadBytes) {
        throw new Problem(413, 'Payload Too Large', `${path(i)} is larger than ${config.maxPayloadBytes} bytes`, [
          { path: path(i), message: `must serialise to at most ${config.maxPayloadBytes} bytes` },
        ]);
      }
      return {
        id: e.id ?? newId('evt'),
        type: e.type,
        dataJson,
        // A batch shares one header; each event gets its own derived key.
        idempotencyKey: idempotencyKey === undefined ? null : batch ? `${idempotencyKey}#${i}` : idempotencyKey,
        requestHash: createHash('sha256').update(JSON.stringify([e.type, e.id ?? null, dataJson])).digest('hex'),
      };
    });
    let accepted: AcceptedEvent[];
    try {
      accepted = await acceptEvents(db, events);
    } catch (err) {
      if (err instanceof IdempotencyConflictError) throw conflict(err.message);
      throw err;
    }
    for (const a of accepted) {
      if (!a.created || a.event.dispatched_at) continue;
      deps.fanout.enqueue(
        a.event.id,
        a.deliveries.map((d) => ({ ...d, eventType: a.event.type, retryPolicy: d.retryPolicy ?? null })),
      );
    }
    return accepted;
  }

  app.post(
    '/events',
    {
      bodyLimit: config.maxPayloadBytes + 64 * 1024,
      schema: { tags, body: eventInput, headers: idempotencyHeaders, response: { 202: acceptedEvent, ...responses } },
    },
    async (req, reply) => {
      const [a] = await accept([req.body], req.headers['idempotency-key'], false);
      if (!a!.created) void reply.header('idempotent-replayed', 'true');
      return reply.code(202).send(present(a!));
    },
  );

  app.post(
    '/events/batch',
    {
      bodyLimit: Math.min(BATCH_MAX * config.maxPayloadBytes, 16 * 1024 * 1024) + 64 * 1024,
      schema: {
        tags,
        body: batchInput,
        headers: idempotencyHeaders,
        response: { 202: z.object({ data: z.array(acceptedEvent) }), ...responses },
      },
    },
    async (req, reply) => {
      const accepted = await accept(req.body.events, req.headers['idempotency-key'], true);
      return reply.code(202).send({ data: accepted.map(present) });
    },
  );

  app.get(
    '/events/:id',
    { schema: { tags, params: idParam('event'), response: { 200: eventDetail, ...problemResponses } } },
    async (req) => {
      const event = await getEvent(db, req.params.id);
      if (!event) throw notFound('event', req.params.id);
      const planned = await plannedDeliveries(db, event.id);
      const statuses = new Map<string, string>();
      await forEachDelivery(deps.temporal, { eventId: event.id }, 10_000, async (page) => {
        for (const d of page) statuses.set(d.id, d.status);
      });
      return {
        id: event.id,
        type: event.type,
        data: event.data,
        createdAt: event.created_at.toISOString(),
        dispatchedAt: event.dispatched_at?.toISOString() ?? null,
        deliveries: planned.map((d) => ({
          id: d.deliveryId,
          subscriptionId: d.subscriptionId,
          // Not in visibility yet: accepted but its workflow has not started (or is not indexed yet).
          status: statuses.get(d.deliveryId) ?? 'scheduled',
        })),
      };
    },
  );

};

function present(a: AcceptedEvent) {
  return {
    id: a.event.id,
    type: a.event.type,
    createdAt: a.event.created_at.toISOString(),
    deliveries: a.deliveries.map((d) => ({ id: d.deliveryId, subscriptionId: d.subscriptionId })),
  };
}
