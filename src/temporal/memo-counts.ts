// Counts read at scrape time from running workflows' memos through Temporal visibility (the endpoint
// limiters and the FIFO lines write theirs there at most once a second). One reader per deployment,
// cached briefly, and never in a scrape's way: /metrics must answer while Temporal is down.
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';

const TTL_MS = 2_000;
// A scrape waits at most this long for fresh counts; past it, it gets the last counts read (zeros
// before the first) while the read finishes in the background for the next scrape.
const SCRAPE_WAIT_MS = 1_000;
// A read visits at most this many workflows; past it the gauges undercount rather than stall.
const MAX_WORKFLOWS = 10_000;

export interface MemoCountsSpec<C> {
  temporal: Client;
  workflowType: string;
  /** A deployment counts its own workflows: others may share the namespace, each on its task queue. */
  taskQueue: string;
  empty: () => C;
  add: (counts: C, workflow: WorkflowExecutionInfo) => void;
}

export function memoCounts<C>(spec: MemoCountsSpec<C>): () => Promise<C> {
  const query = `WorkflowType = '${spec.workflowType}' AND ExecutionStatus = 'Running' AND TaskQueue = '${spec.taskQueue.replaceAll("'", "''")}'`;
  let known = spec.empty();
  let readAt = -Infinity;
  let reading: Promise<C> | undefined;

  const read = async (): Promise<C> => {
    const counts = spec.empty();
    let seen = 0;
    for await (const wf of spec.temporal.workflow.list({ query })) {
      if (++seen > MAX_WORKFLOWS) break;
      spec.add(counts, wf);
    }
    return counts;
  };

  return async () => {
    if (!reading && Date.now() - readAt > TTL_MS) {
      reading = read().then(
        (counts) => {
          [known, readAt, reading] = [counts, Date.now(), undefined];
          return counts;
        },
        () => {
          reading = undefined;
          return known;
        },
      );
    }
    if (!reading) return known;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<C>((resolve) => (timer = setTimeout(() => resolve(known), SCRAPE_WAIT_MS)));
    return Promise.race([reading, late]).finally(() => clearTimeout(timer));
  };
}

/** A memo field as a count: absent or not a number reads as 0. */
export const memoNumber = (wf: WorkflowExecutionInfo, field: string): number => Number(wf.memo?.[field] ?? 0) || 0;
