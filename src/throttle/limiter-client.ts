// The API's side of the endpoint limiters (workflows/throttle/limiter.ts): new limits, and what waits.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { FastifyBaseLogger } from 'fastify';
import type { SubscriptionRow } from '../db/repos/subscriptions';
import { configureLimitsSignal, limiterStateQuery, limiterWorkflowId, type LimiterView } from '../../workflows/throttle/messages';

/** Sends a subscription's current limits to its running limiter; none running is nothing to do. */
export async function configureLimiter(temporal: Client, row: Pick<SubscriptionRow, 'id' | 'throttle' | 'updated_at'>, log: FastifyBaseLogger): Promise<void> {
  try {
    await temporal.workflow
      .getHandle(limiterWorkflowId(row.id))
      .signal(configureLimitsSignal, { limits: row.throttle ?? {}, version: row.updated_at.getTime() });
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return;
    // Waiting deliveries keep the old limits until the next one asks; not worth failing the change for.
    log.warn({ err, subscriptionId: row.id }, 'could not send the new throttle to the running limiter');
  }
}

/** The limiter's own answer, or undefined when none runs (nothing waits, nothing is in flight). */
export async function limiterView(temporal: Client, subscriptionId: string): Promise<LimiterView | undefined> {
  const handle = temporal.workflow.getHandle(limiterWorkflowId(subscriptionId));
  try {
    const { status } = await handle.describe();
    if (status.name !== 'RUNNING') return undefined;
    return await handle.query(limiterStateQuery);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}
