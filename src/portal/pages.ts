import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { notFound } from '../errors/problem';

// Next to this file in src/ and, copied by `npm run build`, in dist/.
const WEB_DIR = path.join(__dirname, 'web');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

/** Every file the portal serves, read once: a request can only ever name one of these, so no path reaches the file system. */
function loadAssets(): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const name of readdirSync(WEB_DIR)) {
    const type = TYPES[path.extname(name)];
    if (!type) continue;
    const body = readFileSync(path.join(WEB_DIR, name));
    assets.set(name, { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` });
  }
  return assets;
}

/** The page paths the portal's script routes itself; the server answers each with the same shell. */
// '/' answers both /portal and /portal/ (Fastify's prefixTrailingSlash).
const PAGES = ['/', '/endpoints', '/endpoints/:id', '/deliveries', '/deliveries/:id', '/event-types', '/event-types/:name'];

export async function portalPages(app: FastifyInstance): Promise<void> {
  const assets = loadAssets();
  const shell = assets.get('index.html');
  if (!shell) throw new Error(`portal pages missing: ${WEB_DIR}/index.html`);

  for (const page of PAGES) {
    app.get(page, { schema: { hide: true } }, async (_req, reply) =>
      // no-store: the shell is tiny, and a cached page must never outlive a signed-out session.
      reply.type(shell.type).header('cache-control', 'no-store').send(shell.body),
    );
  }

  app.get<{ Params: { file: string } }>('/assets/:file', { schema: { hide: true } }, async (req, reply) => {
    const asset = req.params.file === 'index.html' ? undefined : assets.get(req.params.file);
    if (!asset) throw notFound('portal asset', req.params.file);
    void reply.type(asset.type).header('etag', asset.etag).header('cache-control', 'no-cache');
    if (req.headers['if-none-match'] === asset.etag) return reply.code(304).send();
    return reply.send(asset.body);
  });
}
