import type { Client } from '@temporalio/client';
import type { Config } from '../src/config';
import { acquireSlotSignal, type SlotRequest } from '../workflows/throttle/messages';

export interface RequestSlotInput extends SlotRequest {
  /** The limiter's workflow ID. */
  limiterId: string;
}

/**
 * Hands a slot request to the endpoint's limiter, starting the limiter if none is running. Returns
 * once the limiter has the request: the delivery then waits for the grant as a workflow, not here.
 */
export function createThrottleActivities(deps: { temporal: Client; config: Pick<Config, 'temporal'> }) {
  return {
    async requestThrottleSlot(input: RequestSlotInput): Promise<void> {
      const { limiterId, ...request } = input;
      await deps.temporal.workflow.signalWithStart('endpointLimiterWorkflow', {
        workflowId: limiterId,
        taskQueue: deps.config.temporal.taskQueue,
        args: [{ key: limiterId }],
        signal: acquireSlotSignal,
        signalArgs: [request],
      });
    },
  };
}
