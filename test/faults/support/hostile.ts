// Receivers that fight back: one never answers, one resets the connection, one streams an endless
// body. Each counts what it did so a test can tell how the sender behaved.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface Hostile {
  url: string;
  requests: number;
  close(): Promise<void>;
}

async function serve(handler: (req: http.IncomingMessage, res: http.ServerResponse, h: Hostile) => void, path: string): Promise<Hostile & { server: http.Server }> {
  const sockets = new Set<Socket>();
  const h = { url: '', requests: 0 } as Hostile & { server: http.Server };
  const server = http.createServer((req, res) => {
    h.requests += 1;
    // Read the body first, as a real endpoint would, then misbehave.
    req.resume();
    req.on('end', () => handler(req, res, h));
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  h.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;
  h.server = server;
  h.close = async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return h;
}

/** Accepts the request and never answers; the sender must give up on its own timeout. */
export function hangingReceiver(): Promise<Hostile> {
  return serve(() => undefined, '/hang');
}

/** Answers every request by resetting the TCP connection (RST, not a clean close). */
export function resettingReceiver(): Promise<Hostile> {
  return serve((req) => req.socket.resetAndDestroy(), '/reset');
}

export interface Firehose extends Hostile {
  /** Bytes the sender let us write, per response. */
  written: number[];
  /** Responses that ended because the sender closed the connection. */
  cutOff(): number;
}

const CHUNK = Buffer.alloc(64 * 1024, 'x');
// A bound on every loop: even a sender that reads forever stops us after this much.
const MAX_PER_RESPONSE = 4 * 1024 ** 3;

/** Answers `status(n)` with a chunked body that never ends: gigabytes, unless the sender hangs up. */
export async function firehoseReceiver(status: (n: number) => number): Promise<Firehose> {
  const written: number[] = [];
  let cutOff = 0;
  const h = await serve((_req, res) => {
    const index = written.push(0) - 1;
    res.writeHead(status(index), { 'content-type': 'application/octet-stream' });
    let stopped = false;
    res.once('close', () => {
      if (!stopped) cutOff += 1;
      stopped = true;
    });
    const pump = () => {
      while (!stopped && written[index]! < MAX_PER_RESPONSE) {
        written[index]! += CHUNK.length;
        if (!res.write(CHUNK)) {
          res.once('drain', pump);
          return;
        }
      }
      if (!stopped) {
        stopped = true;
        res.end();
      }
    };
    pump();
  }, '/firehose');
  return Object.assign(h, { written, cutOff: () => cutOff });
}
