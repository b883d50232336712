import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Config } from '../../config';
import {
  countTenantSubscriptions,
  getSubscription,
  insertSubscription,
  listSubscriptions,
  rotateSecret,
  softDeleteSubscription,
  updateSubscription,
  type SubscriptionRow,
} from '../../db/repos/subscriptions';
import { existingEventTypes } from '../../db/repos/event-types';
import { unknownSubscribedTypes } from '../../event-types/ingest-check';
import { newId } from '../../db/ids';
import { sendPing } from '../../ping/send-ping';
import { urlPolicy } from '../../security/policy-from-config';
import { checkWebhookUrl } from '../../security/url-guard';
import { secretBox, type SecretBox } from '../../security/secret-box';
import { generateSigningKey } from '../../signing/ed25519';
import { generateSecret } from '../../signing/standard-webhooks';
import { maskedHeaders, openHeaders, sealHeaders, sortedByName } from '../../endpoint-headers/sealed-headers';
import type { ApiDeps } from '../deps';
import { badRequest, notFound } from '../../errors/problem';
import { limitExceeded } from '../limits';
import { idParam, keysetCursorSchema, listOf, paginationQuery, problemResponses, problemSchema, tenantFilterQuery } from '../schemas/common';
import { pageOf, parseCursor } from '../pagination';
import { actingTenant, tenantScoped, unknownTenant } from '../../auth/access-control';
import { DEFAULT_TENANT } from '../../db/repos/tenants';
import {
  createSubscriptionBody,
  createdSubscriptionResponse,
  headersResponse,
  rotateSecretBody,
  secretResponse,
  subscriptionResponse,
  updateSubscriptionBody,
} from '../schemas/subscriptions';
import { discardOpenDeliveries } from './delivery-signals';
import { configureLimiter } from '../../throttle/limiter-client';

const tags = ['subscriptions'];

export const subscriptionRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  const { db, config } = deps;
  // On first use, not at registration: building the server for its OpenAPI document needs no key.
  const box = () => secretBox(config);
  const present = (row: SubscriptionRow) => toResponse(row, config, box());

  app.post(
    '/subscriptions',
    { config: tenantScoped('subscriptions:write'), schema: { tags, body: createSubscriptionBody, response: { 201: createdSubscriptionResponse, ...problemResponses, 422: problemSchema } } },
    async (req, reply) => {
      await assertUrlAllowed(req.body.url, config);
      await assertTypesCatalogued(deps, req.body.eventTypes);
      const tenantId = actingTenant(req, req.body.tenantId) ?? DEFAULT_TENANT;
      // Checked before the insert: concurrent creations may pass the limit by a few, never by many.
      const existing = await countTenantSubscriptions(db, tenantId);
      if (existing >= config.limits.subscriptionsPerTenant) {
        throw limitExceeded('HOOKFLOW_MAX_SUBSCRIPTIONS_PER_TENANT', config.limits.subscriptionsPerTenant, 'body.tenantId', `tenant ${tenantId} has ${existing} subscriptions`);
      }
      const id = newId('sub');
      const signature = req.body.signature;
      const keys = signature === 'ed25519' ? generateSigningKey() : { signingKey: req.body.secret ?? generateSecret(), publicKey: null };
      const row = await insertSubscription(db, {
        id,
        tenantId,
        url: req.body.url,
        eventTypes: req.body.eventTypes,
        description: req.body.description ?? null,
        secret: box().seal(keys.signingKey, id),
        retryPolicy: effectiveOverride(req.body.retryPolicy, config),
        throttle: req.body.throttle ?? null,
        ordering: req.body.ordering,
        metadata: req.body.metadata,
        signatureScheme: signature,
        publicKey: keys.publicKey,
        headers: sealHeaders(box(), id, req.body.headers ?? {}),
        filter: req.body.filter ?? null,
        traceparent: req.body.traceparent,
      });
      if (!row) throw unknownTenant('body.tenantId', tenantId);
      const ping = req.body.ping ? await sendPing(deps, row) : undefined;
      const created = { ...present(row), ...(ping ? { ping } : {}) };
      return reply
        .code(201)
        .send(signature === 'hmac-sha256' ? { ...created, signature, secret: keys.signingKey } : { ...created, signature, publicKey: keys.publicKey! });
    },
  );

  app.get(
    '/subscriptions',
    {
      config: tenantScoped('read'),
      schema: { tags, querystring: paginationQuery.extend(tenantFilterQuery.shape), response: { 200: listOf(subscriptionResponse), ...problemResponses } },
    },
    async (req) => {
      const after = parseCursor(req.query.cursor, keysetCursorSchema);
      const rows = await listSubscriptions(db, { limit: req.query.limit + 1, tenantId: actingTenant(req, req.query.tenantId), after });
      return pageOf(rows, req.query.limit, present);
    },
  );

  app.get(
    '/subscriptions/:id',
    { config: tenantScoped('read', 'subscription'), schema: { tags, params: idParam('subscription'), response: { 200: subscriptionResponse, ...problemResponses } } },
    async (req) => present(await mustGet(deps, req.params.id)),
  );

  app.patch(
    '/subscriptions/:id',
    {
      config: tenantScoped('subscriptions:write', 'subscription'),
      schema: { tags, params: idParam('subscription'), body: updateSubscriptionBody, response: { 200: subscriptionResponse, ...problemResponses } },
    },
    async (req) => {
      const current = await mustGet(deps, req.params.id);
      if (req.body.url !== undefined) await assertUrlAllowed(req.body.url, config);
      await assertTypesCatalogued(deps, req.body.eventTypes);
      const { retryPolicy, headers, ...rest } = req.body;
      // Every check above ran before this one UPDATE: a refused PATCH changes nothing.
      const row = await updateSubscription(db, current.id, {
        ...rest,
        ...(retryPolicy === undefined ? {} : { retryPolicy: retryPolicy === null ? null : effectiveOverride(retryPolicy, config) }),
        ...(headers === undefined ? {} : { headers: sealHeaders(box(), current.id, headers) }),
      });
      if (!row) throw notFound('subscription', req.params.id);
      // Deliveries already waiting follow the new limits at once (a limiter that is not running has none waiting).
      if (req.body.throttle !== undefined) await configureLimiter(deps.temporal, row, req.log);
      return present(row);
    },
  );

  app.delete(
    '/subscriptions/:id',
    { config: tenantScoped('subscriptions:write', 'subscription'), schema: { tags, params: idParam('subscription'), response: { 204: z.null().describe('Deleted'), ...problemResponses } } },
    async (req, reply) => {
      if (!(await softDeleteSubscription(db, req.params.id))) throw notFound('subscription', req.params.id);
      // The activity already refuses to send for a deleted subscription; the discard signal ends
      // deliveries that are waiting in backoff or as dead letters right away instead of at their next attempt.
      await discardOpenDeliveries(deps.temporal, req.params.id, 'subscription deleted').catch((err: unknown) =>
        req.log.warn({ err, subscriptionId: req.params.id }, 'could not discard open deliveries; they end at their next attempt'),
      );
      return reply.code(204).send(null);
    },
  );

  // Its secret lets the holder forge this subscription's webhooks: reading it needs write, not read.
  app.get(
    '/subscriptions/:id/secret',
    { config: tenantScoped('subscriptions:write', 'subscription'), schema: { tags, params: idParam('subscription'), response: { 200: secretResponse, ...problemResponses } } },
    async (req) => {
      const row = await mustGet(deps, req.params.id);
      return row.signature_scheme === 'ed25519' ? { publicKey: row.public_key! } : { secret: box().open(row.secret, row.id) };
    },
  );

  // Header values can be credentials for the endpoint: reading them whole needs what the secret does.
  app.get(
    '/subscriptions/:id/headers',
    { config: tenantScoped('subscriptions:write', 'subscription'), schema: { tags, params: idParam('subscription'), response: { 200: headersResponse, ...problemResponses } } },
    async (req) => {
      const row = await mustGet(deps, req.params.id);
      return { headers: sortedByName(openHeaders(box(), row.id, row.headers)) };
    },
  );

  app.post(
    '/subscriptions/:id/secret/rotate',
    { config: tenantScoped('subscriptions:write', 'subscription'), schema: { tags, params: idParam('subscription'), body: rotateSecretBody, response: { 200: secretResponse, ...problemResponses } } },
    async (req) => {
      const current = await mustGet(deps, req.params.id);
      const keys = current.signature_scheme === 'ed25519' ? generateSigningKey() : { signingKey: generateSecret(), publicKey: null };
      // The old key keeps signing beside the new one for graceSeconds (both tokens in every request).
      const row = await rotateSecret(db, current.id, box().seal(keys.signingKey, current.id), req.body.graceSeconds, keys.publicKey);
      if (!row) throw notFound('subscription', req.params.id);
      return keys.publicKey ? { publicKey: keys.publicKey } : { secret: keys.signingKey };
    },
  );
};

