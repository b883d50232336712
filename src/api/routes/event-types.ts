import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { adminOnly, tenantScoped } from '../../auth/access-control';
import {
  allEventTypes,
  countSubscriptionsNaming,
  deleteEventType,
  getEventType,
  insertEventType,
  listEventTypes,
  updateEventType,
  type EventTypeRow,
} from '../../db/repos/event-types';
import { definitionProblems } from '../../event-types/definition-check';
import { catalogOpenApi } from '../../event-types/openapi-document';
import { schemaFields } from '../../event-types/schema-fields';
import type { ApiDeps } from '../deps';
import { badRequest, conflict, notFound, Problem } from '../../errors/problem';
import { encodeCursor, listOf, problemResponses, problemSchema } from '../schemas/common';
import { parseCursor } from '../pagination';
import {
  catalogDocument,
  createEventTypeBody,
  deletedEventTypeResponse,
  eventTypeCursor,
  eventTypeDetail,
  eventTypeParam,
  eventTypeResponse,
  listEventTypesQuery,
  updateEventTypeBody,
} from '../schemas/event-types';

const tags = ['event types'];
const withConflict = { ...problemResponses, 409: problemSchema };

/**
 * The event catalog: global to the installation, so admin keys write it and every tenant (token or
 * portal session) reads it: it is what the platform publishes to its customers.
 */
export const eventTypeRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  const { db, config } = deps;

  app.post(
    '/event-types',
    { config: adminOnly, schema: { tags, body: createEventTypeBody, response: { 201: eventTypeResponse, ...withConflict } } },
    async (req, reply) => {
      const { name, description, schema, examples, deprecated } = req.body;
      const problems = definitionProblems(schema ?? null, examples, { schema: 'body.schema', examples: 'body.examples' });
      if (problems.length > 0) throw badRequest(problems);
      const row = await insertEventType(db, { name, description: description ?? null, schema: schema ?? null, examples, deprecated });
      if (!row) throw conflict(`event type ${name} already exists; PATCH /v1/event-types/${name} changes it`);
      return reply.code(201).send(present(row));
    },
  );

  app.get(
    '/event-types',
    { config: tenantScoped('read'), schema: { tags, querystring: listEventTypesQuery, response: { 200: listOf(eventTypeResponse), ...problemResponses } } },
    async (req) => {
      const after = parseCursor(req.query.cursor, eventTypeCursor);
      const rows = await listEventTypes(db, { limit: req.query.limit + 1, after: after?.name, includeDeprecated: req.query.includeDeprecated });
      const page = rows.slice(0, req.query.limit);
      const last = page[page.length - 1];
      return { data: page.map(present), nextCursor: rows.length > req.query.limit && last ? encodeCursor({ name: last.name }) : null };
    },
  );

  // Registered before /event-types/:name; a static segment wins over a parameter whatever the order.
  app.get(
    '/event-types/openapi.json',
    { config: tenantScoped('read'), schema: { tags, response: { 200: catalogDocument, ...problemResponses } } },
    async () => catalogOpenApi(await allEventTypes(db)),
  );

  app.get(
    '/event-types/:name',
    { config: tenantScoped('read'), schema: { tags, params: eventTypeParam, response: { 200: eventTypeDetail, ...problemResponses } } },
    async (req) => {
      const row = await mustGet(req.params.name);
      return { ...present(row), fields: row.schema ? schemaFields(row.schema) : [] };
    },
  );

  app.patch(
    '/event-types/:name',
    { config: adminOnly, schema: { tags, params: eventTypeParam, body: updateEventTypeBody, response: { 200: eventTypeResponse, ...problemResponses } } },
    async (req) => {
      const current = await mustGet(req.params.name);
      const schema = req.body.schema === undefined ? current.schema : req.body.schema;
      const examples = req.body.examples ?? current.examples;
      const problems = definitionProblems(schema, examples, { schema: 'body.schema', examples: req.body.examples ? 'body.examples' : undefined });
      if (problems.length > 0) throw badRequest(problems);
      const row = await updateEventType(db, current.name, req.body);
      if (!row) throw notFound('event type', req.params.name);
      return present(row);
    },
  );

  app.delete(
    '/event-types/:name',
    { config: adminOnly, schema: { tags, params: eventTypeParam, response: { 204: deletedEventTypeResponse, ...withConflict } } },
    async (req, reply) => {
      await mustGet(req.params.name);
      if (config.eventTypes === 'strict') {
        const using = await countSubscriptionsNaming(db, req.params.name);
        if (using > 0) {
          const subs = `${using} subscription${using === 1 ? '' : 's'}`;
          throw new Problem(
            409,
            'Conflict',
            `${subs} still name${using === 1 ? 's' : ''} ${req.params.name} (HOOKFLOW_EVENT_TYPES is strict); change their eventTypes first, or deprecate the type instead`,
            [{ path: 'params.name', message: `is named by ${subs}` }],
          );
        }
      }
      if (!(await deleteEventType(db, req.params.name))) throw notFound('event type', req.params.name);
      return reply.code(204).send(null);
    },
  );

  async function mustGet(name: string): Promise<EventTypeRow> {
    const row = await getEventType(db, name);
    if (!row) throw notFound('event type', name);
    return row;
  }
};

function present(row: EventTypeRow) {
  return {
    name: row.name,
    description: row.description,
    schema: row.schema,
    examples: row.examples,
    deprecated: row.deprecated,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}
