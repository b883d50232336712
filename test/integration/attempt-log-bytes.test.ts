// Whatever bytes an endpoint answers with (a NUL, binary, UTF-16), the attempt is recorded: the
// excerpt is stored as storable text and the record says what was replaced. Before, one NUL made
// PostgreSQL refuse the write and the attempt vanished from the log.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { responseExcerpt } from '../../activities/response-excerpt';
import { attemptsOf, sendEvent, subscribe, waitForState } from '../support/engine';
import { receiverPool } from '../support/receiver';
import { startStack, waitFor, type Stack } from '../support/stack';

void describe('attempt log and arbitrary response bytes', () => {
  let stack: Stack;
  const pool = receiverPool();

  before(async () => {
    stack = await startStack({ HOOKFLOW_RETRY_INITIAL_INTERVAL_MS: '50', HOOKFLOW_RETRY_MAX_INTERVAL_MS: '100' });
  });
  after(async () => {
    await stack?.stop();
    await pool.closeAll();
  });

  void test('a 200 answering "before\\0after" and a 500 answering "x\\0y" both keep every attempt', async () => {
    const ok = await pool.start(() => ({ status: 200, body: Buffer.from('before\0after') }));
    const failing = await pool.start(() => ({ status: 500, body: Buffer.from('x\0y') }));
    const okSub = await subscribe(stack, ok);
    const failSub = await subscribe(stack, failing, { retryPolicy: { maxAttempts: 2, initialIntervalMs: 50 } });

    const good = await sendEvent(stack, okSub.eventType);
    await waitForState(stack, good.deliveryId, 'succeeded');
    const [attempt] = await waitFor(async () => ((await attemptsOf(stack, good.deliveryId)).length === 1 ? attemptsOf(stack, good.deliveryId) : undefined), 'the attempt');
    assert.equal(attempt.responseBody, 'before\uFFFDafter');
    assert.equal(attempt.responseBodyNote, 'not stored as sent: 1 NUL byte replaced with U+FFFD');

    const bad = await sendEvent(stack, failSub.eventType);
    await waitForState(stack, bad.deliveryId, 'dead_lettered');
    const attempts = await attemptsOf(stack, bad.deliveryId);
    assert.deepEqual(attempts.map((a) => [a.attempt, a.statusCode, a.responseBody, a.outcome]), [
      [1, 500, 'x\uFFFDy', 'failed'],
      [2, 500, 'x\uFFFDy', 'failed'],
    ]);
  });

  void test('a test ping to an endpoint answering a NUL reports its attempt at once, not `pending`', async () => {
    const target = await pool.start(() => ({ status: 200, body: Buffer.from('pong\0') }));
    const sub = await subscribe(stack, target);
    const t0 = Date.now();
    const res = await stack.call('POST', `/v1/subscriptions/${sub.id}/test`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.outcome, 'succeeded');
    assert.equal(res.body.responseBody, 'pong\uFFFD');
    assert.match(res.body.responseBodyNote, /1 NUL byte/);
    assert.ok(Date.now() - t0 < 5_000, `answered in ${Date.now() - t0} ms`);
  });

  void test('property: arbitrary bytes as a response body always produce a recorded attempt', async () => {
    let answer: Uint8Array = new Uint8Array();
    const target = await pool.start(() => ({ status: 200, body: answer }));
    const sub = await subscribe(stack, target);
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 512 }), async (bytes) => {
        answer = bytes;
        const { deliveryId } = await sendEvent(stack, sub.eventType);
        const [attempt] = await waitFor(async () => {
          const list = await attemptsOf(stack, deliveryId);
          return list.length > 0 ? list : undefined;
        }, `the attempt of ${deliveryId}`, 10_000);
        const expected = responseExcerpt(bytes, false);
        // An empty answer is stored as an empty excerpt.
        assert.equal(attempt.responseBody, expected.text);
        assert.equal(attempt.responseBodyNote, expected.note);
        assert.equal(attempt.outcome, 'succeeded');
      }),
      // Each run is a real delivery; a bounded number keeps the file quick on a shared machine.
      { numRuns: 25 },
    );
  });
});
