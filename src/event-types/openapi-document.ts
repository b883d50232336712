// The catalog as customers read it: an OpenAPI 3.1 document whose `webhooks` section describes the
// requests a subscriber receives, one per non-deprecated type, so receiver types can be generated
// from it. Each type's `data` schema is a component, its envelope and Standard Webhooks headers inline.
import type { EventTypeRow } from '../db/repos/event-types';

const DIALECT = 'https://json-schema.org/draft/2020-12/schema';

const HEADERS = {
  'webhook-id': {
    name: 'webhook-id',
    in: 'header',
    required: true,
    description: "The event's ID: the same on every retry of it, so receivers can drop duplicates.",
    schema: { type: 'string' },
  },
  'webhook-timestamp': {
    name: 'webhook-timestamp',
    in: 'header',
    required: true,
    description: 'When this attempt was sent, in Unix seconds. Refuse requests too far from your clock (replay protection).',
    schema: { type: 'string', pattern: '^[0-9]+$' },
  },
  'webhook-signature': {
    name: 'webhook-signature',
    in: 'header',
    required: true,
    description:
      'Standard Webhooks signatures of "{webhook-id}.{webhook-timestamp}.{body}", space-separated: `v1,<base64 HMAC-SHA256>` with the subscription\'s whsec_ secret, or `v1a,<base64 Ed25519>` with its whpk_ public key. Several appear while a secret is rotated; any valid one suffices.',
    schema: { type: 'string' },
  },
} as const;

/**
 * A schema that refers into itself (`#/$defs/...`) would resolve against the document once embedded;
 * pointing those refs at its component keeps them right. A schema with its own `$id` is a resource of
 * its own and resolves them itself.
 */
export function rebaseRefs(schema: unknown, base: string): unknown {
  if (Array.isArray(schema)) return schema.map((s) => rebaseRefs(s, base));
  if (!schema || typeof schema !== 'object') return schema;
  const obj = schema as Record<string, unknown>;
  if (typeof obj.$id === 'string') return obj;
  return Object.fromEntries(
    Object.entries(obj).map(([k, v]) => [k, k === '$ref' && typeof v === 'string' && v.startsWith('#') ? `${base}${v.slice(1)}` : rebaseRefs(v, base)]),
  );
}

export type CatalogDocument = {
  openapi: '3.1.0';
  jsonSchemaDialect: string;
  info: { title: string; version: string; description: string };
  webhooks: Record<string, unknown>;
  components: { schemas: Record<string, unknown>; parameters: typeof HEADERS };
};

export function catalogOpenApi(types: EventTypeRow[], opts: { title?: string } = {}): CatalogDocument {
  const live = types.filter((t) => !t.deprecated);
  const schemas: Record<string, unknown> = {};
  const webhooks: Record<string, unknown> = {};
  for (const t of live) {
    const ref = `#/components/schemas/${t.name}`;
    schemas[t.name] = t.schema ? rebaseRefs(t.schema, ref) : { description: 'Any JSON value: this type has no schema' };
    const envelope = {
      type: 'object',
      required: ['type', 'timestamp', 'data'],
      properties: {
        type: { const: t.name },
        timestamp: { type: 'string', format: 'date-time', description: 'When the event was accepted' },
        data: { $ref: ref },
      },
    };
    const examples = Object.fromEntries(
      t.examples.map((data, i) => [`example${i + 1}`, { value: { type: t.name, timestamp: '2026-01-01T00:00:00.000Z', data } }]),
    );
    webhooks[t.name] = {
      post: {
        operationId: `receive_${t.name.replace(/\./g, '_')}`,
        summary: t.name,
        ...(t.description ? { description: t.description } : {}),
        parameters: Object.keys(HEADERS).map((h) => ({ $ref: `#/components/parameters/${h}` })),
        requestBody: {
          required: true,
          content: { 'application/json': { schema: envelope, ...(t.examples.length ? { examples } : {}) } },
        },
        responses: {
          '2XX': { description: 'Received. Any other answer is retried (410 Gone disables the subscription).' },
        },
      },
    };
  }
  const newest = live.reduce<Date | undefined>((m, t) => (!m || t.updated_at > m ? t.updated_at : m), undefined);
  return {
    openapi: '3.1.0',
    jsonSchemaDialect: DIALECT,
    info: {
      title: opts.title ?? 'Webhooks',
      // Changes whenever a published type does, so a client can tell its copy is stale.
      version: newest ? newest.toISOString() : '0',
      description: 'The webhooks this service sends: signed with Standard Webhooks, retried until answered 2xx.',
    },
    webhooks,
    components: { schemas, parameters: HEADERS },
  };
}
