import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actingTenant, tenantScoped, unknownTenant } from '../../auth/access-control';
import {
  IdempotencyConflictError,
  listEvents,
  plannedDeliveries,
  UnknownTenantError,
  FanoutLimitError,
  type AcceptedEvent,
  type EventRow,
} from '../../db/repos/events';
import { DEFAULT_TENANT } from '../../db/repos/tenants';
import { EventIntake, SubmissionRefused, type Submission } from '../../dispatch/accept-events';
import { eventTypeCheck } from '../../event-types/ingest-check';
import type { ApiDeps } from '../deps';
import { badRequest, conflict, Problem } from '../../errors/problem';
import { limitExceeded } from '../limits';
import { pageOf, parseCursor } from '../pagination';
import { idParam, keysetCursorSchema, listOf, problemResponses, problemSchema, tenantFilterQuery } from '../schemas/common';
import { eventOf } from '../event-lookup';
import { BATCH_MAX, acceptedEvent, batchInput, eventDetail, eventInput, eventSummary, idempotencyHeaders, listEventsQuery } from '../schemas/events';

const tags = ['events'];

export const eventRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  const { config, db } = deps;
  // Concurrent single-event POSTs share statements under load (group commit); half the pool at most.
  // The event catalog checks every event before anything is stored (schemas, HOOKFLOW_EVENT_TYPES=strict).
  const intake = new EventIntake({
    db,
    fanout: deps.fanout,
    group: { maxInFlight: Math.max(1, Math.floor(config.databasePoolSize / 2)), maxBatch: BATCH_MAX },
    check: eventTypeCheck(db, config.eventTypes),
  });
  const responses = { ...problemResponses, 409: problemSchema, 413: problemSchema, 422: problemSchema };

  async function accept(inputs: z.infer<typeof eventInput>[], idempotencyKey: string | undefined, batch: boolean) {
    const at = (i: number) => (batch ? `body.events.${i}` : 'body');
    const path = (i: number) => `${at(i)}.data`;
    const submissions: Submission[] = inputs.map((e, i) => {
      // Pinned to the token's own tenant by the access layer when a tenant token calls.
      const tenantId = e.tenantId ?? DEFAULT_TENANT;
      const dataJson = JSON.stringify(e.data);
      if (Buffer.byteLength(dataJson) > config.maxPayloadBytes) {
        throw new Problem(413, 'Payload Too Large', `${path(i)} is larger than ${config.maxPayloadBytes} bytes`, [
          { path: path(i), message: `must serialise to at most ${config.maxPayloadBytes} bytes` },
        ]);
      }
      return {
        id: e.id,
        tenantId,
        type: e.type,
        dataJson,
        idempotencyKey: idempotencyKey === undefined ? null : batch ? batchEventKey(idempotencyKey, i) : idempotencyKey,
        sameEventWhen: 'same-request' as const,
        data: e.data,
        maxDeliveries: config.limits.deliveriesPerEvent,
      };
    });
    let accepted: AcceptedEvent[];
    try {
      accepted = await intake.accept(submissions, { shareStatement: !batch, start: 'queue' });
    } catch (err) {
      if (err instanceof SubmissionRefused) throw badRequest(err.problems.map((p) => ({ path: `${at(p.index)}.${p.field}`, message: p.message })));
      if (err instanceof IdempotencyConflictError) throw conflict(err.message);
      if (err instanceof UnknownTenantError) throw unknownTenant(`${at(err.index)}.tenantId`, err.tenantId);
      if (err instanceof FanoutLimitError) {
        throw limitExceeded('HOOKFLOW_MAX_DELIVERIES_PER_EVENT', err.limit, `${at(err.index)}.type`, `the event matches ${err.deliveries} subscriptions, nothing was stored`);
      }
      throw err;
    }
    countAccepted(deps, accepted);
    return accepted;
  }

  app.post(
    '/events',
    {
      config: { ...tenantScoped('events:write'), limit: 'ingest' },
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
      config: { ...tenantScoped('events:write'), limit: 'ingest' },
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
    '/events',
    { config: tenantScoped('read'), schema: { tags, querystring: listEventsQuery, response: { 200: listOf(eventSummary), ...problemResponses } } },
    async (req) => {
      const after = parseCursor(req.query.cursor, keysetCursorSchema);
      const rows = await listEvents(db, { limit: req.query.limit + 1, tenantId: actingTenant(req, req.query.tenantId), type: req.query.type, after });
      return pageOf(rows, req.query.limit, summarise);
    },
  );

  app.get(
    '/events/:id',
    {
      config: tenantScoped('read', 'event'),
      schema: { tags, params: idParam('event'), querystring: tenantFilterQuery, response: { 200: eventDetail, ...problemResponses } },
    },
    async (req) => {
      const event = await eventOf(db, req, req.params.id, req.query.tenantId);
      const planned = await plannedDeliveries(db, event.tenant_id, event.id);
      return {
        ...summarise(event),
        data: event.data,
        deliveries: planned.map((d) => ({
          id: d.deliveryId,
          subscriptionId: d.subscriptionId,
          // The delivery record: `scheduled` until its first attempt.
          status: d.state,
        })),
      };
    },
  );

};

/**
 * A batch shares one Idempotency-Key; each of its events is stored under a key derived from it. The
 * derived key holds a space, which a client's key cannot (printable ASCII without spaces), so no key
 * a client sends can replay or block one event of someone's batch (the old form, `key#0`, could).
 */
export function batchEventKey(key: string, index: number): string {
  return `${key} batch#${index}`;
}

function countAccepted(deps: ApiDeps, accepted: AcceptedEvent[]): void {
  const byTenant = new Map<string, number>();
  for (const a of accepted) if (a.created) byTenant.set(a.event.tenant_id, (byTenant.get(a.event.tenant_id) ?? 0) + 1);
  deps.metrics?.eventsAccepted(byTenant);
}

function summarise(e: EventRow) {
  return {
    id: e.id,
    tenantId: e.tenant_id,
    type: e.type,
    createdAt: e.created_at.toISOString(),
    dispatchedAt: e.dispatched_at?.toISOString() ?? null,
  };
}

function present(a: AcceptedEvent) {
  return {
    id: a.event.id,
    tenantId: a.event.tenant_id,
    type: a.event.type,
    createdAt: a.event.created_at.toISOString(),
    deliveries: a.deliveries.map((d) => ({ id: d.deliveryId, subscriptionId: d.subscriptionId })),
  };
}
