// Load generation against the API (fixed concurrency or fixed rate) and the arithmetic that joins
// submit times with the receiver's first-arrival times. Runs inside the driver process.
import { Pool } from 'undici';
import { samplePayload } from './payload';
import { nowMs, percentiles, sleep } from './stats';

export const receiverState = { arrivals: new Map<string, number>(), duplicates: 0, rejected: 0, lastRejection: '' };
const submits = new Map<string, number>();

interface Api {
  pool: Pool;
  headers: Record<string, string>;
}

async function post(api: Api, path: string, body: unknown, extra: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  const res = await api.pool.request({
    method: 'POST',
    path,
    headers: { ...api.headers, ...extra },
    body: JSON.stringify(body),
  });
  const text = await res.body.text();
  return { status: res.statusCode, text };
}

export function startLoad() {
  const apis = new Map<string, Api>();
  const api = (url: string, key: string): Api => {
    let a = apis.get(url);
    if (!a) {
      a = { pool: new Pool(url, { connections: 128, pipelining: 1, keepAliveTimeout: 60_000 }), headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' } };
      apis.set(url, a);
    }
    return a;
  };

  return {
    /** Closed loop: `concurrency` requests in flight for `durationMs`; every answer must be 202. */
    async ingest(a: { url: string; key: string; batchSize: number; concurrency: number; durationMs: number; type: string }) {
      const target = api(a.url, a.key);
      const statuses: Record<string, number> = {};
      const latencies: number[] = [];
      let events = 0;
      let n = 0;
      let lastError = '';
      const started = nowMs();
      const deadline = started + a.durationMs;
      const lane = async () => {
        while (nowMs() < deadline) {
          const t0 = nowMs();
          const batch = Array.from({ length: a.batchSize }, () => ({ type: a.type, data: samplePayload(n++) }));
          try {
            const res = a.batchSize === 1 ? await post(target, '/v1/events', batch[0]) : await post(target, '/v1/events/batch', { events: batch });
            statuses[res.status] = (statuses[res.status] ?? 0) + 1;
            if (res.status === 202) events += a.batchSize;
            else lastError = res.text.slice(0, 300);
          } catch (err) {
            statuses.error = (statuses.error ?? 0) + 1;
            lastError = (err as Error).message;
          }
          latencies.push(nowMs() - t0);
        }
      };
      await Promise.all(Array.from({ length: a.concurrency }, lane));
      const seconds = (nowMs() - started) / 1000;
      return { events, requests: latencies.length, seconds, eventsPerSecond: events / seconds, statuses, requestLatencyMs: percentiles(latencies), lastError };
    },

    /**
     * Open loop for ingest: single-event POSTs offered at `rate`/s for `durationMs`, whatever the
     * answers; each request's latency is POST → response, so queueing in the API shows up in the p99.
     */
    async ingestRate(a: { url: string; key: string; rate: number; durationMs: number; type: string }) {
      const target = api(a.url, a.key);
      const statuses: Record<string, number> = {};
      const latencies: number[] = [];
      const inflight: Promise<void>[] = [];
      let lastError = '';
      let lagMs = 0;
      const count = Math.round((a.rate * a.durationMs) / 1000);
      const started = nowMs();
      for (let i = 0; i < count; i++) {
        const due = started + (i * 1000) / a.rate;
        const wait = due - nowMs();
        if (wait > 1) await sleep(wait);
        lagMs = Math.max(lagMs, nowMs() - due);
        // Latency counts from when the request was due, so a late send is not hidden.
        inflight.push(
          post(target, '/v1/events', { type: a.type, data: samplePayload(i) }).then(
            (r) => {
              latencies.push(nowMs() - due);
              statuses[r.status] = (statuses[r.status] ?? 0) + 1;
              if (r.status !== 202) lastError = r.text.slice(0, 300);
            },
            (err: Error) => {
              latencies.push(nowMs() - due);
              statuses.error = (statuses.error ?? 0) + 1;
              lastError = err.message;
            },
          ),
        );
      }
      await Promise.all(inflight);
      const seconds = (nowMs() - started) / 1000;
      return { offeredPerSecond: a.rate, requests: count, accepted: statuses['202'] ?? 0, seconds, statuses, requestLatencyMs: percentiles(latencies), maxScheduleLagMs: lagMs, lastError };
    },

    /** Open loop at a fixed rate: one single-event POST every 1/rate seconds, whatever the answers. */
    async submitRate(a: { url: string; key: string; rate: number; count: number; type: string; idPrefix: string }) {
      const target = api(a.url, a.key);
      const started = nowMs();
      const inflight: Promise<void>[] = [];
      const failures: string[] = [];
      let lagMs = 0;
      for (let i = 0; i < a.count; i++) {
        const due = started + (i * 1000) / a.rate;
        const wait = due - nowMs();
        if (wait > 1) await sleep(wait);
        lagMs = Math.max(lagMs, nowMs() - due);
        const id = `${a.idPrefix}${i}`;
        submits.set(id, nowMs());
        inflight.push(
          post(target, '/v1/events', { id, type: a.type, data: samplePayload(i) }).then(
            (r) => void (r.status !== 202 && failures.push(`${r.status} ${r.text.slice(0, 200)}`)),
            (err: Error) => void failures.push(err.message),
          ),
        );
      }
      await Promise.all(inflight);
      return { submitted: a.count, failed: failures.length, firstFailure: failures[0], maxScheduleLagMs: lagMs };
    },

    /** Everything at once through the batch endpoint; each event's submit time is its batch's send time. */
    async submitBatches(a: { url: string; key: string; count: number; batchSize: number; concurrency: number; type: string; idPrefix: string }) {
      const target = api(a.url, a.key);
      const failures: string[] = [];
      let next = 0;
      const started = nowMs();
      const lane = async () => {
        while (next < a.count) {
          const from = next;
          next = Math.min(a.count, next + a.batchSize);
          const events = [];
          const t = nowMs();
          for (let i = from; i < next; i++) {
            const id = `${a.idPrefix}${i}`;
            submits.set(id, t);
            events.push({ id, type: a.type, data: samplePayload(i) });
          }
          const r = await post(target, '/v1/events/batch', { events }).catch((err: Error) => ({ status: 0, text: err.message }));
          if (r.status !== 202) failures.push(`${r.status} ${r.text.slice(0, 200)}`);
        }
      };
      await Promise.all(Array.from({ length: a.concurrency }, lane));
      return { submitted: a.count, failed: failures.length, firstFailure: failures[0], submitSeconds: (nowMs() - started) / 1000 };
    },

    async submitOne(a: { url: string; key: string; id: string; type: string }) {
      const target = api(a.url, a.key);
      submits.set(a.id, nowMs());
      const r = await post(target, '/v1/events', { id: a.id, type: a.type, data: samplePayload(0) });
      if (r.status !== 202) throw new Error(`submit answered ${r.status}: ${r.text.slice(0, 300)}`);
      return { deliveries: (JSON.parse(r.text) as { deliveries: unknown[] }).deliveries.length };
    },

    /** Arrivals whose webhook-id starts with the prefix. */
    arrivals(a: { prefix: string }) {
      let n = 0;
      for (const key of receiverState.arrivals.keys()) if (key.startsWith(a.prefix)) n++;
      return n;
    },

    /** submit → first verified arrival, for every arrival of the prefix; plus the span first submit → last arrival. */
    latencies(a: { prefix: string }) {
      const samples: number[] = [];
      let firstSubmit = Infinity;
      let lastArrival = -Infinity;
      const arrivalTimes: number[] = [];
      for (const [key, at] of receiverState.arrivals) {
        if (!key.startsWith(a.prefix)) continue;
        const sent = submits.get(key.slice(0, key.indexOf('|')));
        if (sent === undefined) continue;
        samples.push(at - sent);
        firstSubmit = Math.min(firstSubmit, sent);
        lastArrival = Math.max(lastArrival, at);
        arrivalTimes.push(at);
      }
      arrivalTimes.sort((x, y) => x - y);
      // Steady state: the middle 80% of arrivals, free of ramp-up and tail.
      const lo = arrivalTimes[Math.floor(arrivalTimes.length * 0.1)];
      const hi = arrivalTimes[Math.floor(arrivalTimes.length * 0.9)];
      const steadyPerSecond = lo !== undefined && hi !== undefined && hi > lo ? (arrivalTimes.length * 0.8) / ((hi - lo) / 1000) : NaN;
      return { latencyMs: percentiles(samples), spanMs: lastArrival - firstSubmit, steadyPerSecond };
    },

    /** Raw-baseline arrivals, so the sender (in the other process) can join them with its send times. */
    arrivalTimes(a: { prefix: string }) {
      const out: [string, number][] = [];
      for (const [key, at] of receiverState.arrivals) if (key.startsWith(a.prefix)) out.push([key.slice(0, key.indexOf('|')), at]);
      return out;
    },
  };
}
