import type { DeliveryInput } from '../../workflows/messages';

/** What a delivery's start knows about its place in a FIFO line (src/db/repos/fifo-sequences.ts). */
export interface OrderingFacts {
  /** The delivery's place in its subscription's line; null or absent when accepted unordered. */
  sequence?: number | null;
}

/** The delivery input's ordering part: its place in the line, or nothing (unordered, unchanged). */
export function orderingInput(d: OrderingFacts): Pick<DeliveryInput, 'fifo'> {
  return d.sequence === null || d.sequence === undefined ? {} : { fifo: { sequence: Number(d.sequence) } };
}
