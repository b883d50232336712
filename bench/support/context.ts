import { cpus as cpuList } from 'node:os';
import type { Driver } from './driver-client';
import { cpuDelta, cpuSnapshot, type Watched } from './proc-stats';
import { progress, say } from './progress';
import type { BenchStack } from './stack';
import { sleep } from './stats';
import { scrape, temporalView, type LatencySummary } from './worker-metrics';

const cpus = (): number => cpuList().length;

export interface Ctx {
  quick: boolean;
  stack: BenchStack;
  driver: Driver;
  apiUrl: string;
  receiverUrl: string;
  secret: string;
  /** Prefix that makes event IDs unique to this run. */
  runId: string;
  watched: Watched[];
}

export interface Measured<T> {
  result: T;
  /** CPU seconds spent by each process during the scenario. */
  cpuSeconds: Record<string, number | null>;
  wallSeconds: number;
  /** Share of the machine's CPU capacity used by processes outside the bench during the scenario. */
  foreignCpuShare: number | null;
  /** Schedule-to-start and execution latencies as the worker's own metrics saw them. */
  temporal: Record<string, LatencySummary | null>;
}

/** CPU of this process comes from process.cpuUsage (it hosts the API and the worker). */
function snapshot(watched: Watched[]): Record<string, number | null> {
  const u = process.cpuUsage();
  return { hookflow: (u.user + u.system) / 1e6, ...cpuSnapshot(watched) };
}

export async function measure<T>(ctx: Ctx, fn: () => Promise<T>): Promise<Measured<T>> {
  const [metricsBefore, cpuBefore, t0] = [await scrape(ctx.stack.metricsUrl), snapshot(ctx.watched), Date.now()];
  const result = await fn();
  const cpuAfter = snapshot(ctx.watched);
  const wallSeconds = (Date.now() - t0) / 1000;
  const metricsAfter = await scrape(ctx.stack.metricsUrl);
  const cpuSeconds = cpuDelta(cpuBefore, cpuAfter);
  // Everything else on the machine (other users' builds and tests): the noise this run competed with.
  const ours = Object.entries(cpuSeconds).filter(([k]) => k !== 'machine').reduce((s, [, v]) => s + (v ?? 0), 0);
  const machine = cpuSeconds.machine;
  const foreignCpuShare = machine === null || machine === undefined ? null : Math.max(0, machine - ours) / (wallSeconds * cpus());
  return { result, cpuSeconds, wallSeconds, foreignCpuShare, temporal: temporalView(metricsBefore, metricsAfter) };
}

/** Waits until `prefix` has `expected` verified arrivals, drawing a progress bar. */
export async function awaitArrivals(ctx: Ctx, label: string, prefix: string, expected: number, timeoutMs: number): Promise<number> {
  const bar = progress(label);
  const deadline = Date.now() + timeoutMs;
  let seen = 0;
  let last = 0;
  let lastAt = Date.now();
  while (Date.now() < deadline) {
    seen = await ctx.driver.call<number>('arrivals', { prefix });
    const rate = ((seen - last) * 1000) / Math.max(1, Date.now() - lastAt);
    [last, lastAt] = [seen, Date.now()];
    bar.update(seen, expected, `${rate.toFixed(0)}/s`);
    if (seen >= expected) break;
    await sleep(250);
  }
  bar.done(seen >= expected ? `${seen} received` : `TIMED OUT with ${seen}/${expected}`);
  return seen;
}

/** Lets the previous scenario's workflows close so the next one starts from an idle system. */
export async function settle(ctx: Ctx, timeoutMs = 60_000): Promise<void> {
  // Deliveries only: an idle endpoint limiter stays open a minute in case more come, doing nothing.
  const query = `TaskQueue = '${ctx.stack.config.temporal.taskQueue}' AND WorkflowType = 'deliveryWorkflow' AND ExecutionStatus = 'Running'`;
  const deadline = Date.now() + timeoutMs;
  let open = 0;
  while (Date.now() < deadline) {
    open = (await ctx.stack.temporal.client.workflow.count(query)).count;
    if (open === 0) break;
    await sleep(500);
  }
  if (open > 0) say(`${open} workflows still open after ${timeoutMs / 1000}s; going on`);
  await sleep(1_000);
}
