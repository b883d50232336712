import { WorkflowNotFoundError } from '@temporalio/client';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actingTenant, tenantScoped } from '../../auth/access-control';
import { listAttempts } from '../../db/repos/attempts';
import { getDeliveryRecord, listDeliveryRecords, statusFromRecord, type DeliveryRecordRow } from '../../db/repos/delivery-records';
import { redeliverAny } from '../../dispatch/redeliver';
import { discardSignal, statusQuery, type DeliveryStatus } from '../../../workflows/messages';
import { parseCursor } from '../pagination';
import type { ApiDeps } from '../deps';
import { badRequest, conflict, notFound } from '../../errors/problem';
import { decodeCursor, encodeCursor, idParam, keysetCursorSchema, listOf, paginationQuery, problemResponses, problemSchema } from '../schemas/common';
import {
  attemptResponse,
  bulkRedeliverBody,
  bulkResult,
  deliveryStatusResponse,
  deliverySummary,
  discardBody,
  listDeliveriesQuery,
  redeliverBody,
  signalAccepted,
} from '../schemas/deliveries';
import { signalMatching } from './delivery-signals';

const tags = ['deliveries'];
const withConflict = { ...problemResponses, 409: problemSchema };

export const deliveryRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  const { temporal, db } = deps;
  const settings = { ...deps.config, eagerStart: false };

  /**
   * The workflow's own `status` query while it is open; the delivery record once it closed or
   * Temporal forgot it, so an answer never changes when Temporal's retention removes the workflow.
   */
  async function statusOf(id: string): Promise<DeliveryStatus & { tenantId: string }> {
    // Postgres first: only IDs from our fan-out plan are deliveries. Any other workflow in the
    // namespace (a dead-letter workflow, another application's) must be neither queried nor signalled.
    const record = await getDeliveryRecord(db, id);
    if (!record) throw notFound('delivery', id);
    if (!record.completed_at) {
      try {
        // Workflows do not know their tenant (those started before tenants existed never heard of one).
        return { ...(await temporal.workflow.getHandle(id).query(statusQuery)), tenantId: record.tenant_id };
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      }
    }
    return { ...statusFromRecord(record), tenantId: record.tenant_id };
  }

  app.get(
    '/deliveries',
    { config: tenantScoped('read'), schema: { tags, querystring: listDeliveriesQuery, response: { 200: listOf(deliverySummary), ...problemResponses } } },
    async (req) => {
      const { limit, cursor, status, since, until, ...rest } = req.query;
      if (since && until && Date.parse(since) >= Date.parse(until)) {
        throw badRequest([{ path: 'query.until', message: 'must be after query.since' }]);
      }
      const after = parseCursor(cursor, keysetCursorSchema);
      const rows = await listDeliveryRecords(
        db,
        {
          ...rest,
          tenantId: actingTenant(req, rest.tenantId),
          state: status,
          since: since ? new Date(since) : undefined,
          until: until ? new Date(until) : undefined,
        },
        { limit: limit + 1, after },
      );
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return {
        data: page.map(summarise),
        nextCursor: rows.length > limit && last ? encodeCursor({ createdAt: last.created_at.toISOString(), id: last.delivery_id }) : null,
      };
    },
  );

  app.get(
    '/deliveries/:id',
    { config: tenantScoped('read', 'delivery'), schema: { tags, params: idParam('delivery'), response: { 200: deliveryStatusResponse, ...problemResponses } } },
    async (req) => statusOf(req.params.id),
  );

  app.get(
    '/deliveries/:id/attempts',
    {
      config: tenantScoped('read', 'delivery'),
      schema: {
        tags,
        params: idParam('delivery'),
        querystring: paginationQuery,
        response: { 200: listOf(attemptResponse), ...problemResponses },
      },
    },
    async (req) => {
      const afterId = req.query.cursor === undefined ? undefined : decodeCursor(req.query.cursor, z.number().int());
      if (req.query.cursor !== undefined && afterId === undefined) {
        throw badRequest([{ path: 'query.cursor', message: 'is not a cursor this API issued' }]);
      }
      if (!(await getDeliveryRecord(db, req.params.id))) throw notFound('delivery', req.params.id);
      const rows = await listAttempts(db, req.params.id, { limit: req.query.limit + 1, afterId });
      const page = rows.slice(0, req.query.limit);
      return {
        data: page.map((r) => ({
          id: r.id,
          round: r.round,
          attempt: r.attempt,
          startedAt: r.started_at.toISOString(),
          durationMs: r.duration_ms,
          statusCode: r.status_code,
          responseBody: r.response_body,
          responseBodyNote: r.response_body_note,
          errorClass: r.error_class,
          errorMessage: r.error_message,
          outcome: r.outcome,
        })),
        nextCursor: rows.length > req.query.limit ? encodeCursor(page[page.length - 1]!.id) : null,
      };
    },
  );

  app.post(
    '/deliveries/:id/redeliver',
    { config: tenantScoped('deliveries:write', 'delivery'), schema: { tags, params: idParam('delivery'), body: redeliverBody, response: { 202: signalAccepted, ...withConflict } } },
    async (req, reply) => {
      // Open: a new round now. Closed (succeeded, discarded, dead-lettered past its retention) or
      // forgotten by Temporal: a new run of the same workflow ID, carrying the earlier rounds.
      const result = await redeliverAny({ db, temporal, settings }, req.params.id);
      if (result.outcome === 'missing') throw notFound('delivery', req.params.id);
      if (result.outcome === 'refused') throw conflict(result.reason ?? `delivery ${req.params.id} cannot be redelivered now`);
      return reply.code(202).send({ id: req.params.id, accepted: true as const, signal: 'redeliver' as const, how: result.outcome });
    },
  );

  app.post(
    '/deliveries/:id/discard',
    { config: tenantScoped('deliveries:write', 'delivery'), schema: { tags, params: idParam('delivery'), body: discardBody, response: { 202: signalAccepted, ...withConflict } } },
    async (req, reply) => {
      const status = await statusOf(req.params.id);
      if (status.completedAt || status.state === 'scheduled') {
        throw conflict(`delivery ${req.params.id} is ${status.state}; only an open delivery can be discarded`);
      }
      await temporal.workflow.getHandle(req.params.id).signal(discardSignal, { reason: req.body?.reason ?? 'discarded through the API' });
      return reply.code(202).send({ id: req.params.id, accepted: true as const, signal: 'discard' as const });
    },
  );

  app.post(
    '/deliveries/redeliver',
    { config: tenantScoped('deliveries:write'), schema: { tags, body: bulkRedeliverBody, response: { 202: bulkResult, ...problemResponses } } },
    async (req, reply) => {
      const { status, subscriptionId, eventType, since } = req.body;
      // A tenant token's bulk call is pinned to its own tenant by the access layer.
      const tenantId = actingTenant(req, req.body.tenantId);
      const result = await signalMatching(
        temporal,
        { status, tenantId, subscriptionId, eventType, since: since ? new Date(since) : undefined },
        'redeliver',
      );
      return reply.code(202).send(result);
    },
  );
};

function summarise(r: DeliveryRecordRow): z.infer<typeof deliverySummary> {
  return {
    id: r.delivery_id,
    tenantId: r.tenant_id,
    eventId: r.event_id,
    subscriptionId: r.subscription_id,
    eventType: r.event_type ?? '',
    status: r.state,
    startedAt: r.created_at.toISOString(),
    closedAt: r.completed_at?.toISOString() ?? null,
  };
}
