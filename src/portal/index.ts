// The customer portal: static pages and a small ES-module script under /portal that call the /v1
// API with a session of one tenant. Nothing here authorizes a /v1 call; the session only names a
// tenant principal (src/portal/session-credential.ts) and the /v1 access layer does the rest.
import type { FastifyPluginAsync } from 'fastify';
import type { ApiDeps } from '../api/deps';
import { portalPages } from './pages';
import { PORTAL_PREFIX } from './paths';
import { portalHeaders } from './security-headers';
import { portalSessionRoutes } from './session-routes';

export { PORTAL_PREFIX };

export const portalRoutes: FastifyPluginAsync<ApiDeps & { prefix?: string }> = async (app, { prefix: _prefix, ...deps }) => {
  const headers = portalHeaders(deps.config);
  // onRequest, not onSend: error answers (a refused link, an unknown asset) get the headers too.
  app.addHook('onRequest', async (_req, reply) => {
    void reply.headers(headers);
  });
  await app.register(portalPages);
  await app.register(portalSessionRoutes, deps);
};
