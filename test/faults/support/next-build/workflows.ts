// The next build's workflow module: every released workflow, with the changed delivery workflow.
export { deliveryWorkflow } from './delivery';
export { deadLetterWorkflow, recoverWorkflow, purgeWorkflow } from '../../../../workflows';
