// The delivery states, in one place: the workflow, the API schemas, the CLI and the records share them.
// Free of imports, so the CLI can load it without the Temporal SDK.

/** Every state a delivery can be in; the `HookflowStatus` search attribute holds one of them. */
export const DELIVERY_STATES = ['scheduled', 'delivering', 'retrying', 'succeeded', 'dead_lettered', 'discarded'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];
/** States a delivery never leaves on its own: a new round starts only by redeliver. */
export const FINAL_STATES: ReadonlySet<DeliveryState> = new Set(['succeeded', 'dead_lettered', 'discarded']);
/** Dead: what recovery resends. */
export const DEAD_STATES: ReadonlySet<DeliveryState> = new Set(['dead_lettered', 'discarded']);
/** An open workflow in one of these takes the `redeliver` signal. */
export const SIGNALLABLE_STATES: ReadonlySet<DeliveryState> = new Set(['delivering', 'retrying', 'dead_lettered']);
