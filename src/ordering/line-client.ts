// The API's side of the FIFO lines (workflows/ordering/line.ts): what holds a line, and what waits.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { lineStateQuery, lineWorkflowId, type LineView } from '../../workflows/ordering/messages';

/** The line's own answer, or undefined when none runs (no FIFO delivery of the subscription has asked yet). */
export async function lineView(temporal: Client, subscriptionId: string): Promise<LineView | undefined> {
  const handle = temporal.workflow.getHandle(lineWorkflowId(subscriptionId));
  try {
    const { status } = await handle.describe();
    if (status.name !== 'RUNNING') return undefined;
    return await handle.query(lineStateQuery);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}
