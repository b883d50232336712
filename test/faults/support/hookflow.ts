// Runs the hookflow API and worker as separate OS processes against the given backends, and talks to
// them only the way a user would: HTTP for the API, env vars for configuration.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { freePort } from '../../../src/net/free-port';
import { assertGone, liveProcesses, spawnHookflow, type HookflowProcess } from './processes';
import { callApi, type ApiResponse } from '../../support/call-api';
import type { Receiver } from './receivers';

export const API_KEY = 'faults-key-0123456789abcdef';
/** The same storage key for every process of one cluster (migrate, api, worker), as in a deploy. */
const SECRET_KEYS = `faults1:${randomBytes(32).toString('base64')}`;


export interface HookflowOptions {
  databaseUrl: string;
  temporalAddress: string;
  /** Extra env for both processes (retry policy, timeouts...). */
  env?: Record<string, string>;
  apiEnv?: Record<string, string>;
  workerEnv?: Record<string, string>;
}

export class Hookflow {
  readonly taskQueue = `faults-${randomBytes(4).toString('hex')}`;
  api?: HookflowProcess;
  worker?: HookflowProcess;
  apiUrl = '';
  /** Every worker pid this cluster ever had, to check none outlived the test. */
  readonly pids: number[] = [];

  constructor(readonly opts: HookflowOptions) {}

  /** The variables every process of this cluster gets, plus `extra`. */
  env(extra: Record<string, string> = {}): Record<string, string> {
    return {
      DATABASE_URL: this.opts.databaseUrl,
      TEMPORAL_ADDRESS: this.opts.temporalAddress,
      HOOKFLOW_TASK_QUEUE: this.taskQueue,
      HOOKFLOW_API_KEYS: API_KEY,
      HOOKFLOW_SECRET_KEYS: SECRET_KEYS,
      HOOKFLOW_ALLOW_PRIVATE_URLS: 'true',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      ...this.opts.env,
      ...extra,
    };
  }

  /** `hookflow migrate`: schema and search attributes, as an operator would run it before a deploy. */
  async migrate(): Promise<void> {
    const p = spawnHookflow('migrate', this.env({ LOG_LEVEL: 'info' }));
    const { code } = await p.exited;
    assert.equal(code, 0, `hookflow migrate failed:\n${p.tail.join('\n')}`);
  }

  async startApi(extra: Record<string, string> = {}): Promise<HookflowProcess> {
    // Same port across restarts, as behind a load balancer.
    const port = this.apiUrl ? new URL(this.apiUrl).port : String(await freePort());
    const api = spawnHookflow('api', this.env({ PORT: port, ...this.opts.apiEnv, ...extra }));
    this.api = api;
    this.pids.push(api.pid);
    this.apiUrl = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (!api.running()) throw new Error(`hookflow api exited during start-up:\n${api.tail.join('\n')}`);
      if (Date.now() > deadline) throw new Error(`hookflow api not healthy within 60 s:\n${api.tail.join('\n')}`);
      try {
        const res = await fetch(`${this.apiUrl}/healthz`, { signal: AbortSignal.timeout(1_000) });
        if (res.status === 200) return api;
      } catch {
        /* not listening yet */
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async startWorker(extra: Record<string, string> = {}): Promise<HookflowProcess> {
    // info level for the one readiness line; the worker logs little else at info.
    const worker = spawnHookflow('worker', this.env({ LOG_LEVEL: 'info', ...this.opts.workerEnv, ...extra }));
    this.worker = worker;
    this.pids.push(worker.pid);
    await worker.waitForLine(/hookflow worker running/, 90_000);
    return worker;
  }

  call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse> {
    return callApi(this.apiUrl, API_KEY, method, path, body, headers);
  }

  async subscribe(url: string, eventTypes: string[], extra: Record<string, unknown> = {}): Promise<{ id: string; secret: string }> {
    const res = await this.call('POST', '/v1/subscriptions', { url, eventTypes, ...extra });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return { id: res.body.id, secret: res.body.secret };
  }

  /**
   * One subscription per receiver, each receiver given its secret so it verifies what arrives.
   * Returns subscription ID → receiver name, to turn planned deliveries into expected arrivals.
   */
  async subscribeReceivers(receivers: Receiver[], eventTypes: string[]): Promise<Map<string, string>> {
    const bySub = new Map<string, string>();
    for (const r of receivers) {
      const sub = await this.subscribe(r.url, eventTypes);
      r.secret = sub.secret;
      bySub.set(sub.id, r.name);
    }
    return bySub;
  }

  /** One event through POST /v1/events; returns the accepted event (with its planned deliveries). */
  async send(type: string, data: unknown = {}, id?: string): Promise<{ id: string; deliveries: { id: string; subscriptionId: string }[] }> {
    const res = await this.call('POST', '/v1/events', { type, data, ...(id ? { id } : {}) });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    return res.body;
  }

  /** Up to 100 events per call through POST /v1/events/batch. */
  async sendBatch(events: { type: string; data: unknown }[]): Promise<{ id: string; deliveries: { id: string; subscriptionId: string }[] }[]> {
    const res = await this.call('POST', '/v1/events/batch', { events });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    return res.body.data;
  }

  /** Kills whatever is still running (SIGKILL: the test is over) and proves every pid is gone. */
  async kill(): Promise<void> {
    await Promise.all([this.api?.kill9(), this.worker?.kill9()]);
    for (const p of liveProcesses()) if (this.pids.includes(p.pid)) await p.kill9();
    for (const pid of this.pids) await assertGone(pid, 'hookflow process');
  }
}
