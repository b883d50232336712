// Payload filters at fan-out. The accept statement (src/db/repos/events.ts) plans a subscription
// that has a filter for an event only with a verdict for that very pair, made for the version of the
// filter stored now (a digest compared in the same statement that inserts the plan). A pair without
// one makes the statement store nothing and return the pairs to evaluate; the caller evaluates them
// here and runs the statement again. So a filter changed at the same moment is never half-applied,
// and a tenant without filters pays nothing. Filters met before are remembered per (tenant, event
// type), so their verdicts go with the first pass and, while they do not change, one pass is enough.
import { compileFilter, type EventTester, type FilterTarget } from './match';

/** A (event, subscription) pair whose filter the statement needs a verdict for. */
export interface PendingPair {
  /** 1-based position of the event in the statement's input. */
  ord: number;
  subscriptionId: string;
  version: string;
}

/** Verdicts handed to the statement, one per pair, each for the version of the filter it judged. */
export interface FilterVerdicts {
  ords: number[];
  subscriptionIds: string[];
  versions: string[];
  matched: boolean[];
}

export interface FanoutEvent {
  tenantId: string;
  type: string;
  /** The caller's JSON text of `data`. */
  dataJson: string;
  onlySubscriptionId?: string;
}

export const noVerdicts = (): FilterVerdicts => ({ ords: [], subscriptionIds: [], versions: [], matched: [] });

// Compiled filters by version (a digest of the filter and event types), so a filter shared by many
// events is compiled once. Bounded: a busy process with many filters recompiles, it does not grow.
const MAX_CACHED = 10_000;
const testers = new Map<string, EventTester>();

function testerFor(version: string, filter: unknown): EventTester {
  let tester = testers.get(version);
  if (!tester) {
    if (testers.size >= MAX_CACHED) testers.delete(testers.keys().next().value!);
    testers.set(version, (tester = compileFilter(filter)));
  }
  return tester;
}

/** Each event's { type, data }, parsed once and only when a filter needs it. */
function targetsOf(events: Pick<FanoutEvent, 'type' | 'dataJson'>[]): (ord: number) => FilterTarget {
  const parsed = new Map<number, FilterTarget>();
  return (ord) => {
    let t = parsed.get(ord);
    if (!t) {
      const e = events[ord - 1]!;
      parsed.set(ord, (t = { type: e.type, data: JSON.parse(e.dataJson) as unknown }));
    }
    return t;
  };
}

function push(v: FilterVerdicts, ord: number, subscriptionId: string, version: string, matched: boolean): void {
  v.ords.push(ord);
  v.subscriptionIds.push(subscriptionId);
  v.versions.push(version);
  v.matched.push(matched);
}

/** `verdicts` plus a verdict for every pending pair (`filters` holds each pending subscription's filter). */
export function evaluatePending(events: Pick<FanoutEvent, 'type' | 'dataJson'>[], pending: PendingPair[], filters: Record<string, unknown>, verdicts: FilterVerdicts): FilterVerdicts {
  const target = targetsOf(events);
  const next: FilterVerdicts = { ords: [...verdicts.ords], subscriptionIds: [...verdicts.subscriptionIds], versions: [...verdicts.versions], matched: [...verdicts.matched] };
  for (const p of pending) push(next, p.ord, p.subscriptionId, p.version, testerFor(p.version, filters[p.subscriptionId])(target(p.ord)));
  return next;
}

const groupOf = (e: { tenantId: string; type: string }) => `${e.tenantId}\u0000${e.type}`;

/**
 * The filters this process has met, by (tenant, event type). Only a hint: a verdict for a filter
 * that changed or a subscription that went away is ignored by the statement (and reported stale,
 * so it is forgotten here); one it lacks is asked for. Bounded in the number of filters it holds.
 */
export class KnownFilters {
  private readonly groups = new Map<string, Map<string, { version: string; filter: unknown }>>();
  private size = 0;

  constructor(private readonly maxFilters = 10_000) {}

  /** Verdicts for every known filter of each event's (tenant, type): what a first pass carries. */
  firstVerdicts(events: FanoutEvent[]): FilterVerdicts {
    const out = noVerdicts();
    const target = targetsOf(events);
    events.forEach((e, i) => {
      if (e.onlySubscriptionId) return;
      for (const [id, f] of this.groups.get(groupOf(e)) ?? []) push(out, i + 1, id, f.version, testerFor(f.version, f.filter)(target(i + 1)));
    });
    return out;
  }

  /** Remembers the filters a pass asked verdicts for, under the groups of the events they concern. */
  learn(events: FanoutEvent[], pending: PendingPair[], filters: Record<string, unknown>): void {
    for (const p of pending) {
      const key = groupOf(events[p.ord - 1]!);
      let group = this.groups.get(key);
      if (!group) this.groups.set(key, (group = new Map<string, { version: string; filter: unknown }>()));
      if (!group.has(p.subscriptionId)) this.size += 1;
      group.set(p.subscriptionId, { version: p.version, filter: filters[p.subscriptionId] });
      // Oldest groups go first when the bound is passed (a Map iterates in insertion order).
      for (const [oldest, entries] of this.groups) {
        if (this.size <= this.maxFilters || oldest === key) break;
        this.size -= entries.size;
        this.groups.delete(oldest);
      }
    }
  }

  /** Forgets filters whose verdicts the statement did not need (changed or removed, subscription gone), at that version only. */
  forget(events: FanoutEvent[], stale: { subscriptionId: string; version: string }[]): void {
    for (const key of new Set(events.map(groupOf))) {
      const group = this.groups.get(key);
      if (!group) continue;
      for (const { subscriptionId, version } of stale) {
        if (group.get(subscriptionId)?.version === version && group.delete(subscriptionId)) this.size -= 1;
      }
      if (group.size === 0) this.groups.delete(key);
    }
  }

  get filters(): number {
    return this.size;
  }
}
