// The Temporal dev server's own floor: CPU per workflow for trivial workflows (no hookflow code, no
// HTTP, no PostgreSQL), with the dev stack's tuning. Evidence for docs/performance.md.
//   npx tsx bench/prototypes/floor/floor.ts
//   FLOOR_TYPES=oneActivity,oneLocal FLOOR_N=500 FLOOR_EAGER=1 (client on the worker's NativeConnection,
//   requestEagerStart) FLOOR_MEMORY=1 (in-memory SQLite) BENCH_DEV_SERVER='{"dynamicConfig":{}}'
import path from 'node:path';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker, Runtime, DefaultLogger } from '@temporalio/worker';
import { resolveTemporalCli } from '../../../src/dev/temporal-cli-binary';
import { startDevServer } from '../../../src/dev/temporal-dev-server';
import { searchAttributeFlags, HookflowStatus, HookflowEventId } from '../../../workflows/search-attributes';
import { DEV_SERVER_TUNING } from '../../../src/dev/temporal-dev-server-tuning';
import { cpuSeconds, machineBusySeconds } from '../../../bench/support/proc-stats';

async function main() {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const cli = await resolveTemporalCli();
  const inMemory = process.env.FLOOR_MEMORY === '1';
  const server = await startDevServer({ cli, headless: true, searchAttributes: searchAttributeFlags(), ...(inMemory ? {} : { dbFilename: path.join(mkdtempSync(path.join(tmpdir(), 'floor-')), 't.db'), ...DEV_SERVER_TUNING }), ...JSON.parse(process.env.BENCH_DEV_SERVER ?? '{}'), logLevel: 'error' });
  const nc = await NativeConnection.connect({ address: server.address });
  const worker = await Worker.create({ connection: nc, taskQueue: 'floor', workflowsPath: require.resolve('./workflows'), activities: { noop: async () => undefined }, maxConcurrentActivityTaskExecutions: 200, ...JSON.parse(process.env.FLOOR_WORKER ?? '{}') });
  const run = worker.run();
  const eager = process.env.FLOOR_EAGER === '1';
  const client = new Client({ connection: eager ? nc : await Connection.connect({ address: server.address }) });
  const n = Number(process.env.FLOOR_N ?? 600);
  for (const type of (process.env.FLOOR_TYPES ?? 'empty,oneActivity,oneLocal,hookflowShape').split(',')) {
    const t0 = Date.now(); const c0 = cpuSeconds({ name: 't', pid: server.pid!, tree: false })!; const u0 = process.cpuUsage(); const m0 = machineBusySeconds()!;
    let next = 0;
    await Promise.all(Array.from({ length: 16 }, async () => {
      while (next < n) { const i = next++; await client.workflow.execute(type, { requestEagerStart: eager, taskQueue: 'floor', workflowId: `${type}-${i}-${t0}`, typedSearchAttributes: [{ key: HookflowStatus, value: 'scheduled' }, { key: HookflowEventId, value: `e${i}` }] }); }
    }));
    const wall = (Date.now() - t0) / 1000; const tc = cpuSeconds({ name: 't', pid: server.pid!, tree: false })! - c0; const u = process.cpuUsage(u0); const nodeCpu = (u.user + u.system) / 1e6; const mach = machineBusySeconds()! - m0;
    console.log(JSON.stringify({ type, inMemory, eager, perSecond: (n / wall).toFixed(1), temporalMsPerWf: ((tc / n) * 1000).toFixed(2), nodeMsPerWf: ((nodeCpu / n) * 1000).toFixed(2), foreign: ((mach - tc - nodeCpu) / (wall * 2)).toFixed(2) }));
  }
  console.log(readFileSync('/proc/self/status', 'utf8').split('\n').filter((l: string) => /^Vm(HWM|RSS)/.test(l)).join(' '));
  worker.shutdown(); await run; await nc.close(); await server.stop();
}
main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
