// Payload filters at fan-out. The accept statement (src/db/repos/events.ts) plans a subscription
// that has a filter only for the events this module found it matches, and only if the filter it
// evaluated is still the one stored (compared by version, in the same statement that inserts the
// plan). When it meets a filter it has no verdict for, it stores nothing and returns the pairs to
// evaluate; the caller evaluates them here and runs the statement again. So a filter changed at the
// same moment is never half-applied, and a tenant without filters pays nothing.
import { compileFilter, type EventTester, type FilterTarget } from './match';

/** A (event, subscription) pair whose filter the statement needs a verdict for. */
export interface PendingPair {
  /** 1-based position of the event in the statement's input. */
  ord: number;
  subscriptionId: string;
  version: string;
}

/** Verdicts handed to the statement: which filters (at which version) were evaluated, and the pairs that matched. */
export interface FilterVerdicts {
  evaluatedIds: string[];
  evaluatedVersions: string[];
  matchedOrds: number[];
  matchedIds: string[];
  /** A verdict holds for the version it was made for only. */
  matchedVersions: string[];
}

export const noVerdicts = (): FilterVerdicts => ({ evaluatedIds: [], evaluatedVersions: [], matchedOrds: [], matchedIds: [], matchedVersions: [] });

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

/**
 * Adds verdicts for `pending` to `verdicts` (kept from earlier passes: a verdict for an unchanged
 * version stays valid). `filters` holds each pending subscription's filter; `events` are the
 * statement's input in order, with `data` as the caller's JSON text.
 */
export function evaluatePending(
  events: { type: string; dataJson: string }[],
  pending: PendingPair[],
  filters: Record<string, unknown>,
  verdicts: FilterVerdicts,
): FilterVerdicts {
  const targets = new Map<number, FilterTarget>();
  const target = (ord: number): FilterTarget => {
    let t = targets.get(ord);
    if (!t) {
      const e = events[ord - 1]!;
      targets.set(ord, (t = { type: e.type, data: JSON.parse(e.dataJson) as unknown }));
    }
    return t;
  };
  const next: FilterVerdicts = {
    evaluatedIds: [...verdicts.evaluatedIds],
    evaluatedVersions: [...verdicts.evaluatedVersions],
    matchedOrds: [...verdicts.matchedOrds],
    matchedIds: [...verdicts.matchedIds],
    matchedVersions: [...verdicts.matchedVersions],
  };
  const evaluated = new Set<string>();
  for (const p of pending) {
    const key = `${p.subscriptionId}\u0000${p.version}`;
    if (!evaluated.has(key)) {
      evaluated.add(key);
      next.evaluatedIds.push(p.subscriptionId);
      next.evaluatedVersions.push(p.version);
    }
    if (testerFor(p.version, filters[p.subscriptionId])(target(p.ord))) {
      next.matchedOrds.push(p.ord);
      next.matchedIds.push(p.subscriptionId);
      next.matchedVersions.push(p.version);
    }
  }
  return next;
}
