import { z } from 'zod';
import { ID_PATTERN } from './common';

const id = z.string().regex(ID_PATTERN, 'must be an ID (letters, digits, _ . : -; at most 128)');
const dateTime = z.iso.datetime({ offset: true, message: 'must be an ISO-8601 date-time' });

export const replayBody = z
  .object({
    subscriptionIds: z
      .array(id.regex(/^sub_/, 'must be a subscription ID'))
      .min(1)
      .max(100)
      .refine((ids) => new Set(ids).size === ids.length, 'must not repeat a subscription')
      .meta({ uniqueItems: true })
      .optional()
      .describe("Subscriptions of the event's tenant to send it to; default: the ones it was planned for"),
  })
  .strict()
  .default({});

export const replayResponse = z.object({
  eventId: z.string(),
  deliveries: z.array(
    z.object({
      id: z.string(),
      subscriptionId: z.string(),
      outcome: z.enum(['created', 'signalled', 'restarted', 'refused']),
      reason: z.string().optional(),
    }),
  ),
});

export const recoverBody = z
  .object({
    since: dateTime.describe(
      'Resend what ended dead-lettered or discarded at or after this time. Must lie within the retention (HOOKFLOW_RETENTION_DAYS back from now) and before `until`: a 400 otherwise, a rule that moves with the clock and so is not a schema constraint.',
    ),
    until: dateTime.optional().describe('… and before this time (after `since`); default: now'),
    enable: z
      .boolean()
      .optional()
      .describe('Re-enable the subscription first when it is disabled. Without it, recovering a disabled subscription is refused with 409: nothing would be resent.'),
  })
  .strict();

export const recoveryParams = z.object({
  id: id,
  recoveryId: z.string().regex(/^recover-[a-zA-Z0-9_.:-]{1,200}$/, 'must be a recovery ID (recover-…)'),
});

export const recoveryResponse = z.object({
  id: z.string(),
  subscriptionId: z.string(),
  since: z.string(),
  until: z.string(),
  state: z.enum(['running', 'completed', 'failed']),
  matched: z.number(),
  resent: z.number(),
  skipped: z.number(),
  skippedByReason: z
    .record(z.string(), z.number())
    .describe('`skipped` by reason: `no_longer_dead` (redelivered or succeeded since), `already_being_redelivered`, `subscription_disabled` (disabled during the recovery), `delivery_missing`'),
  startedAt: z.string(),
  completedAt: z.string().optional(),
});
