import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ApiDeps } from '../deps';
import { pingDatabase } from '../../db/pool';
import { Problem } from '../../errors/problem';
import { sendProblem } from '../problem';

const CHECK_TIMEOUT_MS = 2_000;

function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export const healthRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  app.get(
    '/healthz',
    { schema: { tags: ['operations'], response: { 200: z.object({ status: z.literal('ok') }) } } },
    async () => ({ status: 'ok' as const }),
  );

  const up = z.enum(['up', 'down']);
  const ready = z.object({ status: z.literal('ready'), checks: z.object({ postgres: up, temporal: up }) });
  app.get('/readyz', { schema: { tags: ['operations'], response: { 200: ready } } }, async (_req, reply) => {
    const checks = await Promise.allSettled([
      withTimeout(pingDatabase(deps.db), 'postgres'),
      withTimeout(deps.temporal.workflowService.getSystemInfo({}), 'temporal'),
    ]);
    const [postgres, temporal] = checks.map((c) => (c.status === 'fulfilled' ? 'up' : 'down'));
    const down = [postgres === 'down' && 'postgres', temporal === 'down' && 'temporal'].filter(Boolean);
    if (down.length === 0) return { status: 'ready' as const, checks: { postgres: 'up' as const, temporal: 'up' as const } };
    const reasons = checks
      .map((c, i) => (c.status === 'rejected' ? `${['postgres', 'temporal'][i]}: ${(c.reason as Error).message}` : null))
      .filter(Boolean);
    return sendProblem(reply, new Problem(503, 'Service Unavailable', `not ready: ${down.join(' and ')} down (${reasons.join('; ')})`));
  });
};
