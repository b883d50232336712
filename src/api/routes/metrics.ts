// GET /metrics on the API port: Prometheus text, for an operator API key with `metrics:read` (or
// `admin`) only. The API port is the public one, so metrics (which describe every tenant's traffic)
// are never open there; a keyless scrape target is the separate listener on HOOKFLOW_METRICS_PORT.
import type { FastifyInstance } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { installAccessControl, operatorOnly } from '../../auth/access-control';
import { principalResolver } from '../../auth/principal';
import type { Metrics } from '../../metrics/registry';
import type { ApiDeps } from '../deps';

export const metricsRoutes: FastifyPluginAsyncZod<ApiDeps & { metrics: Metrics }> = async (app, deps) => {
  installAccessControl(app, { db: deps.db, resolve: principalResolver(deps.db, deps.config.apiKeys) });
  app.get(
    '/metrics',
    {
      config: operatorOnly('metrics:read'),
      schema: {
        tags: ['operations'],
        produces: ['text/plain'],
        summary: 'Prometheus metrics (API key with metrics:read)',
        description: 'hookflow_* metrics in the Prometheus text format. Needs an API key with the metrics:read (or admin) scope; HOOKFLOW_METRICS_PORT serves the same without a key on a separate listener.',
      },
    },
    async (_req, reply) => reply.header('content-type', deps.metrics.contentType).send(await deps.metrics.render()),
  );
};

const INGEST_ROUTES = new Set(['/v1/events', '/v1/events/batch']);

/** Counts ingest requests by route template and status, whatever answered them (handler, validation, auth). */
export function installIngestMetrics(app: FastifyInstance, metrics: Metrics): void {
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url;
    if (req.method === 'POST' && route !== undefined && INGEST_ROUTES.has(route)) metrics.ingestRequest(route, reply.statusCode);
  });
}
