// The one owner of a delivery's status. The workflow moves its status with these functions, and the
// first round's attempt writes its delivery record with the same ones, so a record written live and a
// `status` query answered by replay cannot disagree. Pure: the time is always passed in.
import type { AttemptReport, DeliveryInput, DeliveryState, DeliveryStatus, RoundSummary } from './messages';

// Enough rounds for an operator to read the recent story; the totals cover the rest.
const ROUNDS_KEPT = 20;

/** How a round ended, as the workflow saw it. */
export type RoundResult =
  | { kind: 'stalled' }
  | { kind: 'succeeded'; report: AttemptReport }
  | { kind: 'failed'; report?: AttemptReport }
  | { kind: 'discarded'; reason: string }
  | { kind: 'superseded' };

export function newStatus(input: Pick<DeliveryInput, 'deliveryId' | 'eventId' | 'subscriptionId' | 'eventType'>): DeliveryStatus {
  return {
    deliveryId: input.deliveryId,
    eventId: input.eventId,
    subscriptionId: input.subscriptionId,
    eventType: input.eventType,
    state: 'scheduled',
    attempts: 0,
    roundCount: 0,
    rounds: [],
  };
}

export function startRound(status: DeliveryStatus, trigger: RoundSummary['trigger'], startedAt: string): RoundSummary {
  status.roundCount += 1;
  const round: RoundSummary = { round: status.roundCount, trigger, startedAt, attempts: 0 };
  status.rounds.push(round);
  if (status.rounds.length > ROUNDS_KEPT) status.rounds.shift();
  status.nextAttemptAt = undefined;
  return round;
}

/** An attempt's report, which may arrive twice (a signal, then the final result): each attempt counts once. */
export function applyAttempt(status: DeliveryStatus, round: RoundSummary, reported: AttemptReport): void {
  const { unrecorded: _unrecorded, ...report } = reported;
  if (report.attempt > round.attempts) {
    status.attempts += report.attempt - round.attempts;
    round.attempts = report.attempt;
  }
  round.lastStatusCode = report.statusCode;
  round.lastError = report.error;
  status.lastResponse = report;
  status.nextAttemptAt = report.nextAttemptAt;
}

export function endRound(status: DeliveryStatus, round: RoundSummary, result: RoundResult, nowMs: number): void {
  // Workflow time stands still within a workflow task, and a local attempt runs inside one: the
  // round cannot have ended before its last attempt did.
  const report = 'report' in result ? result.report : undefined;
  const attemptEnd = report ? Date.parse(report.at) + report.durationMs : NaN;
  // A success ends its round when its attempt ended, an instant the attempt itself knows.
  const endMs = Number.isFinite(attemptEnd) ? (result.kind === 'succeeded' ? attemptEnd : Math.max(nowMs, attemptEnd)) : nowMs;
  round.endedAt = new Date(endMs).toISOString();
  round.outcome = result.kind;
  if ((result.kind === 'succeeded' || result.kind === 'failed') && result.report) applyAttempt(status, round, result.report);
  if (result.kind === 'discarded') round.lastError = result.reason;
  status.nextAttemptAt = undefined;
}

export function finish(status: DeliveryStatus, state: DeliveryState, nowMs: number): DeliveryStatus {
  status.state = state;
  status.nextAttemptAt = undefined;
  const lastEnd = Date.parse(status.rounds[status.rounds.length - 1]?.endedAt ?? '');
  // A success closes when its last attempt ended (the instant its attempt recorded); anything else now.
  const endMs = Number.isFinite(lastEnd) ? (state === 'succeeded' ? lastEnd : Math.max(nowMs, lastEnd)) : nowMs;
  status.completedAt = new Date(endMs).toISOString();
  return status;
}

/**
 * The status the workflow holds once an attempt of its first round has reported: what that attempt
 * writes to the delivery record, so the happy path needs no write from the workflow. Undefined when
 * the attempt neither succeeded nor will be retried (the workflow writes the record itself then).
 */
export function statusAfterFirstRoundAttempt(
  input: Pick<DeliveryInput, 'deliveryId' | 'eventId' | 'subscriptionId' | 'eventType'>,
  roundStartedAt: string,
  report: AttemptReport,
  succeeded: boolean,
): DeliveryStatus | undefined {
  if (!succeeded && report.nextAttemptAt === undefined) return undefined;
  const status = newStatus(input);
  const round = startRound(status, 'initial', roundStartedAt);
  if (!succeeded) {
    applyAttempt(status, round, report);
    status.state = 'retrying';
    return status;
  }
  const endMs = Date.parse(report.at) + report.durationMs;
  endRound(status, round, { kind: 'succeeded', report }, endMs);
  return finish(status, 'succeeded', endMs);
}
