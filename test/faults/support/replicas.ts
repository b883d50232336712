// Several API and worker processes of one hookflow cluster (one database, one task queue), each on
// its own HTTP and metrics port, as replicas behind a load balancer and scraped one by one.
import { freePort } from '../../../src/net/free-port';
import { scrape, total } from '../../support/metrics';
import type { Hookflow } from './hookflow';
import { spawnHookflow, type HookflowProcess } from './processes';

export interface Replica {
  name: string;
  proc: HookflowProcess;
  /** The API's base URL (APIs only). */
  url?: string;
  metricsUrl: string;
}

export async function startApiReplica(hf: Hookflow, name: string, extra: Record<string, string> = {}): Promise<Replica> {
  const [port, metricsPort] = await Promise.all([freePort(), freePort()]);
  const proc = spawnHookflow('api', hf.env({ PORT: String(port), HOOKFLOW_METRICS_PORT: String(metricsPort), ...extra }));
  hf.pids.push(proc.pid);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (!proc.running()) throw new Error(`api ${name} exited during start-up:\n${proc.tail.join('\n')}`);
    if (Date.now() > deadline) throw new Error(`api ${name} not healthy within 60 s:\n${proc.tail.join('\n')}`);
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1_000) });
      if (res.status === 200) break;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { name, proc, url, metricsUrl: `http://127.0.0.1:${metricsPort}/metrics` };
}

/** `script`: another worker build's entry point (see spawnHookflow); the released one by default. */
export async function startWorkerReplica(hf: Hookflow, name: string, extra: Record<string, string> = {}, script?: string): Promise<Replica> {
  const metricsPort = await freePort();
  const proc = spawnHookflow('worker', hf.env({ LOG_LEVEL: 'info', HOOKFLOW_METRICS_PORT: String(metricsPort), ...extra }), script);
  hf.pids.push(proc.pid);
  await proc.waitForLine(/hookflow worker running/, 120_000);
  return { name, proc, metricsUrl: `http://127.0.0.1:${metricsPort}/metrics` };
}

/** One counter (summed over its labels) as a replica reports it now. */
export async function counter(r: Replica, name: string, match: Record<string, string> = {}): Promise<number> {
  return total((await scrape(r.metricsUrl)).samples, name, match);
}
