import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { adminOnly } from '../../auth/access-control';
import { insertPortalLink } from '../../db/repos/portal';
import { newId } from '../../db/ids';
import { credentialHash, generateLinkToken } from '../../auth/portal-credentials';
import { PORTAL_PREFIX } from '../../portal/paths';
import type { ApiDeps } from '../deps';
import { notFound } from '../../errors/problem';
import { problemResponses } from '../schemas/common';
import { createPortalLinkBody, portalLinkResponse } from '../schemas/portal';
import { tenantParam } from '../schemas/tenants';

/**
 * POST /v1/tenants/:id/portal-links: a link an operator hands to one customer. Opening it once
 * gives a session of that tenant in the portal. The credential sits in the URL's fragment, which
 * browsers never send to a server, so it appears in no access log and no Referer.
 */
export const portalLinkRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  app.post(
    '/tenants/:id/portal-links',
    {
      config: adminOnly,
      schema: { tags: ['tenants'], params: tenantParam, body: createPortalLinkBody, response: { 201: portalLinkResponse, ...problemResponses } },
    },
    async (req, reply) => {
      const token = generateLinkToken();
      const row = await insertPortalLink(deps.db, {
        id: newId('pl'),
        tenantId: req.params.id,
        tokenHash: credentialHash(token),
        expiresInSeconds: req.body.expiresInSeconds,
      });
      if (!row) throw notFound('tenant', req.params.id);
      const base = deps.config.portal.publicUrl ?? `${req.protocol}://${req.host}`;
      return reply.code(201).send({
        id: row.id,
        tenantId: row.tenant_id,
        url: `${base}${PORTAL_PREFIX}/#link=${token}`,
        expiresAt: row.expires_at.toISOString(),
        createdAt: row.created_at.toISOString(),
      });
    },
  );
};
