// `npm run bench`: hookflow end to end against a raw signed-POST baseline measured in the same run.
// BENCH_QUICK=1 is a ~2 minute smoke run. See docs/performance.md for what the figures mean.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateSecret } from '../src/signing/standard-webhooks';
import { fanout } from './scenarios/fanout';
import { ingest } from './scenarios/ingest';
import { latencyAtRate } from './scenarios/latency';
import { rawBaseline } from './scenarios/raw';
import { createSingleSubscriptions } from './scenarios/setup';
import { sustainedDelivery } from './scenarios/sustained';
import { settle, type Ctx } from './support/context';
import { startDriver } from './support/driver-client';
import { MemorySampler, type Watched } from './support/proc-stats';
import { say } from './support/progress';
import { summarize } from './support/report';
import { startBenchStack } from './support/stack';

async function main(): Promise<void> {
  const quick = ['1', 'true', 'yes'].includes(process.env.BENCH_QUICK ?? '');
  const startedAt = new Date();
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const resultsDir = path.join(__dirname, 'results');
  mkdirSync(resultsDir, { recursive: true });
  const logFile = path.join(os.tmpdir(), `hookflow-bench-${stamp}.log`);

  say(`${quick ? 'quick' : 'full'} run; starting the stack (log: ${logFile})`);
  const stack = await startBenchStack({ logFile });
  const driver = await startDriver();
  const watched: Watched[] = [{ name: 'driver', pid: driver.pid, tree: false }];
  if (stack.temporalPid) watched.push({ name: 'temporal', pid: stack.temporalPid, tree: false });
  if (stack.postgresPid) watched.push({ name: 'postgres', pid: stack.postgresPid, tree: true });
  const memory = new MemorySampler([{ name: 'hookflow', pid: process.pid, tree: false }, ...watched]);
  memory.start();

  const secret = generateSecret();
  const { url: receiverUrl } = await driver.call<{ url: string }>('startReceiver', { secret });
  const ctx: Ctx = {
    quick,
    stack,
    driver,
    apiUrl: stack.api.url,
    receiverUrl,
    secret,
    runId: `b${randomBytes(3).toString('hex')}-`,
    watched,
  };
  say(`stack ready: API ${ctx.apiUrl}, Temporal ${stack.config.temporal.address}, receiver ${receiverUrl}`);

  try {
    await createSingleSubscriptions(ctx);
    // Warm-up: bundle caches, connection pools and JIT, so the first scenario is not penalised.
    await latencyWarmup(ctx);
    const raw = await rawBaseline(ctx);
    // Ingest first, on an idle system: a delivery backlog left by a slow scenario would compete with it.
    const ing = await ingest(ctx);
    await settle(ctx);
    const lat20 = await latencyAtRate(ctx, 20);
    const lat100 = await latencyAtRate(ctx, 100);
    const sustained = await sustainedDelivery(ctx);
    const fan = await fanout(ctx);
    const receiver = await driver.call('receiverStats');
    const peakRssMiB = memory.stop();

    const { table, figures } = summarize({ raw, lat20, lat100, sustained, ingest: ing, fanout: fan, peakRssMiB });
    const file = path.join(resultsDir, `${stamp}.json`);
    writeFileSync(
      file,
      JSON.stringify(
        {
          startedAt: startedAt.toISOString(),
          quick,
          machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
          backends: stack.backends,
          config: { databasePoolSize: stack.config.databasePoolSize, dispatchConcurrency: stack.config.dispatchConcurrency, logLevel: stack.config.logLevel },
          figures,
          receiver,
          scenarios: { raw, latency20: lat20, latency100: lat100, sustained, ingest: ing, fanout: fan },
        },
        null,
        2,
      ),
    );
    process.stdout.write(`\n${table}\n\nresults: ${path.relative(process.cwd(), file)}\n`);
  } finally {
    say('stopping the stack');
    await driver.call('exit').catch(() => undefined);
    await driver.stop();
    await stack.stop();
  }
}

async function latencyWarmup(ctx: Ctx): Promise<void> {
  const count = 100;
  const prefix = `${ctx.runId}warm-`;
  await ctx.driver.call('submitRate', { url: ctx.apiUrl, key: ctx.stack.config.apiKeys[0], rate: 50, count, type: 'bench.delivery', idPrefix: prefix });
  await settle(ctx);
  say(`warm-up: ${await ctx.driver.call<number>('arrivals', { prefix })}/${count} delivered`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
