// The delivery workflow of a "next build", for the rolling-deploy scenario: today's workflow with one
// new step before the first round (a short settling timer, a new command in every new history),
// versioned the way hookflow versions workflow changes, with patched(). A history recorded before the
// change has no marker here, so patched() is false on replay and the run goes on down the old path;
// a run that starts under this build records the marker and takes the new step. Test support only:
// the next build's worker (worker.ts) bundles this instead of workflows/.
import { patched, sleep } from '@temporalio/workflow';
import { deliveryWorkflow as released } from '../../../../workflows/delivery';
import type { DeliveryInput, DeliveryStatus } from '../../../../workflows/messages';

export const NEXT_BUILD_PATCH = 'next-build-settle';
export const SETTLE_MS = 200;

export async function deliveryWorkflow(input: DeliveryInput): Promise<DeliveryStatus> {
  if (patched(NEXT_BUILD_PATCH)) await sleep(SETTLE_MS);
  return released(input);
}
