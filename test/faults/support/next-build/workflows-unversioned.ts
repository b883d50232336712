// The next build as it must not ship (the change without its patch), for replay checks only.
export { deliveryWorkflow } from './delivery-unversioned';
export { deadLetterWorkflow, recoverWorkflow, purgeWorkflow } from '../../../../workflows';
