import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { TENANT_SCOPES } from '../../auth/scopes';
import { adminOnly } from '../../auth/access-control';
import { generateTenantToken, tenantTokenHash } from '../../auth/tenant-token';
import { insertTenantToken, listTenantTokens, revokeTenantToken, type TenantTokenRow } from '../../db/repos/tenant-tokens';
import { DEFAULT_TENANT, deleteTenant, getTenant, insertTenant, listTenants, updateTenant, type TenantRow } from '../../db/repos/tenants';
import { newId } from '../../db/ids';
import type { ApiDeps } from '../deps';
import { conflict, notFound } from '../../errors/problem';
import { keysetCursorSchema, listOf, paginationQuery, problemResponses, problemSchema } from '../schemas/common';
import { pageOf, parseCursor } from '../pagination';
import {
  createTenantBody,
  createTokenBody,
  createdTokenResponse,
  deletedTenantResponse,
  tenantParam,
  tenantResponse,
  tokenParams,
  tokenResponse,
  updateTenantBody,
} from '../schemas/tenants';
import { discardTenantDeliveries } from './delivery-signals';

const tags = ['tenants'];
const withConflict = { ...problemResponses, 409: problemSchema };

/** Tenants and their tokens: the operator's view, so every route here needs an admin key. */
export const tenantRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  const { db } = deps;

  app.post(
    '/tenants',
    { config: adminOnly, schema: { tags, body: createTenantBody, response: { 201: tenantResponse, ...withConflict } } },
    async (req, reply) => {
      const id = req.body.id ?? newId('ten');
      const row = await insertTenant(db, { id, name: req.body.name, metadata: req.body.metadata });
      if (!row) throw conflict(`tenant ID ${id} is taken (IDs of deleted tenants are not reused)`);
      return reply.code(201).send(presentTenant(row));
    },
  );

  app.get(
    '/tenants',
    { config: adminOnly, schema: { tags, querystring: paginationQuery, response: { 200: listOf(tenantResponse), ...problemResponses } } },
    async (req) => {
      const after = parseCursor(req.query.cursor, keysetCursorSchema);
      const rows = await listTenants(db, { limit: req.query.limit + 1, after });
      return pageOf(rows, req.query.limit, presentTenant);
    },
  );

  app.get(
    '/tenants/:id',
    { config: adminOnly, schema: { tags, params: tenantParam, response: { 200: tenantResponse, ...problemResponses } } },
    async (req) => presentTenant(await mustGet(req.params.id)),
  );

  app.patch(
    '/tenants/:id',
    { config: adminOnly, schema: { tags, params: tenantParam, body: updateTenantBody, response: { 200: tenantResponse, ...problemResponses } } },
    async (req) => {
      const row = await updateTenant(db, req.params.id, req.body);
      if (!row) throw notFound('tenant', req.params.id);
      return presentTenant(row);
    },
  );

  app.delete(
    '/tenants/:id',
    { config: adminOnly, schema: { tags, params: tenantParam, response: { 200: deletedTenantResponse, ...withConflict } } },
    async (req) => {
      // Events sent without a tenant go to `default`; deleting it would make them all fail.
      if (req.params.id === DEFAULT_TENANT) throw conflict('the default tenant cannot be deleted');
      const deleted = await deleteTenant(db, req.params.id);
      if (!deleted) throw notFound('tenant', req.params.id);
      // Its subscriptions are deleted, so any delivery the discard misses ends at its next attempt.
      const discarded = await discardTenantDeliveries(deps.temporal, req.params.id).catch((err: unknown) => {
        req.log.warn({ err, tenantId: req.params.id }, 'could not discard open deliveries; they end at their next attempt');
        return { signalled: 0 };
      });
      return {
        id: req.params.id,
        deleted: true as const,
        subscriptionsDeleted: deleted.subscriptions,
        tokensRevoked: deleted.tokens,
        deliveriesDiscarded: discarded.signalled,
      };
    },
  );

  app.post(
    '/tenants/:id/tokens',
    { config: adminOnly, schema: { tags, params: tenantParam, body: createTokenBody, response: { 201: createdTokenResponse, ...problemResponses } } },
    async (req, reply) => {
      const token = generateTenantToken();
      const row = await insertTenantToken(db, {
        id: newId('tok'),
        tenantId: req.params.id,
        name: req.body.name ?? null,
        tokenHash: tenantTokenHash(token),
        expiresAt: req.body.expiresAt ? new Date(req.body.expiresAt) : null,
        scopes: req.body.scopes ? [...new Set(req.body.scopes)] : null,
      });
      if (!row) throw notFound('tenant', req.params.id);
      return reply.code(201).send({ ...presentToken(row), token });
    },
  );

  app.get(
    '/tenants/:id/tokens',
    { config: adminOnly, schema: { tags, params: tenantParam, querystring: paginationQuery, response: { 200: listOf(tokenResponse), ...problemResponses } } },
    async (req) => {
      const after = parseCursor(req.query.cursor, keysetCursorSchema);
      await mustGet(req.params.id);
      const rows = await listTenantTokens(db, req.params.id, { limit: req.query.limit + 1, after });
      return pageOf(rows, req.query.limit, presentToken);
    },
  );

  app.delete(
    '/tenants/:id/tokens/:tokenId',
    { config: adminOnly, schema: { tags, params: tokenParams, response: { 204: z.null().describe('Revoked'), ...problemResponses } } },
    async (req, reply) => {
      if (!(await revokeTenantToken(db, req.params.id, req.params.tokenId))) throw notFound('token', req.params.tokenId);
      return reply.code(204).send(null);
    },
  );

  async function mustGet(id: string): Promise<TenantRow> {
    const row = await getTenant(db, id);
    if (!row) throw notFound('tenant', id);
    return row;
  }
};

function presentTenant(row: TenantRow): z.infer<typeof tenantResponse> {
  return {
    id: row.id,
    name: row.name,
    metadata: row.metadata,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

function presentToken(row: TenantTokenRow): z.infer<typeof tokenResponse> {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    name: row.name,
    expiresAt: row.expires_at?.toISOString() ?? null,
    revokedAt: row.revoked_at?.toISOString() ?? null,
    scopes: row.scopes ?? [...TENANT_SCOPES],
    createdAt: row.created_at.toISOString(),
  };
}
