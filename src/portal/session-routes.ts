import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ApiDeps } from '../api/deps';
import { Problem } from '../errors/problem';
import { limitFailures } from '../auth/failed-auth-limiter';
import { exchangePortalLink, revokePortalSession, type LinkRefusal, type PortalSessionRow } from '../db/repos/portal';
import { newId } from '../db/ids';
import { clearedSessionCookie, sessionCookie } from '../auth/portal-cookie';
import { credentialHash, csrfTokenFor, generateSessionToken, isLinkToken } from '../auth/portal-credentials';
import { assertCsrf, invalidSession, sessionFromCookie } from '../auth/portal-session-credential';

const exchangeBody = z.object({ link: z.string().max(200) }).strict();

const REFUSALS: Record<LinkRefusal, (at?: Date) => Problem> = {
  unknown: () => new Problem(401, 'Invalid Portal Link', 'this is not a portal link hookflow issued, or its tenant was deleted; ask for a new link'),
  expired: (at) => new Problem(401, 'Portal Link Expired', `this portal link expired${at ? ` at ${at.toISOString()}` : ''}; ask for a new link`),
  used: (at) =>
    new Problem(401, 'Portal Link Already Used', `this portal link was already opened${at ? ` at ${at.toISOString()}` : ''}; a link works once, so ask for a new one`),
};

/** What the page learns about its session. The CSRF token goes only to same-origin script: /portal sends no CORS headers. */
const present = (row: PortalSessionRow, token: string) => ({
  tenantId: row.tenant_id,
  tenantName: row.tenant_name,
  expiresAt: row.expires_at.toISOString(),
  csrfToken: csrfTokenFor(token),
});

/** The portal's session, outside /v1: opened from a link, read by the page on load, closed by signing out. */
export const portalSessionRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, { db, config, authFailures }) => {
  const hide = { hide: true };

  app.post('/session', { schema: { ...hide, body: exchangeBody } }, async (req, reply) => {
    // Login CSRF: another site must not sign a visitor into a session of its choosing. A JSON body
    // already needs a CORS preflight that is never granted; this refuses what a browser marks as such.
    if (req.headers['sec-fetch-site'] === 'cross-site') throw new Problem(403, 'Forbidden', 'a portal link must be opened in the portal itself, not from another site');
    const token = generateSessionToken();
    // Guessing links costs a look-up each: failures count per address, as for API keys and tokens.
    let refusal: Problem | undefined;
    const result = await limitFailures(authFailures, req.ip, async () => {
      if (!isLinkToken(req.body.link)) return void (refusal = REFUSALS.unknown());
      const r = await exchangePortalLink(db, {
        linkHash: credentialHash(req.body.link),
        sessionId: newId('ps'),
        sessionHash: credentialHash(token),
        sessionSeconds: config.portal.sessionSeconds,
      });
      if ('refused' in r) return void (refusal = REFUSALS[r.refused](r.at));
      return r;
    });
    if (!result) throw refusal!;
    return reply
      .code(201)
      .header('set-cookie', sessionCookie(config, token, config.portal.sessionSeconds))
      .header('cache-control', 'no-store')
      .send(present(result.session, token));
  });

  app.get('/session', { schema: hide }, async (req, reply) => {
    const session = await sessionFromCookie(db, config, req.headers);
    if (!session) throw new Problem(401, 'No Portal Session', 'there is no portal session in this browser: open the portal through the link you were given');
    return reply.header('cache-control', 'no-store').send(present(session.row, session.token));
  });

  app.delete('/session', { schema: hide }, async (req, reply) => {
    const session = await sessionFromCookie(db, config, req.headers);
    if (!session) throw invalidSession();
    assertCsrf(req, session);
    await revokePortalSession(db, session.row.id);
    return reply.code(204).header('set-cookie', clearedSessionCookie(config)).send();
  });
};
