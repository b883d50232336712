import type { Config } from '../config';
import type { Db } from '../db/pool';
import { tenantForToken } from '../db/repos/tenant-tokens';
import { portalPrincipalResolver, type CredentialRequest } from '../portal/session-credential';
import { bearerCredential, bearerKeyMatcher } from './api-keys';
import { looksLikeTenantToken, tenantTokenHash } from './tenant-token';

/**
 * Who is calling: an operator with an admin API key, or a tenant, with a token of its own or a
 * customer-portal session (src/portal/). Every check reads only `kind` and `tenantId`, so a portal
 * session can do exactly what its tenant's token could.
 */
export type Principal = { kind: 'admin' } | ({ kind: 'tenant'; tenantId: string } & ({ tokenId: string } | { portalSessionId: string }));

export type PrincipalResolver = (authorization: string | undefined, req?: CredentialRequest) => Promise<Principal | undefined>;

/**
 * Admin keys come from the configuration; tenant tokens are looked up (live, unexpired, tenant not
 * deleted). Without an Authorization header, a portal session cookie is the credential.
 */
export function principalResolver(db: Pick<Db, 'query'>, adminKeys: string[], config: Pick<Config, 'env'> = { env: 'development' }): PrincipalResolver {
  const isAdmin = bearerKeyMatcher(adminKeys);
  const portal = portalPrincipalResolver(db, config);
  return async (authorization, req) => {
    if (authorization === undefined && req) return portal(req);
    if (isAdmin(authorization)) return { kind: 'admin' };
    const credential = bearerCredential(authorization);
    if (credential === undefined || !looksLikeTenantToken(credential)) return undefined;
    const found = await tenantForToken(db, tenantTokenHash(credential));
    return found && { kind: 'tenant', ...found };
  };
}
