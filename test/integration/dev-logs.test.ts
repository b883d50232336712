// A failing endpoint is normal operation: each failed attempt is logged once, at info, with the
// delivery ID, attempt, status and error, and without the SDK's warning (several hundred characters
// with a task token). Read from the worker's real log output while it delivers to real endpoints.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { sendEvent, subscribe, waitForState } from '../support/engine';
import { closedPort } from '../support/ports';
import { receiverPool } from '../support/receiver';
import { startStack, type Stack } from '../support/stack';

void describe('dev logs of failing attempts', () => {
  let stack: Stack;
  const pool = receiverPool();
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });

  before(async () => {
    // The SDK's log goes to the logger of the first worker of the process: this one.
    stack = await startStack({ HOOKFLOW_RETRY_MAX_ATTEMPTS: '3' }, { log: pino({ level: 'info' }, sink) });
  });
  after(async () => {
    await stack?.stop();
    await pool.closeAll();
  });

  const about = (deliveryId: string) => lines.filter((l) => JSON.stringify(l).includes(deliveryId));

  void test('three failed attempts (a 500): three info lines with delivery, attempt, status and error; no SDK warning, no task token', async () => {
    const failing = await pool.start(() => ({ status: 500, body: 'boom' }));
    const sub = await subscribe(stack, failing);
    const { deliveryId } = await sendEvent(stack, sub.eventType);
    await waitForState(stack, deliveryId, 'dead_lettered');
    const mine = about(deliveryId);
    const failed = mine.filter((l) => l.msg === 'delivery attempt failed');
    assert.deepEqual(
      failed.map((l) => [l.level, l.deliveryId, l.round, l.attempt, l.statusCode]),
      [1, 2, 3].map((n) => [30, deliveryId, 1, n, 500]),
      JSON.stringify(mine),
    );
    assert.ok(failed.every((l) => typeof l.error === 'string' && /500/.test(l.error)), JSON.stringify(failed));
    assert.deepEqual(mine.filter((l) => l.msg === 'Activity failed'), [], 'the SDK warning is not logged');
    assert.ok(!JSON.stringify(mine).includes('taskToken'), 'no task token in the log');
  });

  void test('a network error: its line has no status and names the error', async () => {
    const port = await closedPort();
    const res = await stack.call('POST', '/v1/subscriptions', { url: `http://127.0.0.1:${port}/hook`, eventTypes: ['logs.net'], retryPolicy: { maxAttempts: 1 } });
    assert.equal(res.status, 201);
    const { deliveryId } = await sendEvent(stack, 'logs.net');
    await waitForState(stack, deliveryId, 'dead_lettered');
    const failed = about(deliveryId).filter((l) => l.msg === 'delivery attempt failed');
    assert.equal(failed.length, 1, JSON.stringify(about(deliveryId)));
    assert.equal(failed[0]!.statusCode, null);
    assert.match(String(failed[0]!.error), /ECONNREFUSED|refused/i);
  });
});
