// The operational events in the OpenAPI document: one component schema per payload, and the
// webhooks themselves under `x-webhooks` (OpenAPI 3.1's `webhooks`, for a 3.0 document).
import type { OpenAPIV3 } from 'openapi-types';
import { z } from 'zod';
import { OpsEventType, opsPayloadSchemas } from './types';

const DESCRIPTIONS: Record<OpsEventType, string> = {
  'hookflow.subscription.disabled': 'hookflow disabled a subscription: its endpoint answered 410 Gone, or it reached HOOKFLOW_AUTO_DISABLE_AFTER dead letters in a row.',
  'hookflow.delivery.dead_lettered': "A delivery's last attempt failed (or the endpoint refused it): it waits for redeliver or discard.",
  'hookflow.delivery.failing': 'A delivery has failed HOOKFLOW_FAILING_AFTER attempts in a row in one round and will be retried.',
  'hookflow.delivery.recovered': 'A delivery succeeded after a hookflow.delivery.failing notice.',
  'hookflow.ping': 'A test ping, sent by POST /v1/subscriptions/:id/test (or `"ping": true` at creation) to that one subscription, whatever its event types.',
};
const WHERE = 'Emitted in the `default` tenant; subscribe to `hookflow.*` (or this type) to receive it, signed like every webhook.';
const PING_WHERE = "An event of the subscription's own tenant, signed like every webhook.";

const componentName = (type: string) => `OperationalEvent_${type.replace(/\./g, '_')}`;

export function operationalEventsOpenApi() {
  const schemas: Record<string, OpenAPIV3.SchemaObject> = {};
  const webhooks: Record<string, unknown> = {};
  for (const [type, payload] of Object.entries(opsPayloadSchemas) as [OpsEventType, z.ZodType][]) {
    const name = componentName(type);
    schemas[name] = {
      type: 'object',
      required: ['type', 'timestamp', 'data'],
      properties: { type: { type: 'string', enum: [type] }, timestamp: { type: 'string', format: 'date-time' }, data: z.toJSONSchema(payload, { target: 'openapi-3.0' }) as OpenAPIV3.SchemaObject },
    };
    webhooks[type] = {
      post: {
        tags: ['operational events'],
        summary: type,
        description: `${DESCRIPTIONS[type]} ${type === OpsEventType.ping ? PING_WHERE : WHERE}`,
        requestBody: { required: true, content: { 'application/json': { schema: { $ref: `#/components/schemas/${name}` } } } },
        responses: { '2xx': { description: 'received' } },
      },
    };
  }
  return {
    schemas,
    webhooks,
    tag: {
      name: 'operational events',
      description:
        'Webhooks hookflow sends about its own deliveries, through its own pipeline (signed, retried, dead-lettered, redeliverable). The `hookflow.` prefix is reserved: POST /v1/events refuses it. A failing operational delivery never emits another operational event.',
    },
  };
}
