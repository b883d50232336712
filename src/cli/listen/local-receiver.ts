// The local endpoint of `hookflow listen`: verifies each webhook with the receiver library, prints
// it, and answers itself (204) or with what the forward target answered.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { verifyWebhook, WebhookVerificationError, type WebhookEvent } from '../../receiver';
import { out, style, when } from '../output';

export interface Received {
  receivedAt: string;
  id: string | null;
  type: string | null;
  /** How many times this webhook-id reached this listener: hookflow keeps the ID across retries. */
  attempt: number;
  signatureValid: boolean;
  signatureError?: string;
  data: unknown;
  answered: number;
  forward?: { url: string; status?: number; error?: string; durationMs: number };
}

export interface LocalReceiverOptions {
  host: string;
  port: number;
  secret: () => string | undefined;
  forwardTo?: string;
  json: boolean;
}

// Well above hookflow's payload cap; the listener must not buffer without bound.
const MAX_BODY_BYTES = 5 * 1024 * 1024;
const FORWARD_TIMEOUT_MS = 30_000;
const REMEMBERED_IDS = 10_000;
const FORWARDED_HEADERS = ['content-type', 'webhook-id', 'webhook-timestamp', 'webhook-signature', 'user-agent'];

export async function startLocalReceiver(opts: LocalReceiverOptions): Promise<{ url: string; close(): Promise<void> }> {
  const seen = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) req.destroy();
      else chunks.push(c);
    });
    req.on('end', () => {
      void handle(Buffer.concat(chunks), req.headers).then(({ status, body, contentType }) => {
        res.writeHead(status, { 'content-type': contentType ?? 'text/plain' });
        res.end(body);
      });
    });
  });

  async function handle(body: Buffer, headers: http.IncomingHttpHeaders): Promise<{ status: number; body: string | Buffer; contentType?: string }> {
    const id = typeof headers['webhook-id'] === 'string' ? headers['webhook-id'] : null;
    const attempt = id ? (seen.get(id) ?? 0) + 1 : 1;
    if (id) remember(seen, id, attempt);
    const r: Received = { receivedAt: new Date().toISOString(), id, type: null, attempt, signatureValid: false, data: undefined, answered: 0 };
    let event: WebhookEvent | undefined;
    try {
      event = verifyWebhook(body, headers, opts.secret() ?? '');
      r.signatureValid = true;
      r.type = event.type;
      r.data = event.data;
    } catch (err) {
      r.signatureError = err instanceof WebhookVerificationError ? err.code : String(err);
      Object.assign(r, bestEffortPayload(body));
    }
    let answer: { status: number; body: string | Buffer; contentType?: string } = { status: 204, body: '' };
    if (!r.signatureValid) answer = { status: 401, body: r.signatureError ?? 'invalid' };
    else if (opts.forwardTo) answer = await forward(opts.forwardTo, body, headers, r);
    r.answered = answer.status;
    print(r, opts.json);
    return answer;
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${opts.host}:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function forward(url: string, body: Buffer, headers: http.IncomingHttpHeaders, r: Received) {
  const started = Date.now();
  const pass = Object.fromEntries(FORWARDED_HEADERS.flatMap((h) => (typeof headers[h] === 'string' ? [[h, headers[h]]] : [])));
  try {
    const res = await request(url, { method: 'POST', headers: pass, body, headersTimeout: FORWARD_TIMEOUT_MS, bodyTimeout: FORWARD_TIMEOUT_MS });
    const answer = Buffer.from(await res.body.arrayBuffer());
    r.forward = { url, status: res.statusCode, durationMs: Date.now() - started };
    const contentType = res.headers['content-type'];
    return { status: res.statusCode, body: answer, contentType: typeof contentType === 'string' ? contentType : undefined };
  } catch (err) {
    const e = err as { code?: string; message?: string };
    r.forward = { url, error: e.code ?? e.message ?? String(err), durationMs: Date.now() - started };
    // hookflow retries a 502, so nothing is lost while the forward target is down.
    return { status: 502, body: `could not forward to ${url}: ${r.forward.error}` };
  }
}

/** What an unverifiable request claims to be, to show it; never trusted further. */
function bestEffortPayload(body: Buffer): Pick<Received, 'type' | 'data'> {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { type?: unknown; data?: unknown };
    return { type: typeof parsed.type === 'string' ? parsed.type : null, data: parsed.data };
  } catch {
    return { type: null, data: body.toString('utf8').slice(0, 2000) };
  }
}

function remember(seen: Map<string, number>, id: string, attempt: number): void {
  seen.delete(id);
  seen.set(id, attempt);
  if (seen.size > REMEMBERED_IDS) seen.delete(seen.keys().next().value!);
}

function print(r: Received, json: boolean): void {
  if (json) return out(JSON.stringify(r));
  const signature = r.signatureValid ? style('green', 'signature valid') : style('red', `signature INVALID (${r.signatureError})`);
  out(`${when(r.receivedAt)}  ${style('bold', r.type ?? '?')}  ${r.id ?? '(no webhook-id)'}  attempt ${r.attempt}  ${signature}`);
  const body = JSON.stringify(r.data, null, 2) ?? 'undefined';
  out(body.replace(/^/gm, '  '));
  const via = r.forward
    ? ` ← ${r.forward.url} ${r.forward.status ?? `failed: ${r.forward.error}`} in ${r.forward.durationMs} ms`
    : '';
  out(`  → answered ${r.answered}${via}`);
}
