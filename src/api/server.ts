import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import { installAccessControl } from '../auth/access-control';
import { FailedAuthLimiter } from '../auth/failed-auth-limiter';
import { principalResolver } from '../auth/principal';
import { sharedMetrics } from '../metrics/registry';
import { operationalEventsOpenApi } from '../ops-events/openapi';
import { clientErrorHandler } from './client-errors';
import type { ApiDeps } from './deps';
import { installJsonBodyParser } from './json-body';
import { frameworkErrorHandler, installErrorHandling, sendProblem } from './problem';
import { installRateLimits } from './rate-limit';
import { RequestLog } from './request-log';
import { RouteMethods } from './method-not-allowed';
import { documentTransform, routeTransform } from './openapi-document';
import { codecRoutes } from './routes/codec';
import { deliveryRoutes } from './routes/deliveries';
import { eventRoutes } from './routes/events';
import { eventTypeRoutes } from './routes/event-types';
import { healthRoutes } from './routes/health';
import { installIngestMetrics, metricsRoutes } from './routes/metrics';
import { subscriptionRoutes } from './routes/subscriptions';
import { tenantRoutes } from './routes/tenants';
import { eventReplayRoutes } from './routes/event-replay';
import { subscriptionRecoveryRoutes } from './routes/subscription-recovery';
import { subscriptionThrottleRoutes } from './routes/subscription-throttle';
import { subscriptionOrderingRoutes } from './routes/subscription-ordering';
import { subscriptionTestRoutes } from './routes/subscription-test';
import { portalLinkRoutes } from './routes/portal-links';
import { statsRoutes } from './routes/stats';
import { PORTAL_PREFIX, portalRoutes } from '../portal';

export interface BuildServerOptions extends ApiDeps {
  logger?: Logger | false;
}

/** The HTTP API, built from explicit dependencies so tests can start it against real backends. */
export async function buildServer(opts: BuildServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: opts.logger || undefined,
    // Explicit timeouts: a slow client cannot hold a connection forever.
    requestTimeout: 30_000,
    connectionTimeout: 30_000,
    keepAliveTimeout: 5_000,
    bodyLimit: 1024 * 1024,
    // IDs may be 128 characters (ID_PATTERN); longer ones reach the route and get a 400 naming params.id.
    routerOptions: { maxParamLength: 512 },
    frameworkErrors: frameworkErrorHandler,
    clientErrorHandler,
    logController: new RequestLog(),
  }) as unknown as FastifyInstance;
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  const routes = new RouteMethods();
  installErrorHandling(app, routes);
  installJsonBodyParser(app);
  // Before any route: it wraps the /v1 handlers as they are registered.
  opts.tracing?.instrumentApi(app);
  const metrics = (opts.metrics ??= sharedMetrics(opts.config));
  // One for the whole server: a guessed API key and a guessed portal link count against the same address.
  opts.authFailures ??= new FailedAuthLimiter(opts.config.rateLimits.authFailures);
  installIngestMetrics(app, metrics);

  const opsDoc = operationalEventsOpenApi();
  await app.register(fastifySwagger, {
    openapi: {
      info: {
        title: 'hookflow',
        version: '0.1.0',
        description:
          'Durable webhook delivery on Temporal. Every error is an RFC 9457 problem (application/problem+json). ' +
          'A JSON body with a `__proto__` key (or `constructor.prototype`) anywhere is refused with 400, a rule OpenAPI 3.0 cannot state.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } }, schemas: opsDoc.schemas },
      security: [{ bearer: [] }],
      tags: [opsDoc.tag],
      // An extension key; the document's type has no room for it.
      ...({ 'x-webhooks': opsDoc.webhooks } as object),
    },
    // What every route can answer, and problem+json for every error, stated once for all routes.
    transform: routeTransform,
    transformObject: documentTransform,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });

  await app.register(healthRoutes, opts);
  await app.register(codecRoutes, opts);
  await app.register(metricsRoutes, { ...opts, metrics });
  await app.register(portalRoutes, { ...opts, prefix: PORTAL_PREFIX });
  await app.register(
    async (v1) => {
      // Hooks added here cover every route registered below, in this scope and its children.
      installAccessControl(v1, { db: opts.db, resolve: principalResolver(opts.db, opts.config.apiKeys, opts.config), authFailures: opts.authFailures });
      await installRateLimits(v1, opts.config.rateLimits);
      // In this scope, so an unknown /v1 path goes through authentication first (401 without a key).
      v1.setNotFoundHandler((req, reply) => sendProblem(reply, routes.unrouted(req)));
      await v1.register(tenantRoutes, opts);
      await v1.register(subscriptionRoutes, opts);
      await v1.register(eventRoutes, opts);
      await v1.register(eventTypeRoutes, opts);
      await v1.register(deliveryRoutes, opts);
      await v1.register(eventReplayRoutes, opts);
      await v1.register(subscriptionRecoveryRoutes, opts);
      await v1.register(subscriptionThrottleRoutes, opts);
      await v1.register(subscriptionOrderingRoutes, opts);
      await v1.register(subscriptionTestRoutes, opts);
      await v1.register(portalLinkRoutes, opts);
      await v1.register(statsRoutes, opts);
    },
    { prefix: '/v1' },
  );
  return app;
}
