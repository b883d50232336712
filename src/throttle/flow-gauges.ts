// Gauges of deliveries held back by flow control, from the running limiters' memos.
import type { Client } from '@temporalio/client';
import { METRIC } from '../metrics/names';
import type { Metrics } from '../metrics/registry';
import { memoCounts, memoNumber } from '../temporal/memo-counts';

interface FlowCounts {
  throttleWaiting: number;
  laneWaiting: number;
  heldBackEndpoints: number;
}

export function watchFlowControl(metrics: Metrics, temporal: Client, taskQueue: string): void {
  const counts = memoCounts<FlowCounts>({
    temporal,
    workflowType: 'endpointLimiterWorkflow',
    taskQueue,
    empty: () => ({ throttleWaiting: 0, laneWaiting: 0, heldBackEndpoints: 0 }),
    add: (c, wf) => {
      const waiting = memoNumber(wf, 'waiting');
      if (wf.workflowId.startsWith('lane-')) c.laneWaiting += waiting;
      else {
        c.throttleWaiting += waiting;
        if (waiting > 0) c.heldBackEndpoints += 1;
      }
    },
  });
  metrics.gauge(METRIC.throttleWaiting, "Deliveries waiting for a slot of their endpoint's throttle", async () => (await counts()).throttleWaiting);
  metrics.gauge(METRIC.throttledEndpoints, 'Throttled endpoints with deliveries waiting for a slot', async () => (await counts()).heldBackEndpoints);
  metrics.gauge(METRIC.laneWaiting, "Deliveries to endpoints known to be slow, waiting for their tenant's lane", async () => (await counts()).laneWaiting);
}
