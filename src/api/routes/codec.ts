// The Temporal codec-server protocol (POST {payloads: [...]} to …/encode and …/decode), so the
// Temporal Web UI and `temporal` CLI can show an authorised operator the plaintext of encrypted
// history. The UI calls it from the browser, from its own origin: hence the CORS handling here.
import type { Payload } from '@temporalio/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod, ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { createPayloadCodec } from '../../temporal/payload-codec';
import { adminOnly, installAccessControl } from '../../auth/access-control';
import { principalResolver } from '../../auth/principal';
import type { ApiDeps } from '../deps';
import { Problem, type FieldError } from '../../errors/problem';
import { problemResponses, problemSchema } from '../schemas/common';

const base64 = z.string().regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'must be base64');
// Proto3 JSON of temporal.api.common.v1.Payloads: bytes fields are base64 strings.
const jsonPayload = z.object({
  metadata: z.record(z.string(), base64).nullish(),
  data: base64.nullish(),
});
const payloadsBody = z.object({ payloads: z.array(jsonPayload).max(1_000) });
type JsonPayload = z.infer<typeof jsonPayload>;

const fromJson = (p: JsonPayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data ?? '', 'base64'),
});
const toJson = (p: Payload) => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? []).toString('base64')])),
  data: Buffer.from(p.data ?? []).toString('base64'),
});

const ALLOW_HEADERS = 'authorization, content-type, x-namespace';
// One maximal (2 MiB) Temporal payload, base64-encoded, with room to spare.
const BODY_LIMIT = 4 * 1024 * 1024;

export const codecRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  const codec = createPayloadCodec(deps.config);
  const origins = new Set(deps.config.codecCorsOrigins);
  const allowed = (origin: string | undefined): origin is string => !!origin && (origins.has('*') || origins.has(origin));

  // Runs before authentication, so a 401 is readable by the UI too (it can tell the operator why).
  const cors = async (req: FastifyRequest, reply: FastifyReply) => {
    void reply.header('vary', 'origin');
    if (!allowed(req.headers.origin)) return;
    // Credentials are allowed, so the origin is echoed: a literal `*` would be refused by browsers.
    void reply.header('access-control-allow-origin', req.headers.origin);
    void reply.header('access-control-allow-credentials', 'true');
  };
  app.addHook('onRequest', cors);

  // The preflight carries no credentials by definition, so it sits outside the API-key scope.
  for (const op of ['encode', 'decode']) {
    app.options(`/codec/${op}`, { schema: { hide: true } }, async (req, reply) => {
      if (allowed(req.headers.origin)) {
        void reply.headers({
          'access-control-allow-methods': 'POST, OPTIONS',
          'access-control-allow-headers': ALLOW_HEADERS,
          'access-control-max-age': '600',
        });
        // Chrome's Private Network Access: a UI on a public origin calling an API on localhost.
        if (req.headers['access-control-request-private-network'] === 'true') {
          void reply.header('access-control-allow-private-network', 'true');
        }
      }
      return reply.code(204).send();
    });
  }

  await app.register(async (scope) => {
    // Decrypts any tenant's history: the `admin` scope only.
    installAccessControl(scope, { db: deps.db, resolve: principalResolver(deps.db, deps.config.apiKeys) });
    const secured = scope.withTypeProvider<ZodTypeProvider>();

    const enabled = () => {
      if (!codec) throw new Problem(404, 'Not Found', 'Temporal payload encryption is not enabled on this server (HOOKFLOW_PAYLOAD_KEY is not set)');
      return codec;
    };
    const schema = (summary: string) => ({
      tags: ['codec'],
      summary,
      body: payloadsBody,
      response: { 200: payloadsBody, ...problemResponses, 422: problemSchema },
    });

    secured.post('/codec/encode', { config: adminOnly, bodyLimit: BODY_LIMIT, schema: schema('Encrypt payloads (Temporal codec server protocol)') }, async (req) => {
      const encoded = await enabled().encode(req.body.payloads.map(fromJson));
      return { payloads: encoded.map(toJson) };
    });

    secured.post('/codec/decode', { config: adminOnly, bodyLimit: BODY_LIMIT, schema: schema('Decrypt payloads (Temporal codec server protocol)') }, async (req) => {
      const c = enabled();
      const errors: FieldError[] = [];
      // One at a time, so an undecodable payload is named by its index rather than failing the lot blindly.
      const decoded = await Promise.all(
        req.body.payloads.map(async (p, i) => {
          try {
            const [out] = await c.decode([fromJson(p)]);
            return toJson(out!);
          } catch (err) {
            errors.push({ path: `body.payloads.${i}`, message: (err as Error).message });
            return undefined;
          }
        }),
      );
      if (errors.length > 0) {
        throw new Problem(422, 'Undecodable Payload', errors.map((e) => `${e.path}: ${e.message}`).join('; '), errors);
      }
      return { payloads: decoded.filter((p) => p !== undefined) };
    });
  });
};
