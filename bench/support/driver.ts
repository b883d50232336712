// The bench's second process: the webhook receiver and the load generator. Keeping them out of the
// process that hosts the API and the worker means that process's CPU figure is hookflow's alone.
// Talks to bench/run.ts over IPC: { id, cmd, args } in, { id, result | error } out.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhook } from '../../src/receiver';
import { receiverState, startLoad } from './driver-load';
import { serveIpc } from './ipc-child';
import { nowMs } from './stats';

async function startReceiver(secret: string): Promise<{ url: string }> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = nowMs();
      try {
        const event = verifyWebhook(Buffer.concat(chunks), req.headers, secret);
        const key = `${event.id}|${req.url ?? ''}`;
        if (receiverState.arrivals.has(key)) receiverState.duplicates += 1;
        else receiverState.arrivals.set(key, at);
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      } catch (err) {
        receiverState.rejected += 1;
        receiverState.lastRejection = (err as Error).message;
        res.writeHead(400, { 'content-type': 'text/plain' }).end('bad signature');
      }
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const load = startLoad();
const commands: Record<string, (args: any) => unknown> = {
  startReceiver: (a: { secret: string }) => startReceiver(a.secret),
  ...load,
  receiverStats: () => ({ received: receiverState.arrivals.size, duplicates: receiverState.duplicates, rejected: receiverState.rejected, lastRejection: receiverState.lastRejection }),
  exit: () => setTimeout(() => process.exit(0), 10),
};

serveIpc(commands);
