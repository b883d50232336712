import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';

export interface FieldError {
  path: string;
  message: string;
}

/** An RFC 9457 problem; thrown from handlers and rendered by the central error handler. */
export class Problem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly errors?: FieldError[],
    readonly headers?: Record<string, string>,
  ) {
    super(detail);
  }
}

const TYPE_BASE = 'https://hookflow.dev/problems/';
const slug = (title: string) => title.toLowerCase().replace(/[^a-z0-9]+/g, '-');

export const notFound = (what: string, id: string) => new Problem(404, 'Not Found', `${what} ${id} does not exist`);
export const conflict = (detail: string) => new Problem(409, 'Conflict', detail);
export const badRequest = (errors: FieldError[]) =>
  new Problem(400, 'Validation Failed', errors.map((e) => `${e.path}: ${e.message}`).join('; '), errors);

export function sendProblem(reply: FastifyReply, p: Problem): FastifyReply {
  if (p.headers) void reply.headers(p.headers);
  return reply
    .code(p.status)
    .type('application/problem+json')
    .send({
      type: TYPE_BASE + slug(p.title),
      title: p.title,
      status: p.status,
      detail: p.detail,
      instance: reply.request.url.split('?')[0],
      ...(p.errors ? { errors: p.errors } : {}),
    });
}

const DATABASE_DOWN = /ECONNREFUSED|ECONNRESET|terminat|timeout exceeded when trying to connect|Connection terminated|the database system is (starting|shutting) up|57P0[123]/i;

function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return typeof e?.message === 'string' && (DATABASE_DOWN.test(e.message) || DATABASE_DOWN.test(e.code ?? ''));
}

/** The one place errors become responses; nothing internal (stack, SQL, secrets) leaks out. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setNotFoundHandler((req, reply) => sendProblem(reply, new Problem(404, 'Not Found', `no route for ${req.method} ${req.url.split('?')[0]}`)));
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof Problem) return sendProblem(reply, err);
    if (hasZodFastifySchemaValidationErrors(err)) {
      const where = err.validationContext ?? 'body';
      return sendProblem(
        reply,
        badRequest(
          err.validation.map((v) => ({
            path: [where, ...v.instancePath.split('/').filter(Boolean)].join('.'),
            message: v.message ?? 'is invalid',
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
