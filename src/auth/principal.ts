import type { Db } from '../db/pool';
import { tenantForToken } from '../db/repos/tenant-tokens';
import { bearerCredential, bearerKeyMatcher } from './api-keys';
import { looksLikeTenantToken, tenantTokenHash } from './tenant-token';

/** Who is calling: an operator with an admin API key, or a tenant with a token of its own. */
export type Principal = { kind: 'admin' } | { kind: 'tenant'; tenantId: string; tokenId: string };

export type PrincipalResolver = (authorization: string | undefined) => Promise<Principal | undefined>;

/** Admin keys come from the configuration; tenant tokens are looked up (live, unexpired, tenant not deleted). */
export function principalResolver(db: Pick<Db, 'query'>, adminKeys: string[]): PrincipalResolver {
  const isAdmin = bearerKeyMatcher(adminKeys);
  return async (authorization) => {
    if (isAdmin(authorization)) return { kind: 'admin' };
    const credential = bearerCredential(authorization);
    if (credential === undefined || !looksLikeTenantToken(credential)) return undefined;
    const found = await tenantForToken(db, tenantTokenHash(credential));
    return found && { kind: 'tenant', ...found };
  };
}
