// The next build as it must not ship (the change without its patch), for replay checks only.
export * from '../../../../workflows';
export { deliveryWorkflow } from './delivery-unversioned';
