// The workflow side of one delivery without the server: replays a recorded first-round success
// (test/fixtures/histories/v3-deliveryWorkflow-3.pb: start, local attempt, upsert, completion) many
// times through the SDK's replay worker and reports this process's CPU per replay, all threads.
// For A/B of workflow code or bundle options in one sitting:
//   npx tsx bench/prototypes/replay-cpu.ts [count=1000] [rounds=3]   (REPLAY_NO_PRELOAD=1: bundle without preloadModules)
// REPLAY_FLOOR=1 also records one run of the bench's floor workflow (bench/floor: one local activity)
// on a dev server of its own, and replays it the same way, interleaved: what the delivery workflow
// costs in Node beyond the least a workflow with one local activity costs. After the timed rounds it
// also counts the promises each workflow creates (one replay in the main thread, a promise hook
// counting those of the workflow's realm): the sandbox captures a stack for every one of them.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import v8 from 'node:v8';
import { temporal } from '@temporalio/proto';
import { Client } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { resolveTemporalCli } from '../../src/dev/temporal-cli-binary';
import { startDevServer } from '../../src/dev/temporal-dev-server';
import { WORKFLOWS_PATH } from '../../src/server/temporal-worker';
import { workflowPreloadModules } from '../../src/temporal/bundle-workflows';
import type { FloorActivities } from '../floor/floor-process';

type History = temporal.api.history.v1.IHistory;

/** This process's CPU per replay, in µs, over `count` replays of one history. */
async function replayCpuUs(bundle: WorkflowBundleWithSourceMap, history: History, count: number, label: string): Promise<number> {
  const histories = Array.from({ length: count }, (_, i) => ({ workflowId: `replay-${label}-${i}`, history }));
  const c0 = process.cpuUsage();
  let failed = 0;
  for await (const result of Worker.runReplayHistories({ workflowBundle: bundle }, histories)) if (result.error) failed++;
  const c = process.cpuUsage(c0);
  if (failed > 0) throw new Error(`${failed} replays of ${label} failed`);
  return (c.user + c.system) / count;
}

/** Promises created in the workflow sandbox during one replay (replay workers run workflows in this thread, so a hook sees them). */
async function promisesPerReplay(bundle: WorkflowBundleWithSourceMap, history: History, label: string): Promise<number> {
  let created = 0;
  // The sandbox has its own realm: its promises are not this realm's Promise.
  const stop = v8.promiseHooks.createHook({ init: (p: Promise<unknown>) => void (p.constructor !== Promise && created++) });
  try {
    for await (const result of Worker.runReplayHistories({ workflowBundle: bundle }, [{ workflowId: `promises-${label}`, history }])) if (result.error) throw result.error;
  } finally {
    stop();
  }
  return created;
}

/** One recorded run of the floor workflow, bundled as the floor process bundles it (no preload). */
async function recordFloor(): Promise<{ bundle: WorkflowBundleWithSourceMap; history: History }> {
  const floorWorkflows = path.join(__dirname, '..', 'floor', 'workflows.ts');
  const bundle = await bundleWorkflowCode({ workflowsPath: floorWorkflows, logger: new DefaultLogger('WARN') });
  const server = await startDevServer({ cli: await resolveTemporalCli(), headless: true, searchAttributes: [], logLevel: 'error' });
  try {
    const connection = await NativeConnection.connect({ address: server.address });
    const activities: FloorActivities = { post: async () => undefined };
    const worker = await Worker.create({ connection, taskQueue: 'replay-floor', workflowBundle: bundle, activities });
    const client = new Client({ connection });
    const history = await worker.runUntil(async () => {
      const handle = await client.workflow.start('floorDelivery', { taskQueue: 'replay-floor', workflowId: 'replay-floor', args: [{ id: 'msg_replay', n: 0 }] });
      await handle.result();
      return handle.fetchHistory();
    });
    await connection.close();
    return { bundle, history };
  } finally {
    await server.stop();
  }
}

async function main() {
  const count = Number(process.argv[2] ?? 1000);
  const rounds = Number(process.argv[3] ?? 3);
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const preload = process.env.REPLAY_NO_PRELOAD === '1' ? [] : workflowPreloadModules(WORKFLOWS_PATH);
  const bundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, preloadModules: preload, logger: new DefaultLogger('WARN') });
  const fixture = path.join(__dirname, '..', '..', 'test', 'fixtures', 'histories', 'v3-deliveryWorkflow-3.pb');
  const history = temporal.api.history.v1.History.decode(readFileSync(fixture));
  const floor = process.env.REPLAY_FLOOR === '1' ? await recordFloor() : undefined;
  const perReplayUs: number[] = [];
  const floorUs: number[] = [];
  for (let r = 0; r < rounds; r++) {
    perReplayUs.push(await replayCpuUs(bundle, history, count, `delivery-${r}`));
    if (floor) floorUs.push(await replayCpuUs(floor.bundle, floor.history, count, `floor-${r}`));
  }
  const promises = await promisesPerReplay(bundle, history, 'delivery');
  const floorPromises = floor ? await promisesPerReplay(floor.bundle, floor.history, 'floor') : undefined;
  const median = (v: number[]) => Math.round([...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!);
  console.log(
    JSON.stringify({
      preload: preload.length > 0,
      count,
      rounds,
      cpuUsPerReplay: perReplayUs.map(Math.round),
      median: median(perReplayUs),
      promisesPerReplay: promises,
      ...(floor ? { floorCpuUsPerReplay: floorUs.map(Math.round), floorMedian: median(floorUs), floorPromisesPerReplay: floorPromises, floorHistoryEvents: floor.history.events?.length } : {}),
    }),
  );
}

main().then(() => process.exit(0), (err: unknown) => { console.error(err); process.exit(1); });
