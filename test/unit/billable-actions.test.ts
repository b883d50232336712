import assert from 'node:assert/strict';
import { test } from 'node:test';
import { temporal } from '@temporalio/proto';
import { billableActions } from '../../bench/support/billable-actions';

const T = temporal.api.enums.v1.EventType;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
const ev = (eventType: temporal.api.enums.v1.EventType, extra: Partial<HistoryEvent> = {}): HistoryEvent => ({ eventType, ...extra });
type EventId = NonNullable<temporal.api.history.v1.IMarkerRecordedEventAttributes['workflowTaskCompletedEventId']>;
// Decoded histories carry event IDs as Long; the counter only tells them apart, so a number stands in.
const marker = (taskEventId: number) => ev(T.EVENT_TYPE_MARKER_RECORDED, { markerRecordedEventAttributes: { workflowTaskCompletedEventId: taskEventId as unknown as EventId } });

void test('a local first attempt that succeeds: the start, one marker task, one upsert', () => {
  const counted = billableActions([
    ev(T.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED),
    ev(T.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED),
    ev(T.EVENT_TYPE_WORKFLOW_TASK_STARTED),
    ev(T.EVENT_TYPE_WORKFLOW_TASK_COMPLETED),
    // Two markers in the task that completed as event 4 (the patch and the local activity): one Action.
    marker(4),
    marker(4),
    ev(T.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES),
    ev(T.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED),
  ]);
  assert.deepEqual(counted, { total: 3, byKind: { 'workflow started': 1, 'search attributes upserted': 1, 'markers (per workflow task)': 1 } });
});

void test('retries: an activity started on its third attempt is two retries; local retries come from the task metering', () => {
  const counted = billableActions([
    ev(T.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED),
    ev(T.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, { workflowTaskCompletedEventAttributes: { meteringMetadata: { nonfirstLocalActivityExecutionAttempts: 2 } } }),
    marker(2),
    ev(T.EVENT_TYPE_TIMER_STARTED),
    ev(T.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED),
    ev(T.EVENT_TYPE_ACTIVITY_TASK_STARTED, { activityTaskStartedEventAttributes: { attempt: 3 } }),
    ev(T.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED),
    // Sent signals are billed where they are received, and memo changes are free.
    ev(T.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED),
    ev(T.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED),
  ]);
  assert.equal(counted.total, 9);
  assert.deepEqual(counted.byKind, {
    'workflow started': 1,
    'local activity retried': 2,
    'timer started': 1,
    'activity scheduled': 1,
    'activity retried': 2,
    'signal received': 1,
    'markers (per workflow task)': 1,
  });
});
