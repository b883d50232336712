// Gauges of FIFO lines, read at scrape time from the running lines' memos through Temporal
// visibility (each line writes its counts there at most once a second).
import type { Client } from '@temporalio/client';
import { METRIC } from '../metrics/names';
import type { Metrics } from '../metrics/registry';

// A deployment counts its own lines: others may share the namespace (each on its task queue).
const linesQuery = (taskQueue: string): string =>
  `WorkflowType = 'fifoLineWorkflow' AND ExecutionStatus = 'Running' AND TaskQueue = '${taskQueue.replaceAll("'", "''")}'`;
const TTL_MS = 2_000;
// A scrape reads at most this many lines; past it the gauges undercount rather than stall.
const MAX_LINES = 10_000;

interface LineCounts {
  blocked: number;
  waiting: number;
}

export async function readLineCounts(temporal: Client, taskQueue: string): Promise<LineCounts> {
  const counts: LineCounts = { blocked: 0, waiting: 0 };
  let seen = 0;
  for await (const wf of temporal.workflow.list({ query: linesQuery(taskQueue) })) {
    if (++seen > MAX_LINES) break;
    const memo = (wf.memo ?? {}) as { waiting?: unknown; blocked?: unknown };
    counts.waiting += Number(memo.waiting ?? 0) || 0;
    if (Number(memo.blocked ?? 0) > 0) counts.blocked += 1;
  }
  return counts;
}

export function watchFifoLines(metrics: Metrics, temporal: Client, taskQueue: string): void {
  let cached: { at: number; value: Promise<LineCounts> } | undefined;
  const counts = () => {
    if (!cached || Date.now() - cached.at > TTL_MS) {
      cached = { at: Date.now(), value: readLineCounts(temporal, taskQueue) };
      cached.value.catch(() => (cached = undefined));
    }
    return cached.value;
  };
  metrics.gauge(METRIC.fifoBlockedLines, 'FIFO subscriptions whose line is held by a dead letter', async () => (await counts()).blocked);
  metrics.gauge(METRIC.fifoWaiting, 'FIFO deliveries waiting for their turn behind the head of their line', async () => (await counts()).waiting);
}
