// Subscriptions the scenarios deliver to; event types keep the scenarios apart.
import type { Ctx } from '../support/context';
import { progress } from '../support/progress';

export const BENCH_EVENT_TYPES = { delivery: 'bench.delivery', ingest: 'bench.ingest', fanout: 'bench.fanout' } as const;

async function createSubscription(ctx: Ctx, url: string, eventType: string): Promise<string> {
  const res = await fetch(`${ctx.apiUrl}/v1/subscriptions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ctx.stack.config.apiKeys[0]}`, 'content-type': 'application/json' },
    body: JSON.stringify({ url, eventTypes: [eventType], secret: ctx.secret, description: 'hookflow bench' }),
  });
  const body = (await res.json()) as { id?: string };
  if (res.status !== 201 || !body.id) throw new Error(`creating a subscription answered ${res.status}: ${JSON.stringify(body)}`);
  return body.id;
}

/** One subscription each for the delivery scenarios and for ingest. */
export async function createSingleSubscriptions(ctx: Ctx): Promise<void> {
  await createSubscription(ctx, `${ctx.receiverUrl}/hook`, BENCH_EVENT_TYPES.delivery);
  await createSubscription(ctx, `${ctx.receiverUrl}/hook/ingest`, BENCH_EVENT_TYPES.ingest);
}

/** `n` subscriptions to the fan-out event type, each with its own path so arrivals stay distinct. */
export async function createFanoutSubscriptions(ctx: Ctx, n: number): Promise<void> {
  const bar = progress('fan-out: subscribing');
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < n) {
        const i = next++;
        await createSubscription(ctx, `${ctx.receiverUrl}/hook/f${i}`, BENCH_EVENT_TYPES.fanout);
        if (i % 50 === 0) bar.update(i, n);
      }
    }),
  );
  bar.done(`${n} subscriptions`);
}
