// Receivers that keep a ledger: every request, when it arrived, how it was answered and whether the
// answer actually left. A webhook counts as delivered when a 2xx answer was written completely
// (`finish`), so a request cut off by a crash is not a delivery and its retry is not a duplicate.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface Hit {
  receiver: string;
  webhookId: string;
  arrivedAt: number;
  /** When the answer was fully written; undefined if the connection died first. */
  finishedAt?: number;
  /** When the exchange ended either way (answer written or connection gone). */
  closedAt?: number;
  status?: number;
  verified: boolean;
  /** The sender's TCP port: tells which process sent it, while that process's sockets are known. */
  remotePort?: number;
}

export interface Answer {
  status: number;
  delayMs?: number;
  body?: string;
}

/** nth: how many earlier requests this receiver saw for the same webhook-id. */
export type Behaviour = (webhookId: string, nth: number) => Answer;

export class Receiver {
  url = '';
  secret?: string;
  readonly hits: Hit[] = [];
  private open = 0;
  private readonly seen = new Map<string, number>();
  private server?: http.Server;

  constructor(
    readonly name: string,
    public behaviour: Behaviour = () => ({ status: 200 }),
  ) {}

  async listen(): Promise<this> {
    this.server = http.createServer((req, res) => this.handle(req, res));
    this.server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks/${this.name}`;
    return this;
  }

  /** Requests received whose answer has not been written yet. */
  inFlight(): number {
    return this.open;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    this.open += 1;
    let closed = false;
    let hit: Hit | undefined;
    const settle = () => {
      if (closed) return;
      closed = true;
      this.open -= 1;
      if (hit) hit.closedAt = Date.now();
    };
    res.once('close', settle);
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const webhookId = String(req.headers['webhook-id'] ?? '');
      let verified = false;
      try {
        if (this.secret) new Webhook(this.secret).verify(body, req.headers as Record<string, string>);
        verified = this.secret !== undefined;
      } catch {
        verified = false;
      }
      const nth = this.seen.get(webhookId) ?? 0;
      this.seen.set(webhookId, nth + 1);
      const entry: Hit = { receiver: this.name, webhookId, arrivedAt: Date.now(), verified, remotePort: req.socket.remotePort };
      hit = entry;
      this.hits.push(entry);
      // A forged or mangled request is refused, so it can never count as delivered.
      const answer = verified ? this.behaviour(webhookId, nth) : { status: 401, body: 'bad signature' };
      const send = () => {
        if (res.destroyed || closed) return;
        res.once('finish', () => {
          entry.finishedAt = Date.now();
          entry.status = answer.status;
        });
        res.writeHead(answer.status, { 'content-type': 'text/plain' });
        res.end(answer.body ?? 'ok');
      };
      if (answer.delayMs) setTimeout(send, answer.delayMs);
      else send();
    });
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

export const pairKey = (receiver: string, webhookId: string) => `${receiver}|${webhookId}`;

export interface Ledger {
  expected: number;
  delivered: number;
  lost: number;
  duplicated: number;
  lostKeys: string[];
  duplicatedKeys: string[];
  /** Requests refused for a bad signature: must stay 0. */
  unverified: number;
  requests: number;
}

/** Compares what was accepted (receiver|webhook-id pairs) with what the receivers acknowledged. */
export function ledger(expected: Iterable<string>, receivers: Receiver[]): Ledger {
  const acked = new Map<string, number>();
  let unverified = 0;
  let requests = 0;
  for (const r of receivers) {
    for (const h of r.hits) {
      requests += 1;
      if (!h.verified) unverified += 1;
      if (h.finishedAt !== undefined && h.status !== undefined && h.status >= 200 && h.status < 300) {
        const k = pairKey(h.receiver, h.webhookId);
        acked.set(k, (acked.get(k) ?? 0) + 1);
      }
    }
  }
  const want = new Set(expected);
  const lostKeys = [...want].filter((k) => !acked.has(k));
  const duplicatedKeys = [...acked].filter(([, n]) => n > 1).map(([k]) => k);
  const duplicated = [...acked.values()].reduce((s, n) => s + Math.max(0, n - 1), 0);
  const unexpected = [...acked.keys()].filter((k) => !want.has(k));
  if (unexpected.length > 0) throw new Error(`receivers acknowledged webhooks nobody sent: ${unexpected.slice(0, 5).join(', ')}`);
  return { expected: want.size, delivered: want.size - lostKeys.length, lost: lostKeys.length, duplicated, lostKeys, duplicatedKeys, unverified, requests };
}

/**
 * A kill: `at` is taken just before the signal, `until` when the next process was started. A request
 * that arrives in between was sent by the process being killed (none other was running), in the
 * instant between `at` and its death: it too was in flight at the kill.
 */
export interface KillWindow {
  at: number;
  until: number;
}

const sentByTheKilled = (h: Hit, k: KillWindow) => h.arrivedAt > k.at && h.arrivedAt < k.until;

/**
 * A duplicate is acceptable only when its first acknowledgement happened in the window where a
 * crash could swallow the result: the answer was still being written at the kill, or had been
 * written at most `windowMs` before it (the worker had not yet reported the completion), or the
 * request reached the receiver after the signal but before any new process started.
 * Returns the duplicated pairs that no kill explains.
 */
export function unexplainedDuplicates(receivers: Receiver[], kills: KillWindow[], windowMs: number): string[] {
  const firstAck = new Map<string, Hit>();
  const acks = new Map<string, number>();
  for (const r of receivers) {
    for (const h of r.hits) {
      if (h.finishedAt === undefined || h.status === undefined || h.status < 200 || h.status >= 300) continue;
      const k = pairKey(h.receiver, h.webhookId);
      acks.set(k, (acks.get(k) ?? 0) + 1);
      const prev = firstAck.get(k);
      if (!prev || h.finishedAt < prev.finishedAt!) firstAck.set(k, h);
    }
  }
  return [...acks]
    .filter(([, n]) => n > 1)
    .map(([k]) => k)
    .filter((k) => {
      const h = firstAck.get(k)!;
      return !kills.some((k) => (h.arrivedAt <= k.at && h.finishedAt! >= k.at - windowMs) || sentByTheKilled(h, k));
    });
}

/**
 * Requests at risk at a kill at time `t`: open at `t` (arrived, exchange not over), plus 2xx answers
 * written in the `windowMs` before it, whose completion the worker may not have reported yet, plus
 * requests the dying process sent in its last instant (arriving before the next process started).
 */
export function atRiskAt(receivers: Receiver[], kill: KillWindow, windowMs: number): number {
  const t = kill.at;
  let n = 0;
  for (const r of receivers) {
    for (const h of r.hits) {
      if (sentByTheKilled(h, kill)) {
        n += 1;
        continue;
      }
      if (h.arrivedAt > t) continue;
      const open = h.closedAt === undefined || h.closedAt >= t;
      const justAcked = h.finishedAt !== undefined && h.finishedAt >= t - windowMs && h.status! >= 200 && h.status! < 300;
      if (open || justAcked) n += 1;
    }
  }
  return n;
}

export async function startReceivers(specs: Record<string, Behaviour>): Promise<Record<string, Receiver>> {
  const entries = await Promise.all(Object.entries(specs).map(async ([name, b]) => [name, await new Receiver(name, b).listen()] as const));
  return Object.fromEntries(entries);
}
