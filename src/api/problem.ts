import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isDatabaseUnavailable } from '../db/errors';
import type { RouteMethods } from './method-not-allowed';
import { Problem, badRequest, type FieldError } from '../errors/problem';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';

const TYPE_BASE = 'https://hookflow.dev/problems/';
/** The problem `type` URI of a title. */
export const problemType = (title: string) => TYPE_BASE + title.toLowerCase().replace(/[^a-z0-9]+/g, '-');

export function sendProblem(reply: FastifyReply, p: Problem): FastifyReply {
  if (p.headers) void reply.headers(p.headers);
  return reply
    .code(p.status)
    .type('application/problem+json')
    .send({
      type: problemType(p.title),
      title: p.title,
      status: p.status,
      detail: p.detail,
      instance: reply.request.url.split('?')[0],
      ...(p.errors ? { errors: p.errors } : {}),
    });
}

/**
 * Errors Fastify raises before routing (a malformed percent-encoding, a path parameter over
 * maxParamLength) bypass the error handler and would be answered as plain JSON; keep them problems.
 */
export function frameworkErrorHandler(err: FastifyError, _req: FastifyRequest, reply: FastifyReply): void {
  const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 400;
  void sendProblem(reply, new Problem(status, status === 414 ? 'URI Too Long' : 'Bad Request', err.message));
}

// gRPC status codes that mean Temporal could not be reached in time (UNAVAILABLE, DEADLINE_EXCEEDED).
const TEMPORAL_DOWN_CODES = new Set([4, 14]);

/** Raw gRPC errors carry a numeric code; the Temporal client wraps them in a ServiceError's cause. */
function isTemporalUnavailable(err: unknown): boolean {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 3; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'number') return TEMPORAL_DOWN_CODES.has(e.code);
  }
  return false;
}

/** The one place errors become responses; nothing internal (stack, SQL, secrets) leaks out. */
export function installErrorHandling(app: FastifyInstance, routes: RouteMethods): void {
  routes.track(app);
  app.setNotFoundHandler((req, reply) => sendProblem(reply, routes.unrouted(req)));
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof Problem) return sendProblem(reply, err);
    // An unrouted request can fail before the not-found handler runs (a body method without a
    // content type); it is still answered as unrouted.
    if (req.is404) return sendProblem(reply, routes.unrouted(req));
    if (hasZodFastifySchemaValidationErrors(err)) {
      // Fastify says "querystring"; our own errors and the docs say "query".
      const where = err.validationContext === 'querystring' ? 'query' : (err.validationContext ?? 'body');
      return sendProblem(
        reply,
        badRequest(
          uniqueErrors(err.validation.flatMap((v) => {
            const path = [where, ...v.instancePath.split('/').filter(Boolean)];
            // One error per unknown key, each naming the field, rather than one on the enclosing object.
            const keys = v.keyword === 'unrecognized_keys' ? (v.params as { keys?: unknown }).keys : undefined;
            if (Array.isArray(keys) && keys.length > 0) {
              return keys.map((k) => ({ path: [...path, String(k)].join('.'), message: 'is not a known field' }));
            }
            return [{ path: path.join('.'), message: v.message ?? 'is invalid' }];
          })),
        ),
      );
    }
    if (isResponseSerializationError(err)) {
      req.log.error({ err }, 'response did not match its schema');
      return sendProblem(reply, new Problem(500, 'Internal Server Error', 'the server produced an invalid response'));
    }
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return sendProblem(reply, new Problem(413, 'Payload Too Large', `request body exceeds ${req.routeOptions.bodyLimit ?? 'the'} bytes`));
    }
    if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || err.code === 'FST_ERR_CTP_INVALID_CONTENT_LENGTH') {
      return sendProblem(reply, new Problem(415, 'Unsupported Media Type', 'send the body as application/json'));
    }
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      // Fastify's own client errors: malformed JSON, empty body with a JSON content type, and so on.
      return sendProblem(reply, new Problem(err.statusCode, 'Bad Request', err.message));
    }
    // Checked before the database: a gRPC "connect ECONNREFUSED" message would otherwise read as Postgres down.
    if (isTemporalUnavailable(err)) {
      req.log.warn({ err: err.message }, 'temporal unavailable');
      return sendProblem(
        reply,
        new Problem(503, 'Service Unavailable', 'Temporal is unavailable; retry later', undefined, { 'retry-after': '5' }),
      );
    }
    if (isDatabaseUnavailable(err)) {
      req.log.warn({ err: err.message }, 'database unavailable');
      return sendProblem(
        reply,
        new Problem(503, 'Service Unavailable', 'the database is unavailable; nothing was stored, retry later', undefined, { 'retry-after': '5' }),
      );
    }
    req.log.error({ err }, 'unhandled error');
    return sendProblem(reply, new Problem(500, 'Internal Server Error', 'an unexpected error occurred'));
  });
}

/** A field that breaks two rules with one message (a URL that is neither a URL nor matches its pattern) is named once. */
function uniqueErrors(errors: FieldError[]): FieldError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const key = `${e.path}\u0000${e.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
