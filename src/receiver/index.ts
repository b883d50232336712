export {
  verifyWebhook,
  MAX_SIGNATURES_CONSIDERED,
  WebhookVerificationError,
  type WebhookEvent,
  type WebhookHeaders,
  type WebhookVerificationErrorCode,
  type VerifyOptions,
} from './verify';
export { MemoryDedupStore, type DedupStore, type MemoryDedupStoreOptions } from './dedup-store';
export { hookflowReceiver, type HookflowReceiverOptions } from './fastify-plugin';
