// Failed authentication is limited per client address: made-up tenant tokens and guessed portal
// links each cost a database look-up, so past the limit an address gets 429 with Retry-After, before
// any look-up, for the rest of the window. Valid credentials do not count.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { assertProblem } from '../support/api';
import { callApi, readResponse } from '../support/call-api';
import { startStack, type Stack } from '../support/stack';

const LIMIT = 20;

void describe('failed authentication is rate-limited per client address', () => {
  let stack: Stack;

  before(async () => {
    stack = await startStack({ HOOKFLOW_AUTH_FAILURE_LIMIT: `${LIMIT}/1m` });
  });
  after(async () => {
    await stack?.stop();
  });

  const madeUpToken = () => callApi(stack.url, `hft_${randomBytes(24).toString('base64url')}`, 'GET', '/v1/subscriptions');
  const guessedLink = () =>
    fetch(`${stack.url}/portal/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ link: `hfpl_${randomBytes(32).toString('base64url')}` }),
    }).then(readResponse);

  void test(`${LIMIT} failures (tokens and portal links together) are 401; then 429 with Retry-After, and valid credentials never count`, async () => {
    // Successes do not count towards the limit.
    for (let i = 0; i < LIMIT * 2; i++) assert.equal((await stack.call('GET', '/v1/subscriptions')).status, 200);
    for (let i = 0; i < LIMIT; i++) {
      const res = await (i % 2 === 0 ? madeUpToken() : guessedLink());
      assert.equal(res.status, 401, `failure ${i + 1}: ${JSON.stringify(res.body)}`);
    }
    for (const res of [await madeUpToken(), await guessedLink(), await stack.call('GET', '/v1/subscriptions')]) {
      assertProblem(res, 429);
      const retryAfter = Number(res.headers.get('retry-after'));
      assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After ${res.headers.get('retry-after')}`);
      assert.match(res.body.detail, new RegExp(`too many failed authentications from this address \\(at most ${LIMIT} per 1m\\)`));
    }
  });
});
