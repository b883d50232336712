// The worker bundles this file: every workflow type it can run is exported here.
export { deliveryWorkflow } from './delivery';
export { deadLetterWorkflow } from './dead-letters';
export { recoverWorkflow } from './recover';
export { purgeWorkflow } from './purge';
export { endpointLimiterWorkflow } from './throttle/limiter';
export { fifoLineWorkflow } from './ordering/line';
