import { randomBytes } from 'node:crypto';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { recoverWorkflow } from '../../../workflows/recover';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import { tenantScoped } from '../../auth/access-control';
import { getSubscription, updateSubscription } from '../../db/repos/subscriptions';
import { recoverProgressQuery, recoverWorkflowId, type RecoverInput, type RecoverProgress } from '../../../workflows/messages';
import type { ApiDeps } from '../deps';
import { badRequest, notFound, Problem } from '../../errors/problem';
import { idParam, problemResponses, problemSchema } from '../schemas/common';
import { recoverBody, recoveryParams, recoveryResponse } from '../schemas/resend';

const tags = ['subscriptions'];

/**
 * POST /v1/subscriptions/:id/recover resends every delivery of the subscription that ended
 * dead-lettered or discarded in a window, as a Temporal workflow (a durable batch: it survives
 * restarts, pages through PostgreSQL and answers its progress to a query, in the Web UI too).
 */
export const subscriptionRecoveryRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  const { db, temporal, config } = deps;

  app.post(
    '/subscriptions/:id/recover',
    {
      config: tenantScoped('deliveries:write', 'subscription'),
      schema: {
        tags,
        description:
          'Resends the deliveries of this subscription that ended dead-lettered or discarded between `since` and `until`. `since` must lie within the retention (HOOKFLOW_RETENTION_DAYS back from now) and before `until`; the window moves with the clock, so the schema cannot state it and a 400 names `body.since`.',
        params: idParam('subscription'),
        body: recoverBody,
        response: { 202: recoveryResponse, ...problemResponses, 409: problemSchema },
      },
    },
    async (req, reply) => {
      const now = Date.now();
      const since = Date.parse(req.body.since);
      // Fixed now, so deliveries that die again during the recovery are not picked up a second time.
      const until = req.body.until ? Date.parse(req.body.until) : now;
      const oldest = now - config.retentionDays * 86_400_000;
      if (since >= until) throw badRequest([{ path: 'body.since', message: `must be before ${req.body.until ? 'body.until' : 'now'}` }]);
      if (since < oldest) {
        throw badRequest([{ path: 'body.since', message: `must be within the retention (${config.retentionDays} days): on or after ${new Date(oldest).toISOString()}` }]);
      }
      const sub = await getSubscription(db, req.params.id);
      if (!sub) throw notFound('subscription', req.params.id);
      // A disabled subscription's deliveries would all be skipped: refuse, say why, and say how.
      if (!sub.active) {
        if (!req.body.enable) throw disabled(sub.id, sub.disabled_reason);
        if (!(await updateSubscription(db, sub.id, { active: true }))) throw notFound('subscription', req.params.id);
        req.log.info({ subscriptionId: sub.id, disabledReason: sub.disabled_reason }, 'subscription re-enabled by a recovery');
      }

      const id = recoverWorkflowId(sub.id, `${now.toString(36)}${randomBytes(4).toString('hex')}`);
      const input: RecoverInput = {
        subscriptionId: sub.id,
        since: new Date(since).toISOString(),
        until: new Date(until).toISOString(),
        pageSize: config.recoverPageSize,
      };
      await temporal.workflow.start<typeof recoverWorkflow>('recoverWorkflow', { workflowId: id, taskQueue: config.temporal.taskQueue, args: [input] });
      return reply.code(202).send({
        id,
        subscriptionId: sub.id,
        since: input.since,
        until: input.until,
        state: 'running' as const,
        matched: 0,
        resent: 0,
        skipped: 0,
        skippedByReason: {},
        startedAt: new Date(now).toISOString(),
      });
    },
  );

  app.get(
    '/subscriptions/:id/recoveries/:recoveryId',
    { config: tenantScoped('read', 'subscription'), schema: { tags, params: recoveryParams, response: { 200: recoveryResponse, ...problemResponses } } },
    async (req) => {
      const { id, recoveryId } = req.params;
      // The ID names its subscription, so one subscription's recovery is never read through another's.
      if (!recoveryId.startsWith(recoverWorkflowId(id, ''))) throw notFound('recovery', recoveryId);
      const handle = temporal.workflow.getHandle(recoveryId);
      try {
        const [progress, described] = await Promise.all([handle.query(recoverProgressQuery), handle.describe()]);
        return present(recoveryId, progress, described.status.name);
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) throw notFound('recovery', recoveryId);
        throw err;
      }
    },
  );
};

function present(id: string, p: RecoverProgress, status: string): z.infer<typeof recoveryResponse> {
  const failed = !['RUNNING', 'COMPLETED', 'CONTINUED_AS_NEW'].includes(status);
  return {
    id,
    subscriptionId: p.subscriptionId,
    since: p.since,
    until: p.until,
    state: failed ? 'failed' : p.state,
    matched: p.matched,
    resent: p.resent,
    skipped: p.skipped,
    skippedByReason: p.skippedByReason ?? {},
    startedAt: p.startedAt,
    ...(p.completedAt ? { completedAt: p.completedAt } : {}),
  };
}

function disabled(id: string, reason: string | null): Problem {
  const why = reason ? ` (${reason})` : '';
  return new Problem(
    409,
    'Conflict',
    `subscription ${id} is disabled${why}, so a recovery would resend nothing. Enable it first (PATCH /v1/subscriptions/${id} with {"active": true}), or send "enable": true with this recovery to re-enable it and resend.`,
    [{ path: 'body.enable', message: `must be true to recover a disabled subscription: it is disabled${why}` }],
  );
}
