// The Temporal SDK's own worker metrics (schedule-to-start latencies, task slots, sticky cache...).
// Core, the SDK's Rust part, records them natively and can export them only through its own
// exporter; prom-client cannot see them. So the runtime is installed with Core's Prometheus exporter
// bound to a private loopback port, and the worker's /metrics appends what that port serves. One
// scrape then covers hookflow's and Temporal's metrics, under one access rule, and the SDK's
// histograms stay exactly as the SDK computes them (no re-bucketing through a bridge).
import type { MetricsExporterConfig } from '@temporalio/worker';
import { TEMPORAL_SDK_METRIC_PREFIX } from './names';

const SCRAPE_TIMEOUT_MS = 2_000;

let sdkMetricsUrl: string | undefined;

export function sdkMetricsExporter(port: number): MetricsExporterConfig {
  sdkMetricsUrl = `http://127.0.0.1:${port}/metrics`;
  return { metricPrefix: TEMPORAL_SDK_METRIC_PREFIX, prometheus: { bindAddress: `127.0.0.1:${port}` } };
}

/** Where Core serves its metrics in this process; undefined when someone else installed the runtime. */
export function sdkMetricsEndpoint(): string | undefined {
  return sdkMetricsUrl;
}

/** Core's exposition, or a comment saying why it is missing: hookflow's own metrics are still served. */
export async function scrapeSdkMetrics(url: string): Promise<string> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(SCRAPE_TIMEOUT_MS) });
    if (!res.ok) return `# Temporal SDK metrics unavailable: ${res.status}\n`;
    return await res.text();
  } catch (err) {
    return `# Temporal SDK metrics unavailable: ${(err as Error).message.replace(/\n/g, ' ')}\n`;
  }
}
