import { z } from 'zod';
import { EVENT_TYPE_PATTERN } from './common';

export const pingBody = z
  .object({
    eventType: z
      .string()
      .max(200)
      .regex(EVENT_TYPE_PATTERN, 'must be an event type such as "invoice.paid"')
      .optional()
      .describe("Send this catalogued event type's example instead of a hookflow.ping"),
    example: z.number().int().min(0).max(19).default(0).describe('Which of its examples (default the first)'),
  })
  .strict()
  .nullish();

export const pingResult = z
  .object({
    eventId: z.string(),
    deliveryId: z.string().describe('An ordinary delivery: its status, attempts and redelivery work like any other'),
    outcome: z
      .enum(['succeeded', 'failed', 'refused', 'pending'])
      .describe('The first attempt: `succeeded` (2xx), `failed` (another status, or a network error), `refused` (address not allowed), `pending` (no attempt finished within the wait)'),
    statusCode: z.number().int().nullable(),
    durationMs: z.number().int().nullable(),
    responseBody: z.string().nullable().describe("An excerpt of the endpoint's answer, as the attempt log keeps it"),
    responseBodyNote: z.string().nullable().describe('Set when `responseBody` is not the bytes as sent (NUL bytes and invalid UTF-8 are stored as U+FFFD)'),
    error: z.string().nullable(),
    attemptedAt: z.string().nullable(),
  })
  .describe('The outcome of the first attempt of a hookflow.ping (or of the example sent), read from the attempt log');
