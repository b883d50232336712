// `hookflow/client`: a typed client of the hookflow API. Paths, parameters, bodies and answers are
// typed from the OpenAPI document (schema.ts is generated from /docs/json); openapi-fetch does the
// requests. The `hookflow` CLI uses this same client.
import createClient, { type Client } from 'openapi-fetch';
import { HookflowApiError } from './errors';
import type { paths } from './schema';

export { HookflowApiError, type FieldError } from './errors';
export type { components, operations, paths } from './schema';

export type HookflowClient = Client<paths>;

export interface HookflowClientOptions {
  /** Where the API is, e.g. `http://localhost:3000` (no `/v1`). */
  baseUrl: string;
  /** An admin API key or a tenant token, sent as `Authorization: Bearer …`. */
  apiKey: string;
  /** Per request; default 30 s. A call that hangs would otherwise hang its caller with it. */
  timeoutMs?: number;
  fetch?: (request: Request) => Promise<Response>;
}

export function createHookflowClient(opts: HookflowClientOptions): HookflowClient {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const send = opts.fetch ?? ((request: Request) => globalThis.fetch(request));
  return createClient<paths>({
    baseUrl: opts.baseUrl.replace(/\/+$/, ''),
    headers: { authorization: `Bearer ${opts.apiKey}` },
    fetch: (request) => send(new Request(request, { signal: AbortSignal.any([request.signal, AbortSignal.timeout(timeoutMs)]) })),
  });
}

type CallResult = { data?: unknown; error?: unknown; response: Response };

/**
 * The answer's body, or a HookflowApiError for an error answer: openapi-fetch returns errors as
 * values, which is easy to forget to check.
 *
 *     const sub = await unwrap(client.POST('/v1/subscriptions', { body: { url } }));
 */
export async function unwrap<R extends CallResult>(call: Promise<R>): Promise<Exclude<R['data'], undefined>> {
  const { data, error, response } = await call;
  if (!response.ok) throw new HookflowApiError(response.status, error);
  return data as Exclude<R['data'], undefined>;
}
