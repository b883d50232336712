/** Where the portal's pages live; the session routes sit under it too, outside /v1. */
export const PORTAL_PREFIX = '/portal';
