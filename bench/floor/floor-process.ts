// The bench's floor scenario runs here, in its own process, so its Node CPU and memory are its own and
// not the hookflow process's. Same dev server, eager start on the worker's own connection (as `hookflow
// dev` does), the same concurrency of starts as hookflow's fan-out, the same signing and HTTP code.
// Talks to bench/scenarios/floor.ts over IPC ({ id, cmd, args } in, { id, result | error } out).
import { Client } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { sendWebhook } from '../../activities/send-webhook';
import { createGuardedAgent } from '../../src/security/guarded-agent';
import { buildWebhookHeaders } from '../../src/signing/standard-webhooks';
import { samplePayload } from '../support/payload';
import { serveIpc } from '../support/ipc-child';
import { nowMs, sleep } from '../support/stats';

export interface FloorInput {
  id: string;
  n: number;
}
export interface FloorActivities {
  post(input: FloorInput): Promise<void>;
}

interface Setup {
  address: string;
  namespace: string;
  taskQueue: string;
  url: string;
  secret: string;
  requestTimeoutMs: number;
  bodyLimit: number;
}

let state: { client: Client; worker: Worker; run: Promise<void>; setup: Setup; connection: NativeConnection } | undefined;

async function setup(s: Setup): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: [] });
  const dispatcher = createGuardedAgent({ policy: { allowPrivate: true, allowedCidrs: [] }, connectTimeoutMs: 10_000, keepAliveTimeoutMs: 30_000 });
  const activities: FloorActivities = {
    async post({ id, n }) {
      const body = `{"type":"bench.floor","timestamp":${JSON.stringify(new Date().toISOString())},"data":${JSON.stringify(samplePayload(n))}}`;
      const headers = buildWebhookHeaders({ id, timestampSeconds: Math.floor(Date.now() / 1000), body, secrets: [s.secret] });
      const res = await sendWebhook({ url: s.url, headers, body, dispatcher, timeoutMs: s.requestTimeoutMs, bodyLimit: s.bodyLimit });
      if (res.statusCode !== 200) throw new Error(`receiver answered ${res.statusCode}`);
    },
  };
  const connection = await NativeConnection.connect({ address: s.address });
  const worker = await Worker.create({
    connection,
    namespace: s.namespace,
    taskQueue: s.taskQueue,
    workflowsPath: require.resolve('./workflows'),
    activities,
    maxConcurrentActivityTaskExecutions: 200,
  });
  const client = new Client({ connection, namespace: s.namespace });
  state = { client, worker, run: worker.run(), setup: s, connection };
}

/** Starts `count` floor workflows with `concurrency` starts in flight; returns this process's CPU seconds. */
async function start(a: { idPrefix: string; count: number; concurrency: number }): Promise<{ cpuSeconds: number; startSeconds: number }> {
  const { client, setup: s } = state!;
  const u0 = process.cpuUsage();
  const t0 = Date.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: a.concurrency }, async () => {
      while (next < a.count) {
        const i = next++;
        const id = `${a.idPrefix}${i}`;
        await client.workflow.start('floorDelivery', { taskQueue: s.taskQueue, workflowId: id, args: [{ id, n: i }], requestEagerStart: true });
      }
    }),
  );
  const u = process.cpuUsage(u0);
  return { cpuSeconds: (u.user + u.system) / 1e6, startSeconds: (Date.now() - t0) / 1000 };
}

/**
 * Open loop at a fixed rate, like the driver's submitRate: one start every 1/rate seconds, whatever
 * the answers. Returns each workflow's start time (monotonic ms, the clock the receiver stamps
 * arrivals with), to be joined with its arrival.
 */
async function startRate(a: { idPrefix: string; count: number; rate: number }): Promise<{ submits: [string, number][]; failed: number; firstFailure?: string }> {
  const { client, setup: s } = state!;
  const started = nowMs();
  const submits: [string, number][] = [];
  const failures: string[] = [];
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < a.count; i++) {
    const wait = started + (i * 1000) / a.rate - nowMs();
    if (wait > 1) await sleep(wait);
    const id = `${a.idPrefix}${i}`;
    submits.push([id, nowMs()]);
    inflight.push(
      client.workflow.start('floorDelivery', { taskQueue: s.taskQueue, workflowId: id, args: [{ id, n: i }], requestEagerStart: true }).then(
        () => undefined,
        (err: Error) => void failures.push(err.message),
      ),
    );
  }
  await Promise.all(inflight);
  return { submits, failed: failures.length, firstFailure: failures[0] };
}

/** This process's peak resident set so far, MiB (the kernel's high-water mark). */
function peakRssMiB(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

function cpu(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

async function stop(): Promise<void> {
  if (!state) return;
  state.worker.shutdown();
  await state.run;
  await state.connection.close();
}

serveIpc({ setup, start, startRate, peakRssMiB, cpu, stop });
