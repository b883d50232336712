// A request for a path that exists, with a method it does not take, is a 405 naming the methods it
// does take (RFC 9110 §15.5.6), not a 404 saying there is nothing there.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Problem } from '../errors/problem';

/** Path templates (`/v1/subscriptions/:id`) as patterns, with the methods registered for each. */
export class RouteMethods {
  private readonly routes: { pattern: RegExp; literal: number; methods: Set<string> }[] = [];

  /** Records every route registered on `app` and its children from now on. */
  track(app: FastifyInstance): void {
    app.addHook('onRoute', (route) => {
      const source = route.url
        .split('/')
        .map((part) => (part.startsWith(':') ? '[^/]+' : part === '*' ? '.*' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
        .join('/');
      const pattern = new RegExp(`^${source}/?$`);
      let entry = this.routes.find((r) => r.pattern.source === pattern.source);
      const literal = route.url.split('/').filter((part) => part !== '' && !part.startsWith(':') && part !== '*').length;
      if (!entry) this.routes.push((entry = { pattern, literal, methods: new Set() }));
      for (const m of [route.method].flat()) entry.methods.add(String(m).toUpperCase());
    });
  }

  /**
   * The methods of the resource at `path`: those of its most specific template (the most literal
   * segments), as the OpenAPI document lists them. /v1/deliveries/redeliver is the POST-only bulk
   * operation, although the router would also hand a GET for it to /v1/deliveries/:id (a 404 there).
   */
  allowed(path: string): string[] {
    const matching = this.routes.filter((r) => r.pattern.test(path));
    const best = Math.max(-1, ...matching.map((r) => r.literal));
    const methods = new Set<string>();
    for (const r of matching) if (r.literal === best) r.methods.forEach((m) => methods.add(m));
    return [...methods].sort();
  }

  /** The answer to a request no route took: 405 with `Allow` when only the method is wrong, else 404. */
  unrouted(req: FastifyRequest): Problem {
    const path = req.url.split('?')[0]!;
    const allow = this.allowed(path);
    if (allow.length > 0 && !allow.includes(req.method)) {
      return new Problem(405, 'Method Not Allowed', `${req.method} is not allowed on ${path}; it takes ${allow.join(', ')}`, undefined, { allow: allow.join(', ') });
    }
    return new Problem(404, 'Not Found', `no route for ${req.method} ${path}`);
  }
}
