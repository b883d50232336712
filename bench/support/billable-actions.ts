// Billable Temporal Cloud Actions in one workflow's recorded history, by Temporal Cloud's published
// counting rules. What a history does not show (queries, heartbeats that reach the server) is left
// out and said so by the caller.
import { temporal } from '@temporalio/proto';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
const T = temporal.api.enums.v1.EventType;

export interface ActionCount {
  total: number;
  /** Actions by kind, for reading where they come from. */
  byKind: Record<string, number>;
}

/**
 * - a workflow start: 1 (search attributes given at the start are free);
 * - each search-attribute upsert: 1;
 * - each activity scheduled: 1, and each retry of it (the started event's attempt − 1);
 * - markers (local activities, patches): 1 per workflow task that records any, plus every local
 *   activity attempt after the first (the task's metering metadata);
 * - each timer started: 1;
 * - each signal received: 1 (a signal this workflow sends is billed in the receiver's history).
 */
export function billableActions(events: HistoryEvent[]): ActionCount {
  const byKind: Record<string, number> = {};
  const add = (kind: string, n = 1) => {
    if (n > 0) byKind[kind] = (byKind[kind] ?? 0) + n;
  };
  const tasksWithMarkers = new Set<string>();
  for (const e of events) {
    switch (e.eventType) {
      case T.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
        add('workflow started');
        break;
      case T.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
        add('search attributes upserted');
        break;
      case T.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
        add('activity scheduled');
        break;
      case T.EVENT_TYPE_ACTIVITY_TASK_STARTED:
        add('activity retried', (e.activityTaskStartedEventAttributes?.attempt ?? 1) - 1);
        break;
      case T.EVENT_TYPE_MARKER_RECORDED:
        tasksWithMarkers.add(String(e.markerRecordedEventAttributes?.workflowTaskCompletedEventId ?? ''));
        break;
      case T.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
        add('local activity retried', e.workflowTaskCompletedEventAttributes?.meteringMetadata?.nonfirstLocalActivityExecutionAttempts ?? 0);
        break;
      case T.EVENT_TYPE_TIMER_STARTED:
        add('timer started');
        break;
      case T.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
        add('signal received');
        break;
      default:
        break;
    }
  }
  add('markers (per workflow task)', tasksWithMarkers.size);
  return { total: Object.values(byKind).reduce((a, b) => a + b, 0), byKind };
}
