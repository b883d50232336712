// What a credential may do. Every /v1 route (and /metrics, /codec) names the one scope it needs in
// its route config; access-control.ts checks it in the same hooks that authenticate.

export const SCOPES = ['admin', 'read', 'events:write', 'subscriptions:write', 'deliveries:write', 'metrics:read'] as const;
export type Scope = (typeof SCOPES)[number];

/** A tenant token may hold these; without explicit scopes it holds all of them. */
export const TENANT_SCOPES: readonly Scope[] = ['read', 'events:write', 'subscriptions:write', 'deliveries:write'];

export const isScope = (s: string): s is Scope => (SCOPES as readonly string[]).includes(s);

/** `admin` implies every other scope. */
export const grants = (held: ReadonlySet<Scope>, needed: Scope): boolean => held.has('admin') || held.has(needed);
