// Signals, queries and the shapes they carry. Imported by the workflows and by the API/CLI side,
// so it must stay free of side effects and Node built-ins.
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { DeliveryState } from './delivery-states';
import type { RateSlot, VersionedLimits } from './throttle/messages';
import type { FifoPlace } from './ordering/messages';

export type { DeliveryState };

export interface RetryPolicyInput {
  maxAttempts: number;
  initialIntervalMs: number;
  backoffCoefficient: number;
  maxIntervalMs: number;
}

export interface DeliveryInput {
  deliveryId: string;
  eventId: string;
  subscriptionId: string;
  eventType: string;
  retryPolicy: RetryPolicyInput;
  requestTimeoutMs: number;
  deadLetterRetentionSeconds: number;
  /** Present only after continue-as-new: the state carried over from the previous run. */
  carried?: DeliveryStatus;
  /** After continue-as-new: what started the round the new run begins with. */
  nextTrigger?: RoundSummary['trigger'];
  /**
   * The workflow revision the run was started for (DELIVERY_REVISION). The input is in history, so
   * branching on it is deterministic without a patch marker per delivery; absent in older runs.
   */
  revision?: number;
  /**
   * The subscription's `throttle` when the delivery was started: every attempt then takes a slot
   * from the endpoint's limiter first. Absent for unthrottled subscriptions and in older runs.
   */
  throttle?: VersionedLimits;
  /**
   * Set for an endpoint known to be slow (no success since its last slow or timed-out attempt): its
   * attempts run as regular activities, never as a local first attempt that would hold
   * a workflow-task slot, and take a slot from the tenant's lane limiter, so one tenant's hanging
   * endpoints hold at most `maxInFlight` attempts at once. Absent in older runs.
   */
  lane?: { limiterId: string; maxInFlight: number };
  /**
   * Set for an endpoint not yet known to answer fast (a new one): the first attempt runs as a regular
   * activity, which holds an activity slot while it waits, not the workflow-task slot a local
   * attempt holds, so many such endpoints hanging at once do not hold up known-fast ones. No
   * limiter is asked: a burst to a new endpoint goes out at full speed. Absent in older runs.
   */
  regularFirstAttempt?: boolean;
  /** A FIFO subscription's delivery: its place in the line, whose turn it waits for before its first round. */
  fifo?: FifoPlace;
}

/** What the delivery activity is called with: IDs and the policy only, never a body or a secret. */
export interface DeliverInput {
  deliveryId: string;
  eventId: string;
  subscriptionId: string;
  round: number;
  retryPolicy: RetryPolicyInput;
  /** Attempts of this round made before this activity's first: a local first attempt counts as one. */
  attemptOffset?: number;
  /** The round as the workflow opened it (absent from workflows started before delivery records). */
  trigger?: RoundSummary['trigger'];
  roundStartedAt?: string;
  /** A throttled attempt's rate slot: it goes out within it or not at all (activities/throttle-slot.ts). */
  slot?: RateSlot;
}

/**
 * The revision new deliveries start with. Each revision's changes apply only to runs started with
 * it or later, so runs started before replay as recorded:
 * 1: the local first attempt and the closing record write, without asking patched() (runs with no
 *    revision still decide with patched());
 * 2: the first round starts at the delivery's start time, read from history, not at the first
 *    activation (FIRST_ROUND_AT_START_REVISION);
 * 3: a FIFO delivery lets the server record its outcome before it tells its line the turn is over
 *    (FIFO_SETTLED_TURN_REVISION);
 * 4: it tells its line again from the workflow task of its last attempt, now that an attempt whose
 *    success is in the attempt log is never sent again (FIFO_TURN_IN_ATTEMPT_TASK_REVISION).
 */
export const DELIVERY_REVISION = 4;
export const FIRST_ROUND_AT_START_REVISION = 2;
export const FIFO_SETTLED_TURN_REVISION = 3;
export const FIFO_TURN_IN_ATTEMPT_TASK_REVISION = 4;

/** What one HTTP attempt produced; small on purpose (no bodies beyond a short excerpt). */
export interface AttemptReport {
  round: number;
  attempt: number;
  at: string;
  durationMs: number;
  statusCode?: number;
  error?: string;
  /** When the next attempt is due, if the activity knows one will follow. */
  nextAttemptAt?: string;
  /** Set by a successful attempt whose delivery-record write failed: the workflow writes it instead. Never kept in the status. */
  unrecorded?: boolean;
}

export type RoundOutcome = 'succeeded' | 'failed' | 'discarded' | 'superseded' | 'stalled';

