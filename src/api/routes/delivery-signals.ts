import type { Client } from '@temporalio/client';
import { forEachBounded } from '../../concurrency/for-each-bounded';
import { forEachDelivery, type DeliveryListFilter } from '../../temporal/visibility';
import { discardSignal, redeliverSignal, statusQuery } from '../../../workflows/messages';

const SIGNAL_CONCURRENCY = 16;
// A single bulk call touches at most this many deliveries; callers repeat it for more.
export const BULK_LIMIT = 10_000;

/** Signals every matching open delivery, a bounded number at a time. */
export async function signalMatching(
  temporal: Client,
  filter: DeliveryListFilter,
  signal: 'redeliver' | { discard: string },
): Promise<{ matched: number; signalled: number }> {
  let signalled = 0;
  const matched = await forEachDelivery(temporal, { ...filter, openOnly: true }, BULK_LIMIT, async (page) => {
    const { ok } = await forEachBounded(page, SIGNAL_CONCURRENCY, async (d) => {
      // A delivery that closed between the listing and the signal fails here and is not counted.
      const handle = temporal.workflow.getHandle(d.id);
      if (filter.status) {
        // Visibility lags the workflow by about a second. Confirm the state it was listed for, so
        // a bulk call repeated at once does not restart (and resend) what the first one restarted.
        const now = await handle.query(statusQuery);
        if (now.state !== filter.status || now.completedAt) throw new Error(`delivery ${d.id} is ${now.state} now`);
      }
      if (signal === 'redeliver') await handle.signal(redeliverSignal);
      else await handle.signal(discardSignal, { reason: signal.discard });
    });
    signalled += ok.length;
  });
  return { matched, signalled };
}

export function discardOpenDeliveries(temporal: Client, subscriptionId: string, reason: string) {
  return signalMatching(temporal, { subscriptionId }, { discard: reason });
}

export function discardTenantDeliveries(temporal: Client, tenantId: string) {
  return signalMatching(temporal, { tenantId }, { discard: 'tenant deleted' });
}
