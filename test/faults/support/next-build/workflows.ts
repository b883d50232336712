// The next build's workflow module: every released workflow, with the changed delivery workflow (an
// explicit export wins over the same name from `export *`).
export * from '../../../../workflows';
export { deliveryWorkflow } from './delivery';
