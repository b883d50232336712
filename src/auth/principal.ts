import type { Db } from '../db/pool';
import { tenantForToken } from '../db/repos/tenant-tokens';
import { bearerCredential, bearerKeyMatcher } from './api-keys';
import { isScope, TENANT_SCOPES, type Scope } from './scopes';
import { looksLikeTenantToken, tenantTokenHash } from './tenant-token';

/**
 * Who is calling: an operator's API key (`admin`: not bound to a tenant; what it may do is its
 * scopes), or a tenant with a token of its own. `id` names the credential (never the secret itself)
 * for rate limits.
 */
export type Principal =
  | { kind: 'admin'; id: string; scopes: ReadonlySet<Scope> }
  | { kind: 'tenant'; id: string; tenantId: string; tokenId: string; scopes: ReadonlySet<Scope> };

export type PrincipalResolver = (authorization: string | undefined) => Promise<Principal | undefined>;

/** API keys come from the configuration; tenant tokens are looked up (live, unexpired, tenant not deleted). */
export function principalResolver(db: Pick<Db, 'query'>, apiKeys: string[]): PrincipalResolver {
  const matchKey = bearerKeyMatcher(apiKeys);
  return async (authorization) => {
    const key = matchKey(authorization);
    if (key) return { kind: 'admin', id: key.id, scopes: key.scopes };
    const credential = bearerCredential(authorization);
    if (credential === undefined || !looksLikeTenantToken(credential)) return undefined;
    const found = await tenantForToken(db, tenantTokenHash(credential));
    if (!found) return undefined;
    // A token never holds more than a tenant may, whatever its row says.
    const scopes = (found.scopes ?? TENANT_SCOPES).filter((s): s is Scope => isScope(s) && TENANT_SCOPES.includes(s));
    return { kind: 'tenant', id: found.tokenId, tenantId: found.tenantId, tokenId: found.tokenId, scopes: new Set(scopes) };
  };
}
