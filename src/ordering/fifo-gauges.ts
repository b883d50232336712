// Gauges of FIFO lines, from the running lines' memos.
import type { Client } from '@temporalio/client';
import { METRIC } from '../metrics/names';
import type { Metrics } from '../metrics/registry';
import { memoCounts, memoNumber } from '../temporal/memo-counts';

export function watchFifoLines(metrics: Metrics, temporal: Client, taskQueue: string): void {
  const counts = memoCounts({
    temporal,
    workflowType: 'fifoLineWorkflow',
    taskQueue,
    empty: () => ({ blocked: 0, waiting: 0 }),
    add: (c, wf) => {
      c.waiting += memoNumber(wf, 'waiting');
      if (memoNumber(wf, 'blocked') > 0) c.blocked += 1;
    },
  });
  metrics.gauge(METRIC.fifoBlockedLines, 'FIFO subscriptions whose line is held by a dead letter', async () => (await counts()).blocked);
  metrics.gauge(METRIC.fifoWaiting, 'FIFO deliveries waiting for their turn behind the head of their line', async () => (await counts()).waiting);
}
