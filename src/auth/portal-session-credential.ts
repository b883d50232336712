// The portal session as a credential of the /v1 API. It resolves to the same tenant principal a
// tenant token does, so the one authorization layer (src/auth/access-control.ts) applies unchanged;
// what only a cookie needs (CSRF) is checked here, before that layer runs.
import type { IncomingHttpHeaders } from 'node:http';
import type { Config } from '../config';
import type { Db } from '../db/pool';
import { portalSessionByHash, type PortalSessionRow } from '../db/repos/portal';
import { Problem } from '../errors/problem';
import { CSRF_HEADER, readCookie, sessionCookieName } from './portal-cookie';
import { credentialHash, csrfMatches, isSessionToken } from './portal-credentials';

export interface CredentialRequest {
  method: string;
  headers: IncomingHttpHeaders;
}

export interface LiveSession {
  row: PortalSessionRow;
  token: string;
}

// The same challenge as a missing API key: /v1 answers every unauthenticated request alike.
const CHALLENGE = { 'www-authenticate': 'Bearer realm="hookflow"' };
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export const invalidSession = () =>
  new Problem(401, 'Portal Session Not Valid', 'this portal session is not valid: it expired, was signed out, or was never issued; open a new portal link', undefined, CHALLENGE);

/** The session the request's cookie names; `undefined` without a cookie, 401 for one that names none. */
export async function sessionFromCookie(db: Pick<Db, 'query'>, config: Pick<Config, 'env'>, headers: IncomingHttpHeaders): Promise<LiveSession | undefined> {
  const token = readCookie(headers.cookie, sessionCookieName(config));
  if (token === undefined) return undefined;
  // Checked before the lookup: a forged value of the wrong shape never reaches the database.
  const row = isSessionToken(token) ? await portalSessionByHash(db, credentialHash(token)) : undefined;
  if (!row) throw invalidSession();
  return { row, token };
}

/**
 * The state-changing requests of a cookie session must carry the session's CSRF token in a header:
 * a page on another site can make the browser send the cookie, but can neither read the token nor
 * (without a CORS grant, which /v1 never gives) set a custom header.
 */
export function assertCsrf(req: CredentialRequest, session: LiveSession): void {
  if (SAFE_METHODS.has(req.method)) return;
  const presented = req.headers[CSRF_HEADER];
  if (req.headers['sec-fetch-site'] === 'cross-site' || !csrfMatches(session.token, typeof presented === 'string' ? presented : undefined)) {
    throw new Problem(403, 'Forbidden', `a portal request that changes something must carry its session's ${CSRF_HEADER} header; reload the portal and try again`);
  }
}

/** A tenant principal for a request that carries a live portal session cookie (and, to change anything, its CSRF token). */
export function portalPrincipalResolver(db: Pick<Db, 'query'>, config: Pick<Config, 'env'>) {
  return async (req: CredentialRequest): Promise<{ kind: 'tenant'; tenantId: string; portalSessionId: string } | undefined> => {
    const session = await sessionFromCookie(db, config, req.headers);
    if (!session) return undefined;
    assertCsrf(req, session);
    return { kind: 'tenant', tenantId: session.row.tenant_id, portalSessionId: session.row.id };
  };
}
