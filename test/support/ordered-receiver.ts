// A receiver for the FIFO tests: it records every attempt of every event (numbered by the event's
// `data.n`) with its arrival and, for a 2xx, when it was answered, so a test can check that no
// attempt of event n+1 came before event n was answered 2xx.
import http from 'node:http';
import { listenOnLoopback } from './loopback-server';

export interface Attempt {
  n: number;
  arrivedAt: number;
  status: number;
  /** When the answer was written (every status). */
  answeredAt: number;
}

export interface OrderedReceiver {
  url: string;
  attempts: Attempt[];
  /** Events (n) answered 2xx at least once. */
  delivered: Set<number>;
  /** Status to answer for this event's attempt (1-based); 200 unless it says otherwise. */
  answer: (n: number, attempt: number) => number;
  close(): Promise<void>;
}

/** Answers 500 to the first attempt of every seventh event (n = 6, 13, 20, ...), 200 otherwise. */
export const failFirstOfEverySeventh = (n: number, attempt: number): number => (n % 7 === 6 && attempt === 1 ? 500 : 200);

export async function startOrderedReceiver(answer: OrderedReceiver['answer'] = failFirstOfEverySeventh): Promise<OrderedReceiver> {
  const r: OrderedReceiver = { url: '', attempts: [], delivered: new Set(), answer, close: async () => undefined };
  const tries = new Map<number, number>();
  const server = http.createServer((req, res) => {
    const arrivedAt = Date.now();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const n = Number((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { data: { n: number } }).data.n);
      const attempt = (tries.get(n) ?? 0) + 1;
      tries.set(n, attempt);
      const status = r.answer(n, attempt);
      const answeredAt = Date.now();
      r.attempts.push({ n, arrivedAt, status, answeredAt });
      if (status >= 200 && status < 300) r.delivered.add(n);
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'no');
    });
  });
  const listening = await listenOnLoopback(server);
  r.url = listening.url;
  r.close = listening.close;
  return r;
}

/**
 * Every place where the order broke: an attempt of event n+1 that arrived before event n was first
 * answered 2xx (or while n had no 2xx at all), or an attempt of event n (a repeat: delivery is at
 * least once) that arrived after event n+1 had started arriving. Events below `from` are not checked.
 */
export function orderViolations(attempts: Attempt[], count: number, from = 0): string[] {
  const firstOk = new Map<number, number>();
  const firstArrival = new Map<number, number>();
  for (const a of attempts) {
    if (a.status < 300 && !firstOk.has(a.n)) firstOk.set(a.n, a.answeredAt);
    if (!firstArrival.has(a.n)) firstArrival.set(a.n, a.arrivedAt);
  }
  const problems: string[] = [];
  for (const a of attempts) {
    if (a.n < from || a.n >= count) continue;
    const before = firstOk.get(a.n - 1);
    if (a.n > from && (before === undefined || a.arrivedAt < before)) {
      problems.push(`event ${a.n} arrived at ${a.arrivedAt}, ${before === undefined ? `event ${a.n - 1} never answered 2xx` : `${before - a.arrivedAt} ms before event ${a.n - 1} was answered 2xx`}`);
    }
    const next = firstArrival.get(a.n + 1);
    if (a.n + 1 < count && next !== undefined && a.arrivedAt > next) problems.push(`event ${a.n} arrived again at ${a.arrivedAt}, after event ${a.n + 1} (${next})`);
  }
  return problems;
}

/** Attempts of events already answered 2xx: repeats (delivery is at least once), each listed by event. */
export function repeatsAfter2xx(attempts: Attempt[]): number[] {
  const ok = new Set<number>();
  const repeats: number[] = [];
  for (const a of attempts) {
    if (ok.has(a.n)) repeats.push(a.n);
    if (a.status < 300) ok.add(a.n);
  }
  return repeats;
}

/** Sends events n = first .. first+count-1 of `type` in batches of 100, in order; returns the delivery IDs by n. */
export async function sendNumbered(
  call: (method: string, path: string, body?: unknown) => Promise<{ status: number; body: any }>,
  type: string,
  count: number,
  first = 0,
): Promise<string[]> {
  const ids: string[] = [];
  for (let sent = 0; sent < count; sent += 100) {
    const events = Array.from({ length: Math.min(100, count - sent) }, (_, i) => ({ type, data: { n: first + sent + i } }));
    const res = await call('POST', '/v1/events/batch', { events });
    if (res.status !== 202) throw new Error(`batch refused: ${res.status} ${JSON.stringify(res.body)}`);
    for (const e of res.body.data) ids.push(e.deliveries[0].id);
  }
  return ids;
}
