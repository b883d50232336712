import type { Client } from '@temporalio/client';
import type { DeliveryState } from '../../workflows/messages';

export interface DeliveryListFilter {
  status?: DeliveryState;
  tenantId?: string;
  subscriptionId?: string;
  eventType?: string;
  eventId?: string;
  /** Only deliveries whose workflow started at or after this time. */
  since?: Date;
  /** Only workflows still running (waiting dead letters, retries). */
  openOnly?: boolean;
}

export interface DeliverySummary {
  id: string;
  /** Empty for deliveries started before tenants existed: they all belong to `default`. */
  tenantId: string;
  eventId: string;
  subscriptionId: string;
  eventType: string;
  status: string;
  startedAt: string | null;
  closedAt: string | null;
}

// Values reach the query only after API validation (IDs and event types are [A-Za-z0-9_.:-]);
// quoting is still escaped so the query can never be broken out of.
const quote = (v: string) => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** Temporal visibility query over the Hookflow search attributes. */
export function deliveryQuery(f: DeliveryListFilter): string {
  const parts = [`WorkflowType = 'deliveryWorkflow'`];
  if (f.status) parts.push(`HookflowStatus = ${quote(f.status)}`);
  if (f.tenantId) parts.push(`HookflowTenantId = ${quote(f.tenantId)}`);
  if (f.subscriptionId) parts.push(`HookflowSubscriptionId = ${quote(f.subscriptionId)}`);
  if (f.eventType) parts.push(`HookflowEventType = ${quote(f.eventType)}`);
  if (f.eventId) parts.push(`HookflowEventId = ${quote(f.eventId)}`);
  if (f.since) parts.push(`StartTime >= ${quote(f.since.toISOString())}`);
  if (f.openOnly) parts.push(`ExecutionStatus = 'Running'`);
  return parts.join(' AND ');
}

/** One page of deliveries, newest first (the visibility store's default order). */
export async function listDeliveries(
  temporal: Client,
  filter: DeliveryListFilter,
  page: { pageSize: number; pageToken?: Uint8Array },
): Promise<{ items: DeliverySummary[]; nextPageToken?: Uint8Array }> {
  const res = await temporal.workflowService.listWorkflowExecutions({
    namespace: temporal.options.namespace,
    query: deliveryQuery(filter),
    pageSize: page.pageSize,
    nextPageToken: page.pageToken,
  });
  const items = (res.executions ?? []).map((e) => {
    const sa = e.searchAttributes?.indexedFields ?? {};
    return {
      id: e.execution?.workflowId ?? '',
      tenantId: keyword(sa.HookflowTenantId) || 'default',
      eventId: keyword(sa.HookflowEventId),
      subscriptionId: keyword(sa.HookflowSubscriptionId),
      eventType: keyword(sa.HookflowEventType),
      status: keyword(sa.HookflowStatus),
      startedAt: timestamp(e.startTime),
      closedAt: timestamp(e.closeTime),
    };
  });
  const token = res.nextPageToken && res.nextPageToken.length > 0 ? res.nextPageToken : undefined;
  return { items, nextPageToken: token };
}

/** Walks every page (bounded by `max`) and calls `fn` for each match. */
export async function forEachDelivery(
  temporal: Client,
  filter: DeliveryListFilter,
  max: number,
  fn: (d: DeliverySummary[]) => Promise<void>,
): Promise<number> {
  let seen = 0;
  let pageToken: Uint8Array | undefined;
  do {
    const page = await listDeliveries(temporal, filter, { pageSize: Math.min(1000, max - seen), pageToken });
    seen += page.items.length;
    await fn(page.items);
    pageToken = page.nextPageToken;
  } while (pageToken && seen < max);
  return seen;
}

// Keyword search attributes arrive as JSON payloads; a multi-valued attribute would be an array.
function keyword(p: { data?: Uint8Array | null } | undefined): string {
  if (!p?.data) return '';
  const v = JSON.parse(Buffer.from(p.data).toString('utf8')) as unknown;
  return Array.isArray(v) ? String(v[0] ?? '') : String(v);
}

function timestamp(t: { seconds?: unknown; nanos?: number | null } | null | undefined): string | null {
  if (!t || t.seconds === undefined || t.seconds === null) return null;
  const ms = Number(t.seconds) * 1000 + Math.floor((t.nanos ?? 0) / 1e6);
  return new Date(ms).toISOString();
}
