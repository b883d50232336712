// The same change as delivery.ts without the patch: what a rolling deploy must not ship. Replaying a
// history recorded before the change against it fails with a non-determinism error, which is how the
// rolling-deploy scenario proves its change is real and its histories predate it.
import { sleep } from '@temporalio/workflow';
import { deliveryWorkflow as released } from '../../../../workflows/delivery';
import type { DeliveryInput, DeliveryStatus } from '../../../../workflows/messages';
import { SETTLE_MS } from './delivery';

export async function deliveryWorkflow(input: DeliveryInput): Promise<DeliveryStatus> {
  await sleep(SETTLE_MS);
  return released(input);
}
