// Where the time of one delivery at 20/s goes, from hookflow's clocks and the recorded history:
// accepted (event row) → workflow started (history) → first workflow task started → the attempt's
// start (after its target read) → its end → the workflow task that records it completed.
//   npx tsx bench/prototypes/latency-stages.ts
import os from 'node:os';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { generateSecret } from '../../src/signing/standard-webhooks';
import { createSingleSubscriptions, BENCH_EVENT_TYPES } from '../scenarios/setup';
import { settle, type Ctx } from '../support/context';
import { startDriver } from '../support/driver-client';
import { startBenchStack } from '../support/stack';
import { percentiles } from '../support/stats';

const T = temporal.api.enums.v1.EventType;
const ms = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) => Number(t?.seconds ?? 0) * 1000 + (t?.nanos ?? 0) / 1e6;

async function main() {
  const stack = await startBenchStack({ logFile: path.join(os.tmpdir(), 'hookflow-latency-stages.log') });
  const driver = await startDriver();
  try {
    const secret = generateSecret();
    const { url: receiverUrl } = await driver.call<{ url: string }>('startReceiver', { secret });
    const ctx = { quick: true, stack, driver, apiUrl: stack.api.url, receiverUrl, secret, runId: `st${Date.now() % 100000}-`, watched: [] } as unknown as Ctx;
    await createSingleSubscriptions(ctx);
    for (const [label, count] of [['warm', 100], ['measure', 160]] as const) {
      const prefix = `${ctx.runId}${label}-`;
      await driver.call('submitRate', { url: ctx.apiUrl, key: stack.config.apiKeys[0], rate: 20, count, type: BENCH_EVENT_TYPES.delivery, idPrefix: prefix });
      await settle(ctx);
      if (label === 'warm') continue;
      const { rows } = await stack.db.query<{ delivery_id: string; created: Date; started: Date; duration_ms: number }>(
        `SELECT a.delivery_id, e.created_at AS created, a.started_at AS started, a.duration_ms FROM events e JOIN delivery_attempts a ON a.event_id = e.id AND a.attempt = 1 WHERE e.id LIKE $1`,
        [`${prefix}%`],
      );
      const stages: Record<string, number[]> = { acceptedToStarted: [], startedToTaskStarted: [], taskStartedToAttempt: [], attemptEndToTaskCompleted: [], acceptedToAttempt: [] };
      for (const r of rows) {
        const h = await stack.temporal.client.workflow.getHandle(r.delivery_id).fetchHistory();
        const ev = h.events ?? [];
        const at = (type: temporal.api.enums.v1.EventType) => ms(ev.find((e) => e.eventType === type)?.eventTime);
        const started = at(T.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED);
        const taskStarted = at(T.EVENT_TYPE_WORKFLOW_TASK_STARTED);
        const taskCompleted = at(T.EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
        const attempt = r.started.getTime();

        stages.acceptedToStarted!.push(started - r.created.getTime());
        stages.startedToTaskStarted!.push(taskStarted - started);
        stages.taskStartedToAttempt!.push(attempt - taskStarted);
        stages.attemptEndToTaskCompleted!.push(taskCompleted - (attempt + r.duration_ms));
        stages.acceptedToAttempt!.push(attempt - r.created.getTime());
      }
      const lat = await driver.call<{ latencyMs: unknown }>('latencies', { prefix });
      console.log(JSON.stringify({ deliveries: rows.length, submitToArrivalMs: lat.latencyMs, stagesMs: Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, percentiles(v)])) }, null, 1));
    }
  } finally {
    await driver.call('exit').catch(() => undefined);
    await driver.stop();
    await stack.stop();
  }
}

main().then(() => process.exit(0), (err: unknown) => { console.error(err); process.exit(1); });
