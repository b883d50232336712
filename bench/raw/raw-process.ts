// The raw baseline's sender, in its own process so its CPU and memory are not counted as hookflow's:
// the same signing, the same guarded undici Agent and request code as the worker's activity, and
// nothing durable in between. Driven by bench/scenarios/raw.ts over IPC (bench/support/ipc-child.ts).
import type { Dispatcher } from 'undici';
import { sendWebhook } from '../../activities/send-webhook';
import { createGuardedAgent } from '../../src/security/guarded-agent';
import { buildWebhookHeaders } from '../../src/signing/standard-webhooks';
import { serveIpc } from '../support/ipc-child';
import { samplePayload } from '../support/payload';
import { nowMs, sleep } from '../support/stats';

interface Setup {
  url: string;
  secret: string;
  requestTimeoutMs: number;
  bodyLimit: number;
}

let setup: Setup;
let dispatcher: Dispatcher & { close(): Promise<void> };
const sends = new Map<string, number>();

async function deliver(id: string, n: number): Promise<void> {
  const body = `{"type":"bench.raw","timestamp":${JSON.stringify(new Date().toISOString())},"data":${JSON.stringify(samplePayload(n))}}`;
  const headers = buildWebhookHeaders({ id, timestampSeconds: Math.floor(Date.now() / 1000), body, secrets: [setup.secret] });
  sends.set(id, nowMs());
  const res = await sendWebhook({ url: setup.url, headers, body, dispatcher, timeoutMs: setup.requestTimeoutMs, bodyLimit: setup.bodyLimit });
  if (res.statusCode !== 200) throw new Error(`receiver answered ${res.statusCode}: ${res.bodyExcerpt}`);
}

serveIpc({
  setup(s: Setup) {
    setup = s;
    // As src/server/worker-process.ts builds it; the receiver is on 127.0.0.1.
    dispatcher = createGuardedAgent({ policy: { allowPrivate: true, allowedCidrs: [] }, connectTimeoutMs: Math.min(10_000, s.requestTimeoutMs), keepAliveTimeoutMs: 30_000 });
  },
  /** `concurrency` sends in flight for `durationMs`. */
  async throughput(a: { prefix: string; concurrency: number; durationMs: number }) {
    let n = 0;
    const started = nowMs();
    const deadline = started + a.durationMs;
    await Promise.all(
      Array.from({ length: a.concurrency }, async () => {
        while (nowMs() < deadline) await deliver(`${a.prefix}${n}`, n++);
      }),
    );
    const seconds = (nowMs() - started) / 1000;
    return { deliveries: n, seconds, perSecond: n / seconds, concurrency: a.concurrency };
  },
  /** One send every 1/rate seconds, whatever the answers. */
  async atRate(a: { prefix: string; rate: number; count: number }) {
    const started = nowMs();
    const inflight: Promise<void>[] = [];
    for (let i = 0; i < a.count; i++) {
      const wait = started + (i * 1000) / a.rate - nowMs();
      if (wait > 1) await sleep(wait);
      inflight.push(deliver(`${a.prefix}${i}`, i));
    }
    await Promise.all(inflight);
  },
  /** `count` sends through `concurrency` lanes: the raw fan-out. */
  async fanout(a: { prefix: string; count: number; concurrency: number }) {
    const started = nowMs();
    let next = 0;
    await Promise.all(
      Array.from({ length: a.concurrency }, async () => {
        while (next < a.count) {
          const i = next++;
          await deliver(`${a.prefix}${i}`, i);
        }
      }),
    );
    return nowMs() - started;
  },
  /** Send times of the IDs with `prefix`, to join with the receiver's arrival times. */
  sendTimes(a: { prefix: string }) {
    return [...sends].filter(([id]) => id.startsWith(a.prefix));
  },
  async close() {
    await dispatcher.close();
  },
});
