// The workflow side of one delivery without the server: replays a recorded first-round success
// (test/fixtures/histories/v3-deliveryWorkflow-3.pb: start, local attempt, upsert, completion) many
// times through the SDK's replay worker and reports this process's CPU per replay, all threads.
// For A/B of workflow code or bundle options in one sitting:
//   npx tsx bench/prototypes/replay-cpu.ts [count=1000] [rounds=3]   (REPLAY_NO_PRELOAD=1: bundle without preloadModules)
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { WORKFLOWS_PATH } from '../../src/server/temporal-worker';
import { workflowPreloadModules } from '../../src/temporal/bundle-workflows';

async function main() {
  const count = Number(process.argv[2] ?? 1000);
  const rounds = Number(process.argv[3] ?? 3);
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const preload = process.env.REPLAY_NO_PRELOAD === '1' ? [] : workflowPreloadModules(WORKFLOWS_PATH);
  const bundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, preloadModules: preload, logger: new DefaultLogger('WARN') });
  const fixture = path.join(__dirname, '..', '..', 'test', 'fixtures', 'histories', 'v3-deliveryWorkflow-3.pb');
  const history = temporal.api.history.v1.History.decode(readFileSync(fixture));
  const perReplayUs: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const histories = Array.from({ length: count }, (_, i) => ({ workflowId: `replay-${r}-${i}`, history }));
    const c0 = process.cpuUsage();
    let failed = 0;
    for await (const result of Worker.runReplayHistories({ workflowBundle: bundle }, histories)) if (result.error) failed++;
    const c = process.cpuUsage(c0);
    if (failed > 0) throw new Error(`${failed} replays failed`);
    perReplayUs.push((c.user + c.system) / count);
  }
  perReplayUs.sort((a, b) => a - b);
  console.log(JSON.stringify({ preload: preload.length > 0, count, rounds, cpuUsPerReplay: perReplayUs.map(Math.round), median: Math.round(perReplayUs[Math.floor(rounds / 2)]!) }));
}

main().then(() => process.exit(0), (err: unknown) => { console.error(err); process.exit(1); });