export interface RoundSummary {
  round: number;
  /** `resume`: a new round after one stalled because hookflow's own database was unavailable. */
  trigger: 'initial' | 'redeliver' | 'resume';
  startedAt: string;
  endedAt?: string;
  attempts: number;
  outcome?: RoundOutcome;
  lastStatusCode?: number;
  lastError?: string;
}

export interface DeliveryStatus {
  deliveryId: string;
  eventId: string;
  subscriptionId: string;
  eventType: string;
  state: DeliveryState;
  /** Total HTTP attempts across all rounds. */
  attempts: number;
  roundCount: number;
  /** The most recent rounds (older ones are summarised by roundCount and attempts). */
  rounds: RoundSummary[];
  lastResponse?: AttemptReport;
  nextAttemptAt?: string;
  deadLetteredAt?: string;
  retentionEndsAt?: string;
  completedAt?: string;
  /** Set while the delivery waits for a slot of its endpoint's throttle or its tenant's lane (no attempt is being spent). */
  throttledSince?: string;
  /** A FIFO delivery's place in its subscription's line; `waitingSince` while it waits for its turn. */
  fifo?: { sequence: number; waitingSince?: string };
}

export const statusQuery = defineQuery<DeliveryStatus>('status');
export const redeliverSignal = defineSignal('redeliver');
export const discardSignal = defineSignal<[{ reason?: string }?]>('discard');
/** Sent by the delivery activity after a failed attempt that will be retried. */
export const attemptFailedSignal = defineSignal<[AttemptReport]>('attemptFailed');

export interface DeadLetterNotice {
  deliveryId: string;
  eventId: string;
  eventType: string;
  at: string;
  lastStatusCode?: number;
  lastError?: string;
  /** The subscription's last successful delivery, read when the notice was sent. */
  subscriptionLastSuccessAt?: string;
}

export interface DeadLetterInput {
  subscriptionId: string;
  autoDisableAfter: number;
  keep: number;
  carried?: DeadLetterState;
}

export interface DeadLetterState {
  subscriptionId: string;
  total: number;
  consecutive: number;
  lastDeadLetterAt?: string;
  autoDisabledAt?: string;
  recent: DeadLetterNotice[];
}

export const deadLetteredSignal = defineSignal<[DeadLetterNotice]>('deadLettered');
export const deadLetterStatusQuery = defineQuery<DeadLetterState>('status');

export const deadLetterWorkflowId = (subscriptionId: string): string => `dead-letters-${subscriptionId}`;

/** ApplicationFailure types the delivery activity raises; the workflow branches on them. */
export const FailureTypes = {
  subscriptionInactive: 'SubscriptionInactive',
  eventMissing: 'EventMissing',
  http: 'HttpError',
  network: 'NetworkError',
  addressRefused: 'AddressNotAllowed',
  databaseUnavailable: 'DatabaseUnavailable',
  /** The worker cannot decrypt the signing secret (HOOKFLOW_SECRET_KEYS lacks its key); nothing was sent. */
  secretUnavailable: 'SecretUnavailable',
} as const;

export interface RecoverInput {
  subscriptionId: string;
  /** Deliveries that ended (dead-lettered or discarded) in [since, until). The API fixes `until`. */
  since: string;
  until: string;
  pageSize?: number;
  /** After continue-as-new. */
  carried?: RecoverProgress;
}

export interface RecoverProgress {
  subscriptionId: string;
  since: string;
  until: string;
  state: 'running' | 'completed';
  /** Deliveries found in the window so far. */
  matched: number;
  resent: number;
  /** Found but not resent: no longer dead, being redelivered already, or the subscription is off. */
  skipped: number;
  /** `skipped` by reason (delivery_missing, no_longer_dead, subscription_disabled, already_being_redelivered). */
  skippedByReason?: Record<string, number>;
  /** Keyset position: the last delivery ID handled. */
  cursor?: string;
  startedAt: string;
  completedAt?: string;
}

export const recoverProgressQuery = defineQuery<RecoverProgress>('progress');
export const recoverWorkflowId = (subscriptionId: string, suffix: string): string => `recover-${subscriptionId}-${suffix}`;

export interface PurgeInput {
  retentionSeconds: number;
  batchSize?: number;
}

export interface PurgeReport {
  cutoff: string;
  events: number;
  deliveries: number;
  attempts: number;
  /** Stats rollup rows; absent in reports of runs from before the rollups. */
  rollups?: number;
  batches: number;
}

export const PURGE_SCHEDULE_ID = 'hookflow-purge';
