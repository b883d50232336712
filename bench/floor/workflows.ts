// The floor: the least a Temporal-orchestrated webhook can cost on this server. One local activity
// doing the same signed POST hookflow's attempt does; no search attributes, no database, no retry.
import { proxyLocalActivities } from '@temporalio/workflow';
import type { FloorActivities, FloorInput } from './floor-process';

const { post } = proxyLocalActivities<FloorActivities>({ startToCloseTimeout: '40s', retry: { maximumAttempts: 1 } });

export async function floorDelivery(input: FloorInput): Promise<void> {
  await post(input);
}
