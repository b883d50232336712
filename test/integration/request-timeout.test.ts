// The request timeout is a deadline, not an approximation: an attempt is cut at HOOKFLOW_REQUEST_TIMEOUT_MS,
// not before. undici's own header and body timers tick every half second and may fire up to that
// much early; set to the timeout itself, they once cut a 700 ms attempt at 545 ms.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent } from 'undici';
import { sendWebhook } from '../../activities/send-webhook';
import { listenOnLoopback } from '../support/loopback-server';

const TIMEOUT_MS = 700;

void describe('request timeout', () => {
  let url = '';
  let close: () => Promise<void>;
  const agent = new Agent();

  before(async () => {
    // /headers never answers; /body sends its headers at once, then nothing.
    const server = http.createServer((req, res) => {
      req.resume();
      if (req.url === '/body') res.writeHead(200, { 'content-type': 'text/plain' }).write('partial');
    });
    ({ url, close } = await listenOnLoopback(server));
  });
  after(async () => {
    await agent.close();
    await close?.();
  });

  const timed = async (path: string): Promise<{ ms: number; err: unknown }> => {
    const started = performance.now();
    const err = await sendWebhook({ url: `${url}${path}`, headers: {}, body: '{}', dispatcher: agent, timeoutMs: TIMEOUT_MS, bodyLimit: 1024 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    return { ms: performance.now() - started, err };
  };

  for (const path of ['/headers', '/body']) {
    void test(`waiting for ${path === '/headers' ? 'the headers' : 'the body'}: cut at the timeout, never before (six requests at different phases of undici's timer tick)`, async () => {
      for (let i = 0; i < 6; i++) {
        // Start each request at another point of the half-second tick.
        await sleep(83 * i);
        const { ms, err } = await timed(path);
        assert.ok(err instanceof Error, `request ${i} did not fail`);
        assert.equal(err.name, 'TimeoutError', `request ${i}: ${err.name}: ${err.message}`);
        assert.ok(ms >= TIMEOUT_MS - 1 && ms < TIMEOUT_MS + 400, `request ${i} cut after ${Math.round(ms)} ms`);
      }
    });
  }
});
