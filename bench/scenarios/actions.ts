// Billable Temporal Cloud Actions per delivery, counted on recorded histories (support/billable-actions.ts):
// a first-attempt success, a success after two retries, and a dead letter.
import { createServer, type IncomingMessage } from 'node:http';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { billableActions, type ActionCount } from '../support/billable-actions';
import type { Ctx } from '../support/context';
import { sleep } from '../support/stats';

// Three attempts, 200 ms apart: two failures then a success, or three failures and a dead letter.
const RETRY_POLICY = { maxAttempts: 3, initialIntervalMs: 200, backoffCoefficient: 1, maxIntervalMs: 200 };
const CASES = { firstAttempt: { failures: 0, ends: 'succeeded' }, afterTwoRetries: { failures: 2, ends: 'succeeded' }, deadLetter: { failures: Infinity, ends: 'dead_lettered' } } as const;
type Case = keyof typeof CASES;

async function api(ctx: Ctx, method: string, path: string, body?: unknown): Promise<Record<string, any>> {
  const res = await fetch(`${ctx.apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${ctx.stack.config.apiKeys[0]}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const answer = (await res.json()) as Record<string, any>;
  if (res.status >= 300) throw new Error(`${method} ${path} answered ${res.status}: ${JSON.stringify(answer)}`);
  return answer;
}

export async function billableActionsPerDelivery(ctx: Ctx) {
  // Answers by path: /<case> fails the first `failures` requests of each event, then answers 200.
  // A test ping always succeeds: it proves the endpoint fast, as a steady-state endpoint is.
  const seen = new Map<string, number>();
  const receiver = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const ping = Buffer.concat(chunks).toString().includes('"type":"hookflow.ping"');
      const which = (req.url ?? '').slice(1) as Case;
      const key = `${which}|${String(req.headers['webhook-id'])}`;
      const n = (seen.get(key) ?? 0) + 1;
      seen.set(key, n);
      res.writeHead(!ping && n <= (CASES[which]?.failures ?? Infinity) ? 500 : 200).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(receiver.address() as { port: number }).port}`;
  try {
    const result: Record<string, ActionCount & { attempts: number }> = {};
    for (const which of Object.keys(CASES) as Case[]) {
      const type = `bench.actions.${which.toLowerCase()}`;
      // The ping makes the endpoint known to answer fast (docs/flow-control.md): the event's delivery
      // then takes the usual path, not the lane of endpoints not yet known to be fast.
      const sub = await api(ctx, 'POST', '/v1/subscriptions', { url: `${base}/${which}`, eventTypes: [type], retryPolicy: RETRY_POLICY, secret: ctx.secret, ping: true });
      if (sub.ping?.outcome !== 'succeeded') throw new Error(`actions: the ping to ${which} answered ${JSON.stringify(sub.ping)}`);
      const event = await api(ctx, 'POST', '/v1/events', { type, data: { case: which } });
      const deliveryId = event.deliveries[0].id as string;
      const deadline = Date.now() + 60_000;
      let status: Record<string, any> = {};
      while (Date.now() < deadline) {
        status = await api(ctx, 'GET', `/v1/deliveries/${deliveryId}`);
        if (status.state === CASES[which].ends) break;
        await sleep(200);
      }
      if (status.state !== CASES[which].ends) throw new Error(`actions: ${which} ended ${status.state}, not ${CASES[which].ends}`);
      // A delivery that succeeded closes; a dead letter stays open, and its history so far is all of it
      // until someone acts, once its last workflow task is done: the dead-letter report, then the
      // retention timer (the state flips before either is in the history).
      const handle = ctx.stack.temporal.client.workflow.getHandle(deliveryId);
      if (CASES[which].ends === 'succeeded') await handle.result();
      const events = CASES[which].ends === 'succeeded' ? (await handle.fetchHistory()).events : await settledHistory(handle);
      result[which] = { ...billableActions(events ?? []), attempts: status.attempts as number };
    }
    return result;
  } finally {
    await new Promise((resolve) => receiver.close(resolve));
  }
}

/** An open workflow's history once it waits: nothing pending, and the last event its completed workflow task's (or a timer it started). */
async function settledHistory(handle: WorkflowHandle) {
  const idle = new Set<number>([temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, temporal.api.enums.v1.EventType.EVENT_TYPE_TIMER_STARTED]);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { events } = await handle.fetchHistory();
    const last = events?.[events.length - 1]?.eventType;
    const pending = (await handle.describe()).raw.pendingActivities?.length ?? 0;
    if ((last !== undefined && last !== null && idle.has(last) && pending === 0) || Date.now() > deadline) return events;
    await sleep(200);
  }
}
