// Drop-in Fastify receiver. Deliberately not wrapped with fastify-plugin: encapsulation keeps the
// raw-body content-type parser from leaking into the host application.
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { MemoryDedupStore, type DedupStore } from './dedup-store';
import { verifyWebhook, WebhookVerificationError, type WebhookEvent } from './verify';

export interface HookflowReceiverOptions {
  path?: string;
  /** A function is called per request, so rotated secrets take effect without a restart. */
  secrets: string | string[] | (() => string[] | Promise<string[]>);
  toleranceSeconds?: number;
  store?: DedupStore;
  dedupTtlSeconds?: number;
  handler: (event: WebhookEvent, request: FastifyRequest) => Promise<void> | void;
}

export const hookflowReceiver: FastifyPluginAsync<HookflowReceiverOptions> = async (app, opts) => {
  const store = opts.store ?? new MemoryDedupStore();
  const ttl = opts.dedupTtlSeconds ?? 86_400;
  const { secrets, handler } = opts;

  // Signatures cover the exact bytes, so every content type must reach us unparsed.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.post(opts.path ?? '/webhooks', async (request, reply) => {
    let event: WebhookEvent;
    try {
      const keys = typeof secrets === 'function' ? await secrets() : secrets;
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      event = verifyWebhook(body, request.headers, keys, { toleranceSeconds: opts.toleranceSeconds });
    } catch (err) {
      // A bad secret is our misconfiguration, not the sender's fault: 5xx keeps the sender retrying.
      if (err instanceof WebhookVerificationError && err.code !== 'invalid_secret') {
        request.log.warn({ code: err.code }, 'webhook rejected');
        return reply.code(401).send({ error: err.code });
      }
      request.log.error({ err }, 'webhook receiver misconfigured');
      return reply.code(500).send({ error: 'receiver_error' });
    }

    // Claim only after verification, so forged requests cannot burn legitimate ids.
    if (!(await store.claim(event.id, ttl))) return reply.code(200).send({ duplicate: true });
    try {
      await handler(event, request);
    } catch (err) {
      request.log.error({ err, webhookId: event.id }, 'webhook handler failed');
      await store.release(event.id).catch((releaseErr: unknown) => {
        request.log.error({ err: releaseErr, webhookId: event.id }, 'dedup release failed; retries will be seen as duplicates');
      });
      return reply.code(500).send({ error: 'handler_error' });
    }
    return reply.code(204).send();
  });
};
