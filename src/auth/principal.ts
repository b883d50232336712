import type { Config } from '../config';
import type { Db } from '../db/pool';
import { tenantForToken } from '../db/repos/tenant-tokens';
import { portalPrincipalResolver, type CredentialRequest } from './portal-session-credential';
import { bearerCredential, bearerKeyMatcher } from './api-keys';
import { isScope, TENANT_SCOPES, type Scope } from './scopes';
import { looksLikeTenantToken, tenantTokenHash } from './tenant-token';

/**
 * Who is calling: an operator's API key (`admin`: not bound to a tenant; what it may do is its
 * scopes), or a tenant, with a token of its own or a customer-portal session (src/portal/). Every
 * check reads only `kind`, `tenantId` and `scopes`, so a portal session can do exactly what a
 * tenant's token could. `id` names the credential (never the secret itself) for rate limits.
 */
export type Principal =
  | { kind: 'admin'; id: string; scopes: ReadonlySet<Scope> }
  | ({ kind: 'tenant'; id: string; tenantId: string; scopes: ReadonlySet<Scope> } & ({ tokenId: string } | { portalSessionId: string }));

export type PrincipalResolver = (authorization: string | undefined, req?: CredentialRequest) => Promise<Principal | undefined>;

/**
 * API keys come from the configuration; tenant tokens are looked up (live, unexpired, tenant not
 * deleted). Without an Authorization header, a portal session cookie is the credential, with a
 * tenant token's full scopes.
 */
export function principalResolver(db: Pick<Db, 'query'>, apiKeys: string[], config: Pick<Config, 'env'> = { env: 'development' }): PrincipalResolver {
  const matchKey = bearerKeyMatcher(apiKeys);
  const portal = portalPrincipalResolver(db, config);
  return async (authorization, req) => {
    if (authorization === undefined && req) {
      const session = await portal(req);
      return session && { ...session, id: session.portalSessionId, scopes: new Set(TENANT_SCOPES) };
    }
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
