import { z } from 'zod';

export const createPortalLinkBody = z
  .object({
    expiresInSeconds: z
      .number()
      .int()
      .min(60)
      .max(86_400)
      .default(900)
      .describe('How long the link can be opened (once); 15 minutes by default'),
  })
  .strict()
  .default({ expiresInSeconds: 900 });

export const portalLinkResponse = z.object({
  id: z.string(),
  tenantId: z.string(),
  url: z.string().describe('Open once, within expiresAt; the credential is in the fragment, so it never reaches a server log'),
  expiresAt: z.string(),
  createdAt: z.string(),
});
