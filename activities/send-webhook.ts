import { request, type Dispatcher } from 'undici';
import { responseExcerpt } from './response-excerpt';

export interface SendResult {
  statusCode: number;
  retryAfter?: string;
  /** At most the configured number of bytes, as storable text (activities/response-excerpt.ts). */
  bodyExcerpt: string;
  /** What had to be replaced to store the excerpt; null when it is the bytes as sent. */
  bodyNote: string | null;
}

// More than undici's coarse timers may fire early (up to half a second), so they never fire before the deadline.
const UNDICI_TIMER_SLACK_MS = 1_500;

/**
 * One signed POST. Redirects are not followed (undici's request does not follow them), the whole
 * exchange is bounded by one timeout, and at most `bodyLimit` bytes of the answer are read so a
 * receiver streaming gigabytes cannot exhaust the worker.
 */
export async function sendWebhook(opts: {
  url: string;
  headers: Record<string, string>;
  body: string;
  dispatcher: Dispatcher;
  timeoutMs: number;
  bodyLimit: number;
  /** Aborts the exchange early: the activity's cancellation (worker shutdown, the workflow's cancel). */
  cancel?: AbortSignal;
}): Promise<SendResult> {
  // The deadline: a native timer, exact to the millisecond, over the whole exchange (body included).
  const timeout = AbortSignal.timeout(opts.timeoutMs);
  const signal = opts.cancel ? AbortSignal.any([timeout, opts.cancel]) : timeout;
  const res = await request(opts.url, {
    method: 'POST',
    // The default first: a subscription's own User-Agent header replaces it.
    headers: { 'user-agent': 'hookflow/0.1', ...opts.headers },
    body: opts.body,
    dispatcher: opts.dispatcher,
    signal,
    // Only a backstop. undici runs these on coarse timers that tick every half second and may fire
    // up to that much early: set to the timeout itself, a 700 ms timeout cut a request at 545 ms.
    headersTimeout: opts.timeoutMs + UNDICI_TIMER_SLACK_MS,
    bodyTimeout: opts.timeoutMs + UNDICI_TIMER_SLACK_MS,
  });
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      if (size < opts.bodyLimit) chunks.push(chunk.subarray(0, opts.bodyLimit - size));
      size += chunk.length;
      if (size >= opts.bodyLimit) break;
    }
  } finally {
    // Breaking out early leaves the rest unread; destroying drops that connection instead of draining it.
    if (size >= opts.bodyLimit) res.body.destroy();
  }
  const retryAfter = res.headers['retry-after'];
  const excerpt = responseExcerpt(Buffer.concat(chunks), size >= opts.bodyLimit);
  return {
    statusCode: res.statusCode,
    retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter,
    bodyExcerpt: excerpt.text,
    bodyNote: excerpt.note,
  };
}
