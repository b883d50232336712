import { createHash } from 'node:crypto';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actingTenant, tenantScoped } from '../../auth/access-control';
import { listAttempts } from '../../db/repos/attempts';
import { findPlannedDelivery } from '../../db/repos/events';
import { listDeliveries } from '../../temporal/visibility';
import { discardSignal, redeliverSignal, statusQuery, type DeliveryStatus } from '../../../workflows/messages';
import type { ApiDeps } from '../deps';
import { badRequest, conflict, notFound } from '../problem';
import { decodeCursor, encodeCursor, idParam, listOf, paginationQuery, problemResponses, problemSchema } from '../schemas/common';
import {
  attemptResponse,
  bulkRedeliverBody,
  bulkResult,
  deliveryStatusResponse,
  deliverySummary,
  listDeliveriesQuery,
  signalAccepted,
} from '../schemas/deliveries';
import { signalMatching } from './delivery-signals';

const tags = ['deliveries'];

// Temporal's page token wrapped with a checksum: a cursor we did not issue is a 400 at once, instead
// of a Temporal round trip that fails as UNKNOWN after the client's retries (about 20 s).
const tokenCheck = (token: string) => createHash('sha256').update(`hookflow.deliveries.cursor:${token}`).digest('base64url').slice(0, 16);
const sealToken = (token: string) => ({ token, check: tokenCheck(token) });
const visibilityCursor = z
  .object({ token: z.string().max(4096), check: z.string() })
  .refine((c) => c.check === tokenCheck(c.token));
const withConflict = { ...problemResponses, 409: problemSchema };

export const deliveryRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  const { temporal, db } = deps;

  /** Current status from the workflow's own `status` query; Postgres only knows not-yet-started ones. */
  async function statusOf(id: string): Promise<DeliveryStatus & { tenantId: string }> {
    // Postgres first: only IDs from our fan-out plan are deliveries. Any other workflow in the
    // namespace (a dead-letter workflow, another application's) must be neither queried nor signalled.
    const planned = await findPlannedDelivery(db, id);
    if (!planned) throw notFound('delivery', id);
    try {
      // Workflows do not know their tenant (those started before tenants existed never heard of one).
      return { ...(await temporal.workflow.getHandle(id).query(statusQuery)), tenantId: planned.tenantId };
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      const { rows } = await db.query<{ type: string }>('SELECT type FROM events WHERE id = $1', [planned.eventId]);
      return {
        deliveryId: id,
        tenantId: planned.tenantId,
        eventId: planned.eventId,
        subscriptionId: planned.subscriptionId,
        eventType: rows[0]?.type ?? '',
        state: 'scheduled',
        attempts: 0,
        roundCount: 0,
        rounds: [],
      };
    }
  }

  app.get(
    '/deliveries',
    { config: tenantScoped(), schema: { tags, querystring: listDeliveriesQuery, response: { 200: listOf(deliverySummary), ...problemResponses } } },
    async (req) => {
      const { limit, cursor, ...rest } = req.query;
      const filter = { ...rest, tenantId: actingTenant(req, rest.tenantId) };
      const pageToken = cursor === undefined ? undefined : decodeCursor(cursor, visibilityCursor)?.token;
      if (cursor !== undefined && pageToken === undefined) {
        throw badRequest([{ path: 'query.cursor', message: 'is not a cursor this API issued' }]);
      }
      const page = await listDeliveries(temporal, filter, {
        pageSize: limit,
        pageToken: pageToken === undefined ? undefined : Buffer.from(pageToken, 'base64'),
      }).catch((err: unknown) => {
        // Temporal rejects a token it did not issue as INVALID_ARGUMENT or, on SQL visibility, UNKNOWN.
        const code = (err as { code?: unknown; cause?: { code?: unknown } }).code ?? (err as { cause?: { code?: unknown } }).cause?.code;
        if (pageToken !== undefined && (code === 2 || code === 3)) {
          throw badRequest([{ path: 'query.cursor', message: 'is not a cursor this API issued' }]);
        }
        throw err;
      });
      return {
        data: page.items,
        nextCursor: page.nextPageToken ? encodeCursor(sealToken(Buffer.from(page.nextPageToken).toString('base64'))) : null,
      };
    },
  );

  app.get(
    '/deliveries/:id',
    { config: tenantScoped('delivery'), schema: { tags, params: idParam('delivery'), response: { 200: deliveryStatusResponse, ...problemResponses } } },
    async (req) => statusOf(req.params.id),
  );

  app.get(
    '/deliveries/:id/attempts',
    {
      config: tenantScoped('delivery'),
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
      if (!(await findPlannedDelivery(db, req.params.id))) throw notFound('delivery', req.params.id);
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
    { config: tenantScoped('delivery'), schema: { tags, params: idParam('delivery'), response: { 202: signalAccepted, ...withConflict } } },
    async (req, reply) => {
      const status = await statusOf(req.params.id);
      if (!['delivering', 'retrying', 'dead_lettered'].includes(status.state) || status.completedAt) {
        throw conflict(`delivery ${req.params.id} is ${status.state}${status.completedAt ? ' and closed' : ''}; only a retrying or dead-lettered delivery can be redelivered`);
      }
      await temporal.workflow.getHandle(req.params.id).signal(redeliverSignal);
      return reply.code(202).send({ id: req.params.id, accepted: true as const, signal: 'redeliver' as const });
    },
  );

  app.post(
    '/deliveries/:id/discard',
    { config: tenantScoped('delivery'), schema: { tags, params: idParam('delivery'), response: { 202: signalAccepted, ...withConflict } } },
    async (req, reply) => {
      const status = await statusOf(req.params.id);
      if (status.completedAt || status.state === 'scheduled') {
        throw conflict(`delivery ${req.params.id} is ${status.state}; only an open delivery can be discarded`);
      }
      await temporal.workflow.getHandle(req.params.id).signal(discardSignal, { reason: 'discarded through the API' });
      return reply.code(202).send({ id: req.params.id, accepted: true as const, signal: 'discard' as const });
    },
  );

  app.post(
    '/deliveries/redeliver',
    { config: tenantScoped(), schema: { tags, body: bulkRedeliverBody, response: { 202: bulkResult, ...problemResponses } } },
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
