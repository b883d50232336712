import { condition, continueAsNew, getExternalWorkflowHandle, setHandler, upsertMemo, workflowInfo } from '@temporalio/workflow';
import {
  acquireSlotSignal,
  configureLimitsSignal,
  limiterStateQuery,
  releaseSlotSignal,
  slotGrantedSignal,
  slotMissedSignal,
  type LimiterInput,
  type LimiterState,
  type LimiterView,
  type VersionedLimits,
  type WaitingRequest,
} from './messages';
import { decide, forget, requeue } from './schedule';

// A limiter with nothing waiting or held closes after this quiet spell; the next request starts a new one.
const IDLE_CLOSE_MS = 60_000;
// Each grant is a few history events (two signals in, one out, a timer): roll over well before the limits.
const GRANTS_PER_RUN = 1_000;
// The memo feeds the throttled-deliveries gauge; writing it at most this often keeps history small.
const MEMO_EVERY_MS = 1_000;

/**
 * One per throttled subscription (`throttle-<subscriptionId>`), and one per tenant for its
 * deliveries to endpoints not yet known to be fast (`lane-<taskQueue>-<tenantId>`): the single place that hands
 * out their slots, so `perSecond` and `maxInFlight` hold across every worker replica. Delivery
 * workflows ask by signal and wait for a grant signal; rate slots open on durable timers, never by
 * polling. A slot whose holder never gives it back returns when its lease runs out.
 */
export async function endpointLimiterWorkflow(input: LimiterInput): Promise<void> {
  const state: LimiterState = input.carried ?? {
    key: input.key,
    limits: {},
    version: -1,
    waiting: [],
    held: [],
    nextGrantAt: 0,
    leadMs: 0,
    granted: 0,
  };
  let changed = false;
  let grantsThisRun = 0;
  let memo = { at: -Infinity, waiting: -1, inFlight: -1 };
  const notices = new Set<Promise<void>>();

  setHandler(limiterStateQuery, () => view(state));
  setHandler(acquireSlotSignal, (req) => {
    adopt(state, req);
    // The request is sent by a retried activity: a second copy must not take a second place.
    if (state.waiting.some((w) => w.requestId === req.requestId) || state.held.some((h) => h.requestId === req.requestId)) return;
    state.waiting.push({ requestId: req.requestId, deliveryId: req.deliveryId, leaseMs: req.leaseMs, since: Date.now() });
    changed = true;
  });
  setHandler(releaseSlotSignal, ({ requestId }) => {
    if (forget(state, requestId)) changed = true;
  });
  setHandler(slotMissedSignal, (missed) => {
    if (requeue(state, missed, Date.now())) changed = true;
  });
  setHandler(configureLimitsSignal, (v) => {
    if (adopt(state, v)) changed = true;
  });

  for (;;) {
    changed = false;
    const decision = decide(state, Date.now());
    for (const grant of decision.granted) notify(grant);
    grantsThisRun += decision.granted.length;
    writeMemo(false);

    if (state.waiting.length === 0 && state.held.length === 0) {
      writeMemo(true);
      if (await condition(() => changed, IDLE_CLOSE_MS)) continue;
      await Promise.all(notices);
      if (!changed) return;
      continue;
    }
    if (grantsThisRun >= GRANTS_PER_RUN || workflowInfo().continueAsNewSuggested) {
      // Grants already sent must reach their deliveries before this run ends.
      await Promise.all(notices);
      return continueAsNew<typeof endpointLimiterWorkflow>({ key: input.key, carried: state });
    }
    if (decision.wakeAt === undefined) await condition(() => changed);
    else await condition(() => changed, Math.max(1, decision.wakeAt - Date.now()));
  }

  /** Tells a delivery it holds a slot; a delivery that is gone (discarded, finished) gives it back. */
  function notify(grant: WaitingRequest): void {
    const sent: Promise<void> = getExternalWorkflowHandle(grant.deliveryId)
      .signal(slotGrantedSignal, { requestId: grant.requestId, ...(grant.slot ? { slot: grant.slot } : {}) })
      .catch(() => {
        if (forget(state, grant.requestId)) changed = true;
      })
      .finally(() => notices.delete(sent));
    notices.add(sent);
  }

  function writeMemo(force: boolean): void {
    const now = Date.now();
    if (memo.waiting === state.waiting.length && memo.inFlight === state.held.length) return;
    if (!force && now - memo.at < MEMO_EVERY_MS) return;
    memo = { at: now, waiting: state.waiting.length, inFlight: state.held.length };
    upsertMemo({ key: state.key, waiting: memo.waiting, inFlight: memo.inFlight });
  }
}

/** Takes limits newer than the ones held; true if they changed. */
function adopt(state: LimiterState, v: VersionedLimits): boolean {
  if (v.version <= state.version) return false;
  state.limits = { ...v.limits };
  state.version = v.version;
  return true;
}

function view(state: LimiterState): LimiterView {
  const oldest = state.waiting[0]?.since;
  return {
    limits: state.limits,
    waiting: state.waiting.length,
    inFlight: state.held.length,
    granted: state.granted,
    ...(oldest !== undefined ? { oldestWaitingSince: new Date(oldest).toISOString() } : {}),
    ...(state.waiting.length > 0 && state.limits.perSecond !== undefined ? { nextGrantAt: new Date(state.nextGrantAt).toISOString() } : {}),
  };
}
