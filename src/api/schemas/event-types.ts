import { z } from 'zod';
import { RESERVED_PREFIX } from '../../ops-events/types';
import { EVENT_TYPE_PATTERN, isStorableJson, paginationQuery, UNSTORABLE_MESSAGE, STORABLE_NOTE, storableText } from './common';

/** GET /v1/event-types/openapi.json is the published document, so no type may take that name. */
export const OPENAPI_DOCUMENT_NAME = 'openapi.json';
const MAX_SCHEMA_BYTES = 64 * 1024;

export const eventTypeName = z
  .string()
  .max(200)
  .regex(EVENT_TYPE_PATTERN, 'must be dot-separated words of letters, digits and _, such as "invoice.paid"')
  .refine((n) => !n.toLowerCase().startsWith(RESERVED_PREFIX), `must not start with "${RESERVED_PREFIX}" (in any case): that prefix is reserved for hookflow's operational events`)
  .refine((n) => n !== OPENAPI_DOCUMENT_NAME, `"${OPENAPI_DOCUMENT_NAME}" is reserved: GET /v1/event-types/${OPENAPI_DOCUMENT_NAME} is the published catalog`);

const description = storableText(z.string().max(2000)).describe(STORABLE_NOTE);
const schema = z
  .record(z.string(), z.unknown())
  .refine(isStorableJson, UNSTORABLE_MESSAGE)
  .refine((s) => JSON.stringify(s).length <= MAX_SCHEMA_BYTES, `must serialise to at most ${MAX_SCHEMA_BYTES} bytes`)
  .describe("A JSON Schema (draft 2020-12) for the event's `data`, with the standard formats (email, date-time, uri, uuid, …). Unknown keywords and $refs that resolve nowhere are refused.");
const examples = z
  .array(z.unknown().refine((v) => v !== undefined, 'is required'))
  .max(20)
  .refine(isStorableJson, UNSTORABLE_MESSAGE)
  .refine((s) => JSON.stringify(s).length <= MAX_SCHEMA_BYTES, `must serialise to at most ${MAX_SCHEMA_BYTES} bytes`)
  .describe(`Example \`data\` values; each must validate against the schema. ${STORABLE_NOTE}`);
const deprecated = z.boolean().describe('Deprecated types stay deliverable but leave the published document; with HOOKFLOW_EVENT_TYPES=strict new events of them are refused');

export const createEventTypeBody = z
  .object({
    name: eventTypeName,
    description: description.nullable().optional(),
    schema: schema.nullable().optional(),
    examples: examples.default([]),
    deprecated: deprecated.default(false),
  })
  .strict();

export const updateEventTypeBody = z
  .object({
    description: description.nullable().optional(),
    schema: schema.nullable().optional().describe('null removes the schema: any data is then accepted'),
    examples: examples.optional(),
    deprecated: deprecated.optional(),
  })
  .strict()
  .refine((b) => Object.values(b).some((v) => v !== undefined), 'send at least one field to change')
  .meta({ minProperties: 1 });

export const eventTypeParam = z.object({ name: z.string().max(200).regex(EVENT_TYPE_PATTERN, 'must be an event type such as "invoice.paid"') });

export const eventTypeResponse = z.object({
  name: z.string(),
  description: z.string().nullable(),
  schema: z.record(z.string(), z.unknown()).nullable(),
  examples: z.array(z.unknown()),
  deprecated: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const eventTypeDetail = eventTypeResponse.extend({
  fields: z
    .array(z.object({ path: z.string(), type: z.string(), required: z.boolean(), description: z.string().nullable() }))
    .describe('The schema as a table, one row per field (`customer.email`, `lines[].amount`): what the portal and `hookflow event-types show` print'),
});

export const listEventTypesQuery = paginationQuery.extend({
  includeDeprecated: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true')
    .describe('false leaves deprecated types out'),
});

/** The cursor of GET /v1/event-types: the last name of the previous page. */
export const eventTypeCursor = z.object({ name: z.string().regex(EVENT_TYPE_PATTERN) });

export const deletedEventTypeResponse = z.null().describe('Deleted');

export const catalogDocument = z
  .looseObject({ openapi: z.string(), info: z.record(z.string(), z.unknown()), webhooks: z.record(z.string(), z.unknown()) })
  .describe('An OpenAPI 3.1 document: one `webhooks` entry per non-deprecated event type, with its schema as the request body');
