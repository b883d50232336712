// The OpenAPI document states what the server does, for every route, including routes added later:
// the per-route transform adds the error answers a route can give (from how it is registered: public
// or not, path parameters, a body, under /v1), and the document transform gives every error answer
// the problem+json media type and every 204 no content. Clients generated from /docs/json, and API
// fuzzers, then see exactly what goes over the wire.
import type { SwaggerTransformObject } from '@fastify/swagger';
import type { FastifySchema, RouteOptions } from 'fastify';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { problemSchema } from './schemas/common';

type Transform = typeof jsonSchemaTransform;
/** An `x-` key, so @fastify/swagger carries it from the route transform to the document transform. */
const BODY_OPTIONAL = 'x-hookflow-body-optional';
type JsonObject = Record<string, unknown>;

export const PROBLEM_MEDIA_TYPE = 'application/problem+json';
const PROBLEM_REF = { $ref: '#/components/schemas/Problem' };

/** The Problem component: the same zod schema that describes error bodies everywhere else. */
export const problemComponent = (): JsonObject => {
  const { $schema: _drop, ...schema } = z.toJSONSchema(problemSchema, { target: 'openapi-3.0' }) as JsonObject;
  return schema;
};

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Bad request: the problem names each invalid field (`errors[].path`)',
  401: 'No valid API key or tenant token in `Authorization: Bearer …`',
  403: 'The credential lacks the scope this operation needs, or a tenant token called an operator route',
  404: 'No such resource (another tenant\'s resource is a 404 too)',
  409: 'Conflict with the resource\'s current state',
  408: 'The client did not send its request in time',
  413: 'The request body is larger than the limit',
  415: 'The request body is not application/json',
  429: 'Rate limit of the credential exceeded; `Retry-After` says when to retry',
  431: 'Request headers too large',
  500: 'Unexpected server error (nothing internal is disclosed)',
  503: 'PostgreSQL or Temporal is unavailable; nothing was changed; `Retry-After` says when to retry',
};

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/** The error statuses a route can answer, from how it is registered. */
export function errorStatusesOf(route: Pick<RouteOptions, 'method' | 'url' | 'config'>, url: string): number[] {
  const methods = [route.method].flat().map(String);
  const isPublic = !route.config?.access;
  const statuses = new Set<number>([400, 408, 431, 500]);
  if (!isPublic) {
    statuses.add(401);
    statuses.add(403);
  }
  // Every authenticated route reads the database (a tenant token is looked up there); /readyz reports
  // a backend down as 503. Only /healthz answers without touching a backend.
  if (!isPublic || url !== '/healthz') statuses.add(503);
  if (url.includes(':') || url.includes('{') || url.startsWith('/v1/')) statuses.add(404);
  if (methods.some((m) => BODY_METHODS.has(m))) {
    statuses.add(413);
    statuses.add(415);
  }
  // Every /v1 route draws on the caller's rate-limit bucket.
  if (url.startsWith('/v1/')) statuses.add(429);
  return [...statuses];
}

/**
 * The per-route transform: zod schemas to JSON Schema, then `security: []` on routes that need no
 * credential, and a problem answer for every error status the route can give.
 */
export const routeTransform: Transform = (input) => {
  const out = jsonSchemaTransform(input);
  out.schema ??= {};
  const route = (input as { route: RouteOptions }).route;
  const schema = out.schema as FastifySchema & { response?: Record<string, unknown>; security?: unknown; [BODY_OPTIONAL]?: true };
  // @fastify/swagger marks every body required, but a zod body that accepts null (`.nullish()`)
  // lets a request come without one; documentTransform turns the mark into required: false.
  // (A request without a body reaches the validator as null.)
  const body = (input.schema as { body?: unknown } | undefined)?.body;
  if (body instanceof z.ZodType && body.safeParse(null).success) schema[BODY_OPTIONAL] = true;
  if (!route.config?.access) schema.security = [];
  const response = (schema.response ??= {});
  // A route that declares no success answer still has one (what Fastify's own default would document).
  if (!Object.keys(response).some((code) => code.startsWith('2'))) response['200'] = { description: 'Success' };
  for (const status of errorStatusesOf(route, input.url)) {
    response[String(status)] ??= { description: ERROR_DESCRIPTIONS[status], type: 'object' };
  }
  return out;
};

interface Operation {
  description?: string;
  requestBody?: { required?: boolean };
  [BODY_OPTIONAL]?: true;
  parameters?: { in?: string; name?: string; description?: string }[];
  responses?: Record<string, { description?: string; content?: Record<string, unknown>; headers?: unknown }>;
}

/**
 * The document transform: every 4xx/5xx answer is `application/problem+json` with the Problem
 * schema; a 204 has no content. Applied to whatever routes exist, so new routes inherit it.
 */
const CURSOR_NOTE =
  '`cursor` is opaque: pass back only a `nextCursor` this operation returned; any other value is a 400 (no schema can state which strings the server issued).';

/** A rule no schema can state, said where readers and generators of the document look. */
function describeCursor(operation: Operation): void {
  const cursor = operation.parameters?.find((p) => p.in === 'query' && p.name === 'cursor');
  if (!cursor) return;
  cursor.description = cursor.description ? `${cursor.description}. ${CURSOR_NOTE}` : CURSOR_NOTE;
  operation.description = operation.description ? `${operation.description}\n\n${CURSOR_NOTE}` : CURSOR_NOTE;
}

export const documentTransform: SwaggerTransformObject = (doc) => {
  if (!('openapiObject' in doc)) return doc.swaggerObject;
  const api = doc.openapiObject as JsonObject & { paths?: Record<string, Record<string, Operation>>; components?: JsonObject };
  const components = (api.components ??= {}) as { schemas?: JsonObject };
  components.schemas = { ...components.schemas, Problem: problemComponent() };
  for (const operations of Object.values(api.paths ?? {})) {
    for (const operation of Object.values(operations)) {
      describeCursor(operation);
      if (operation[BODY_OPTIONAL] && operation.requestBody) operation.requestBody.required = false;
      delete operation[BODY_OPTIONAL];
      for (const [code, answer] of Object.entries(operation.responses ?? {})) {
        const status = Number(code);
        if (status === 204) {
          delete answer.content;
        } else if (status >= 400) {
          // A route's own wording stays; the problem schema's generic one gives way to the status's meaning.
          const generic = !answer.description || answer.description === problemSchema.description;
          answer.description = generic ? (ERROR_DESCRIPTIONS[status] ?? 'Error') : answer.description;
          answer.content = { [PROBLEM_MEDIA_TYPE]: { schema: PROBLEM_REF } };
          if (status === 429 || status === 503) {
            answer.headers = { 'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'string' } } };
          }
        }
      }
    }
  }
  return api;
};
