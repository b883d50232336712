// Gauges of deliveries held back by flow control, read at scrape time from the running limiters'
// memos through Temporal visibility (each limiter writes its counts there at most once a second).
import type { Client } from '@temporalio/client';
import { METRIC } from '../metrics/names';
import type { Metrics } from '../metrics/registry';

// A deployment counts its own limiters: others may share the namespace (each on its task queue).
const limitersQuery = (taskQueue: string): string =>
  `WorkflowType = 'endpointLimiterWorkflow' AND ExecutionStatus = 'Running' AND TaskQueue = '${taskQueue.replaceAll("'", "''")}'`;
const TTL_MS = 2_000;
// A scrape reads at most this many limiters; past it the gauges undercount rather than stall.
const MAX_LIMITERS = 10_000;

interface FlowCounts {
  throttleWaiting: number;
  laneWaiting: number;
  heldBackEndpoints: number;
}

export async function readFlowCounts(temporal: Client, taskQueue: string): Promise<FlowCounts> {
  const counts: FlowCounts = { throttleWaiting: 0, laneWaiting: 0, heldBackEndpoints: 0 };
  let seen = 0;
  for await (const wf of temporal.workflow.list({ query: limitersQuery(taskQueue) })) {
    if (++seen > MAX_LIMITERS) break;
    const waiting = Number((wf.memo as { waiting?: unknown } | undefined)?.waiting ?? 0) || 0;
    if (wf.workflowId.startsWith('lane-')) counts.laneWaiting += waiting;
    else {
      counts.throttleWaiting += waiting;
      if (waiting > 0) counts.heldBackEndpoints += 1;
    }
  }
  return counts;
}

export function watchFlowControl(metrics: Metrics, temporal: Client, taskQueue: string): void {
  let cached: { at: number; value: Promise<FlowCounts> } | undefined;
  const counts = () => {
    if (!cached || Date.now() - cached.at > TTL_MS) {
      cached = { at: Date.now(), value: readFlowCounts(temporal, taskQueue) };
      cached.value.catch(() => (cached = undefined));
    }
    return cached.value;
  };
  metrics.gauge(METRIC.throttleWaiting, "Deliveries waiting for a slot of their endpoint's throttle", async () => (await counts()).throttleWaiting);
  metrics.gauge(METRIC.throttledEndpoints, 'Throttled endpoints with deliveries waiting for a slot', async () => (await counts()).heldBackEndpoints);
  metrics.gauge(METRIC.laneWaiting, "Deliveries to endpoints not yet known to be fast, waiting for their tenant's lane", async () => (await counts()).laneWaiting);
}
