// PostgreSQL statements per delivery on the unordered happy path, counted at the pool the API and
// the worker share: 500 events through the batch endpoint, one subscription each.
//   npx tsx bench/prototypes/queries-per-delivery.ts
import os from 'node:os';
import path from 'node:path';
import { generateSecret } from '../../src/signing/standard-webhooks';
import { createSingleSubscriptions, BENCH_EVENT_TYPES } from '../scenarios/setup';
import { awaitArrivals, settle, type Ctx } from '../support/context';
import { startDriver } from '../support/driver-client';
import { startBenchStack } from '../support/stack';

async function main() {
  const stack = await startBenchStack({ logFile: path.join(os.tmpdir(), 'hookflow-queries.log') });
  const driver = await startDriver();
  try {
    const secret = generateSecret();
    const { url: receiverUrl } = await driver.call<{ url: string }>('startReceiver', { secret });
    const ctx = { quick: true, stack, driver, apiUrl: stack.api.url, receiverUrl, secret, runId: `q${Date.now() % 100000}-`, watched: [] } as unknown as Ctx;
    await createSingleSubscriptions(ctx);
    const counts = new Map<string, number>();
    const pool = stack.db as unknown as { query: (...a: unknown[]) => unknown };
    const original = pool.query.bind(pool);
    let counting = false;
    pool.query = (...a: unknown[]) => {
      if (counting) {
        const q = a[0] as string | { name?: string; text?: string };
        const key = typeof q === 'string' ? q.trim().slice(0, 60) : (q.name ?? q.text?.trim().slice(0, 60) ?? '?');
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      return original(...a);
    };
    for (const [label, count, rate] of [['warm', 100, 0], ['batch', 500, 0], ['rate20', 100, 20]] as const) {
      const prefix = `${ctx.runId}${label}-`;
      counts.clear();
      counting = label !== 'warm';
      if (rate) await driver.call('submitRate', { url: ctx.apiUrl, key: stack.config.apiKeys[0], rate, count, type: BENCH_EVENT_TYPES.delivery, idPrefix: prefix });
      else await driver.call('submitBatches', { url: ctx.apiUrl, key: stack.config.apiKeys[0], count, batchSize: 100, concurrency: 2, type: BENCH_EVENT_TYPES.delivery, idPrefix: prefix });
      await awaitArrivals(ctx, label, prefix, count, 120_000);
      counting = false;
      await settle(ctx);
      if (label === 'warm') continue;
      const total = [...counts.values()].reduce((a, b) => a + b, 0);
      console.log(`${label}: ${count} deliveries, ${total} pool queries (${(total / count).toFixed(2)} per delivery; client.query on checked-out clients not seen)`);
      for (const [k, v] of [...counts].sort((x, y) => y[1] - x[1])) console.log(`  ${(v / count).toFixed(2)}  ${v}  ${k}`);
    }
  } finally {
    await driver.call('exit').catch(() => undefined);
    await driver.stop();
    await stack.stop();
  }
}

main().then(() => process.exit(0), (err: unknown) => { console.error(err); process.exit(1); });
