import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Config } from '../config';
import { METRIC } from './names';
import type { StatusClass } from './status-class';

export type DeliveryOutcome = 'succeeded' | 'dead_lettered' | 'discarded';
export type DisableReason = 'gone' | 'auto_disabled';

// Webhook endpoints answer in milliseconds to tens of seconds; the 5 s alert needs a bound at 5.
const ATTEMPT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
// Accepted → first success spans a local first attempt (ms) to retries hours later.
const LATENCY_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600, 21600, 86400];

/**
 * One process's metrics, in a registry of its own (not prom-client's global one), so two stacks in
 * one test process, or an API and a worker sharing a process, each count exactly what they did.
 * Labels are bounded: outcome, status class, reason, route, status code; `tenant` only when
 * HOOKFLOW_METRICS_TENANT_LABEL is on. Never a delivery, event or subscription ID.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly tenantLabel: boolean;
  private readonly finished: Counter;
  private readonly attempts: Counter;
  private readonly attemptDuration: Histogram;
  private readonly latency: Histogram;
  private readonly retries: Counter;
  private readonly deadLetters: Counter;
  private readonly disabled: Counter;
  private readonly ingest: Counter;
  private readonly accepted: Counter;
  private readonly operational: Counter;
  private readonly watched = new Set<string>();
  private readonly textSources: (() => Promise<string>)[] = [];

  constructor(opts: { tenantLabel?: boolean } = {}) {
    this.tenantLabel = opts.tenantLabel === true;
    const t = this.tenantLabel ? ['tenant'] : [];
    const registers = [this.registry];
    this.finished = new Counter({ name: METRIC.deliveriesFinished, help: 'Deliveries that reached an end: succeeded, dead_lettered (attempts exhausted or refused), discarded (subscription or event gone)', labelNames: ['outcome', ...t], registers });
    this.attempts = new Counter({ name: METRIC.attempts, help: 'HTTP attempts by status class (2xx, 3xx, 4xx, 5xx, network, timeout, refused, other)', labelNames: ['status_class', ...t], registers });
    this.attemptDuration = new Histogram({ name: METRIC.attemptDuration, help: 'Duration of one HTTP attempt, request to end of the (truncated) response', labelNames: ['status_class'], buckets: ATTEMPT_BUCKETS, registers });
    this.latency = new Histogram({ name: METRIC.deliveryLatency, help: 'Event accepted to the first successful attempt of its delivery (first round only: redeliveries measure the operator, not hookflow)', buckets: LATENCY_BUCKETS, registers });
    this.retries = new Counter({ name: METRIC.retries, help: 'Failed attempts that will be retried under the retry policy', labelNames: t, registers });
    this.deadLetters = new Counter({ name: METRIC.deadLetters, help: 'Deliveries dead-lettered after their last attempt', labelNames: t, registers });
    this.disabled = new Counter({ name: METRIC.subscriptionsDisabled, help: 'Subscriptions disabled by hookflow: gone (410) or auto_disabled (dead letters in a row)', labelNames: ['reason', ...t], registers });
    this.ingest = new Counter({ name: METRIC.ingestRequests, help: 'Ingest requests by route and HTTP status', labelNames: ['route', 'status'], registers });
    this.accepted = new Counter({ name: METRIC.eventsAccepted, help: 'Events newly stored by ingest (idempotent replays not counted)', labelNames: t, registers });
    this.operational = new Counter({ name: METRIC.operationalEvents, help: 'Operational events (hookflow.*) newly emitted, by type', labelNames: ['type'], registers });
  }

  /** Process CPU, memory, event-loop lag: once per registry. */
  withProcessMetrics(): this {
    if (this.once('process')) collectDefaultMetrics({ register: this.registry, prefix: 'hookflow_' });
    return this;
  }

  attempt(cls: StatusClass, durationMs: number, tenantId: string): void {
    this.attempts.inc(this.labels({ status_class: cls }, tenantId));
    this.attemptDuration.observe({ status_class: cls }, durationMs / 1000);
  }

  deliveryFinished(outcome: DeliveryOutcome, tenantId: string | undefined): void {
    this.finished.inc(this.labels({ outcome }, tenantId));
  }

  firstSuccessLatency(seconds: number): void {
    if (seconds >= 0) this.latency.observe(seconds);
  }

  retryScheduled(tenantId: string): void {
    this.retries.inc(this.labels({}, tenantId));
  }

  deadLettered(tenantId: string | undefined): void {
    this.deadLetters.inc(this.labels({}, tenantId));
  }

  subscriptionDisabled(reason: DisableReason, tenantId: string | undefined): void {
    this.disabled.inc(this.labels({ reason }, tenantId));
  }

  ingestRequest(route: string, status: number): void {
    this.ingest.inc({ route, status: String(status) });
  }

  eventsAccepted(byTenant: Map<string, number>): void {
    for (const [tenantId, n] of byTenant) this.accepted.inc(this.labels({}, tenantId), n);
  }

  operationalEvent(type: string): void {
    this.operational.inc({ type });
  }

  /** A gauge read at scrape time. Registered once per name, so a shared registry can be watched twice. */
  gauge(name: string, help: string, read: () => number | undefined | Promise<number | undefined>): void {
    if (!this.once(`gauge:${name}`)) return;
    new Gauge({
      name,
      help,
      registers: [this.registry],
      async collect() {
        // A source that cannot answer (database down) leaves the last value rather than failing the scrape.
        const v = await Promise.resolve()
          .then(read)
          .catch(() => undefined);
        if (v !== undefined) this.set(v);
      },
    });
  }

  /** Another exposition appended to ours (the Temporal SDK's own endpoint), once per key. */
  appendText(key: string, source: () => Promise<string>): void {
    if (this.once(`text:${key}`)) this.textSources.push(source);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The Prometheus text exposition: ours, then any appended sources. */
  async render(): Promise<string> {
    const parts = [await this.registry.metrics(), ...(await Promise.all(this.textSources.map((s) => s())))];
    return parts.filter((p) => p.length > 0).map((p) => (p.endsWith('\n') ? p : `${p}\n`)).join('');
  }

  private once(key: string): boolean {
    if (this.watched.has(key)) return false;
    this.watched.add(key);
    return true;
  }

  private labels<T extends Record<string, string>>(base: T, tenantId: string | undefined): T & { tenant?: string } {
    return this.tenantLabel ? { ...base, tenant: tenantId ?? 'unknown' } : base;
  }
}

let processMetrics: Metrics | undefined;

/**
 * The metrics of this process when the caller passes none: an API and a worker started in one process
 * (`hookflow dev`) then count into one registry and serve it once.
 */
export function sharedMetrics(config: Pick<Config, 'metricsTenantLabel'>): Metrics {
  processMetrics ??= new Metrics({ tenantLabel: config.metricsTenantLabel }).withProcessMetrics();
  return processMetrics;
}
