import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Metrics } from './registry';

export interface MetricsListener {
  url: string;
  close(): Promise<void>;
}

const listeners = new WeakMap<Metrics, { listening: Promise<MetricsListener>; users: number }>();

/**
 * A small HTTP listener that serves GET /metrics and nothing else, without a key: it binds where the
 * operator configured (HOOKFLOW_METRICS_HOST, loopback by default), never the public API port. An API
 * and a worker sharing one Metrics share one listener; it closes when the last of them releases it.
 */
export function serveMetrics(metrics: Metrics, host: string, port: number): Promise<MetricsListener> {
  const existing = listeners.get(metrics);
  if (existing) {
    existing.users += 1;
    return existing.listening.then((l) => release(metrics, l));
  }
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found; scrape GET /metrics\n');
      return;
    }
    metrics.render().then(
      (text) => res.writeHead(200, { 'content-type': metrics.contentType }).end(text),
      (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${err.message}\n`),
    );
  });
  server.requestTimeout = 10_000;
  server.keepAliveTimeout = 5_000;
  const listening = new Promise<MetricsListener>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const { port: bound } = server.address() as AddressInfo;
      resolve({
        url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}/metrics`,
        close: () => new Promise<void>((done) => {
          server.closeAllConnections();
          server.close(() => done());
        }),
      });
    });
  });
  listeners.set(metrics, { listening, users: 1 });
  listening.catch(() => listeners.delete(metrics));
  return listening.then((l) => release(metrics, l));
}

function release(metrics: Metrics, l: MetricsListener): MetricsListener {
  let released = false;
  return {
    url: l.url,
    async close() {
      const entry = listeners.get(metrics);
      if (released || !entry) return;
      released = true;
      entry.users -= 1;
      if (entry.users === 0) {
        listeners.delete(metrics);
        await l.close();
      }
    },
  };
}
