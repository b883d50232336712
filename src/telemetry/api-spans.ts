import { ROOT_CONTEXT, SpanKind, SpanStatusCode, context, propagation, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { childWithTrace } from './log-fields';

interface RequestTrace {
  span: Span;
  ctx: Context;
}

const TRACE = Symbol('hookflow.requestTrace');
type TracedRequest = FastifyRequest & { [TRACE]?: RequestTrace };

// The API itself; health probes, /metrics, the docs and the portal's static files are not traced.
const traced = (routeUrl: string | undefined): routeUrl is string => routeUrl !== undefined && routeUrl.startsWith('/v1/');

/**
 * A server span around every /v1 request, continuing a caller's `traceparent`. The handler runs in the
 * span's context, so what it starts (the fan-out, Temporal calls) is a child of it; the request's
 * logger carries the trace ID. Must be installed before the routes are registered.
 */
export function instrumentApi(app: FastifyInstance, tracer: Tracer): void {
  app.addHook('onRoute', (route) => {
    if (!traced(route.url)) return;
    const handler = route.handler;
    // Body parsing resumes on the socket's events, outside any context set in onRequest: the handler is entered in it again.
    route.handler = function (this: FastifyInstance, req, reply) {
      const t = (req as TracedRequest)[TRACE];
      return t ? context.with(t.ctx, handler, this, req, reply) : handler.call(this, req, reply);
    };
  });

  app.addHook('onRequest', (req, _reply, done) => {
    const route = req.routeOptions.url;
    if (!traced(route)) return done();
    const parent = propagation.extract(ROOT_CONTEXT, req.headers);
    const span = tracer.startSpan(
      `${req.method} ${route}`,
      {
        kind: SpanKind.SERVER,
        attributes: { 'http.request.method': req.method, 'http.route': route, 'url.path': req.url.split('?')[0]!, 'url.scheme': req.protocol },
      },
      parent,
    );
    (req as TracedRequest)[TRACE] = { span, ctx: trace.setSpan(parent, span) };
    req.log = childWithTrace((bindings) => req.log.child(bindings), span);
    done();
  });

  app.addHook('onError', (req, _reply, error, done) => {
    (req as TracedRequest)[TRACE]?.span.recordException(error);
    done();
  });

  app.addHook('onResponse', (req, reply, done) => {
    end(req, reply.statusCode);
    done();
  });

  app.addHook('onRequestAbort', (req, done) => {
    end(req, undefined);
    done();
  });
}

function end(req: TracedRequest, statusCode: number | undefined): void {
  const t = req[TRACE];
  if (!t) return;
  req[TRACE] = undefined;
  if (statusCode === undefined) t.span.setStatus({ code: SpanStatusCode.ERROR, message: 'the client went away' });
  else {
    t.span.setAttribute('http.response.status_code', statusCode);
    // For a server, only its own failures are errors; a 4xx is the caller's.
    if (statusCode >= 500) t.span.setStatus({ code: SpanStatusCode.ERROR });
  }
  t.span.end();
}