async function mustGet(deps: ApiDeps, id: string): Promise<SubscriptionRow> {
  const row = await getSubscription(deps.db, id);
  if (!row) throw notFound('subscription', id);
  return row;
}

async function assertUrlAllowed(url: string, config: Config): Promise<void> {
  const verdict = await checkWebhookUrl(url, urlPolicy(config), { requireHttps: config.env === 'production' });
  if (!verdict.ok) throw badRequest([{ path: 'body.url', message: verdict.reason }]);
}

/** With HOOKFLOW_EVENT_TYPES=strict, every exact type named must be in the event catalog. */
async function assertTypesCatalogued(deps: ApiDeps, eventTypes: string[] | undefined): Promise<void> {
  const problems = await unknownSubscribedTypes((names) => existingEventTypes(deps.db, names), deps.config.eventTypes, eventTypes, 'body.eventTypes');
  if (problems.length > 0) throw badRequest(problems);
}

/** Only the fields the caller set are stored, so later changes to server defaults still apply to the rest. */
function effectiveOverride(policy: Partial<Config['retry']> | undefined, config: Config): Partial<Config['retry']> | null {
  if (!policy || Object.keys(policy).length === 0) return null;
  const merged = { ...config.retry, ...policy };
  if (merged.initialIntervalMs > merged.maxIntervalMs) {
    throw badRequest([{ path: 'body.retryPolicy.maxIntervalMs', message: `must be at least initialIntervalMs (${merged.initialIntervalMs})` }]);
  }
  return policy;
}

export function toResponse(row: SubscriptionRow, config: Config, box: SecretBox): z.infer<typeof subscriptionResponse> {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    url: row.url,
    eventTypes: row.event_types,
    description: row.description,
    retryPolicy: { ...config.retry, ...(row.retry_policy ?? {}) },
    throttle: row.throttle,
    ordering: row.ordering,
    metadata: row.metadata,
    headers: maskedHeaders(box, row.id, row.headers),
    filter: row.filter,
    traceparent: row.traceparent,
    signature: row.signature_scheme,
    publicKey: row.public_key,
    active: row.active,
    disabledReason: row.disabled_reason,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}
