// A real HTTP receiver on 127.0.0.1 that verifies every request with the official
// `standardwebhooks` package (v1, whsec_ secrets) or with tweetnacl (v1a, whpk_ public keys),
// proving interoperability on every delivery the tests make.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { naclVerifies } from './ed25519';

export interface ReceivedRequest {
  at: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** null when no secret was given to verify with. */
  verified: boolean | null;
  verifyError?: string;
  payload?: { type: string; timestamp: string; data: unknown };
}

export type Responder = (req: ReceivedRequest, index: number) => { status: number; headers?: Record<string, string>; body?: string | Uint8Array; delayMs?: number };

export interface Receiver {
  url: string;
  received: ReceivedRequest[];
  /** The secret(s) or whpk_ public key(s) every request must verify against (any of them). */
  secrets: string[];
  respond: Responder;
  close(): Promise<void>;
}

export async function startReceiver(respond: Responder = () => ({ status: 200 })): Promise<Receiver> {
  const receiver: Receiver = { url: '', received: [], secrets: [], respond, close: async () => undefined };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const entry: ReceivedRequest = { at: Date.now(), headers: req.headers, body, verified: null };
      if (receiver.secrets.length > 0) {
        entry.verified = false;
        for (const secret of receiver.secrets) {
          if (secret.startsWith('whpk_')) {
            if (naclVerifies(secret, req.headers, body)) {
              entry.payload = JSON.parse(body) as ReceivedRequest['payload'];
              entry.verified = true;
              break;
            }
            entry.verifyError = 'no v1a signature verifies with the public key';
            continue;
          }
          try {
            entry.payload = new Webhook(secret).verify(body, req.headers as Record<string, string>) as ReceivedRequest['payload'];
            entry.verified = true;
            break;
          } catch (err) {
            entry.verifyError = (err as Error).message;
          }
        }
      }
      const index = receiver.received.push(entry) - 1;
      const answer = receiver.respond(entry, index);
      const send = () => {
        if (res.destroyed) return;
        res.writeHead(answer.status, { 'content-type': 'text/plain', ...answer.headers });
        res.end(answer.body ?? 'ok');
      };
      if (answer.delayMs) setTimeout(send, answer.delayMs);
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  receiver.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return receiver;
}

/** Receivers started during a test file, closed together in its `after` hook. */
export function receiverPool(): { start: typeof startReceiver; closeAll(): Promise<void> } {
  const started: Receiver[] = [];
  return {
    async start(respond) {
      const r = await startReceiver(respond);
      started.push(r);
      return r;
    },
    async closeAll() {
      await Promise.all(started.splice(0).map((r) => r.close()));
    },
  };
}
