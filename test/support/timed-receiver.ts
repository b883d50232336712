// A receiver that times arrivals and counts the requests open at once, for the flow-control tests.
import http from 'node:http';
import { listenOnLoopback } from './loopback-server';

export interface TimedReceiver {
  url: string;
  /** Arrival times (ms) of every request, in order. */
  arrivals: number[];
  /** Paths of every request, in order. */
  paths: string[];
  /** The webhook-id header of every request, in order. */
  webhookIds: string[];
  open: number;
  maxOpen: number;
  close(): Promise<void>;
}

/**
 * `delayMs` holds each answer back (Infinity: never answers, the connection stays open until the
 * client gives up). Arrival is when the request's headers came in: that is when the endpoint is hit.
 */
export async function startTimedReceiver(opts: { delayMs?: number; status?: number } = {}): Promise<TimedReceiver> {
  const r: TimedReceiver = { url: '', arrivals: [], paths: [], webhookIds: [], open: 0, maxOpen: 0, close: async () => undefined };
  const server = http.createServer((req, res) => {
    r.arrivals.push(Date.now());
    r.paths.push(req.url ?? '');
    r.webhookIds.push(String(req.headers['webhook-id'] ?? ''));
    r.open += 1;
    r.maxOpen = Math.max(r.maxOpen, r.open);
    let closed = false;
    const done = () => {
      if (closed) return;
      closed = true;
      r.open -= 1;
    };
    res.on('close', done);
    req.resume();
    const answer = () => {
      if (res.destroyed) return;
      res.writeHead(opts.status ?? 200, { 'content-type': 'text/plain' });
      res.end('ok');
    };
    const delay = opts.delayMs ?? 0;
    if (delay === Infinity) return;
    if (delay > 0) setTimeout(answer, delay);
    else answer();
  });
  // Many never-answering endpoints share this server: no timeout of its own may close them early.
  server.requestTimeout = 0;
  server.headersTimeout = 0;
  const listening = await listenOnLoopback(server);
  r.url = listening.url;
  r.close = listening.close;
  return r;
}

/** The most arrivals in any window of `windowMs` (a sliding window starting at each arrival). */
export function busiestWindow(arrivals: number[], windowMs = 1_000): number {
  const sorted = [...arrivals].sort((a, b) => a - b);
  let best = 0;
  let j = 0;
  for (let i = 0; i < sorted.length; i++) {
    while (j < sorted.length && sorted[j]! < sorted[i]! + windowMs) j++;
    best = Math.max(best, j - i);
  }
  return best;
}
