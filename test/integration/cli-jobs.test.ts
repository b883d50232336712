// Bulk redelivery and recovery from the CLI, followed to the end with a progress bar, and how the
// CLI reports mistakes: a bad flag, a bad value, an API error, an API that is not there.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { cliEnv, runCli } from '../support/cli';
import { closedPort } from '../support/ports';
import { receiverPool } from '../support/receiver';
import { startStack, waitFor, type Stack } from '../support/stack';

void describe('hookflow redeliver, recover and errors', () => {
  let stack: Stack;
  let env: NodeJS.ProcessEnv;
  const pool = receiverPool();

  before(async () => {
    stack = await startStack({ HOOKFLOW_RETRY_MAX_ATTEMPTS: '2' });
    env = cliEnv(stack);
  });
  after(async () => {
    await stack?.stop();
    await pool.closeAll();
  });

  /** A subscription whose endpoint fails until told otherwise, and `n` of its deliveries dead-lettered. */
  async function deadLetters(type: string, n: number) {
    let healthy = false;
    const r = await pool.start(() => ({ status: healthy ? 200 : 500 }));
    const sub = (await stack.call('POST', '/v1/subscriptions', { url: r.url, eventTypes: [type] })).body;
    r.secrets.push(sub.secret);
    const ids: string[] = [];
    for (let i = 0; i < n; i++) ids.push((await stack.call('POST', '/v1/events', { type, data: { i } })).body.deliveries[0].id);
    await waitFor(async () => {
      const page = await stack.call('GET', `/v1/deliveries?subscriptionId=${sub.id}&status=dead_lettered`);
      return page.body.data.length === n;
    }, `${n} dead letters of ${type}`);
    return { sub, receiver: r, ids, heal: () => (healthy = true) };
  }

  void test('redeliver --status dead_lettered redelivers three dead letters, follows them to success and exits 0', { timeout: 120_000 }, async () => {
    const d = await deadLetters('bulk.ok', 3);
    const before = d.receiver.received.length;
    d.heal();
    const res = await runCli(['redeliver', '--status', 'dead_lettered', '--subscription', d.sub.id, '--since', '1h'], env);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /^redelivered 3: 3 succeeded, 0 dead-lettered again$/m);
    // The progress bar, drawn line by line off a terminal, reached the end.
    assert.match(res.stderr, /redelivering \[.+\] 3\/3 3 succeeded, 0 dead-lettered again/);
    for (const id of d.ids) assert.equal((await stack.call('GET', `/v1/deliveries/${id}`)).body.state, 'succeeded');
    const again = d.receiver.received.slice(before);
    assert.equal(again.length, 3);
    assert.ok(again.every((r) => r.verified), 'every redelivery is signed');
    assert.deepEqual(new Set(again.map((r) => r.headers['webhook-id'])).size, 3);

    // Nothing left: says so and exits 0.
    const none = await runCli(['redeliver', '--status', 'dead_lettered', '--subscription', d.sub.id], env);
    assert.equal(none.code, 0, none.stderr);
    assert.match(none.stdout, /^nothing to redeliver \(0 matched\)$/m);
  });

  void test('redeliver exits 1 and names them when the redelivered ones dead-letter again', { timeout: 120_000 }, async () => {
    const d = await deadLetters('bulk.fail', 2);
    const res = await runCli(['redeliver', '--status', 'dead_lettered', '--subscription', d.sub.id, '--json'], env);
    assert.equal(res.code, 1, res.stderr);
    const out = JSON.parse(res.stdout);
    assert.equal(out.matched, 2);
    assert.equal(out.signalled, 2);
    assert.equal(out.succeeded, 0);
    assert.deepEqual([...out.deadLetteredAgain].sort(), [...d.ids].sort());
  });

  void test('recover resends a window of dead-lettered and discarded deliveries with a progress bar until the recovery completes', { timeout: 120_000 }, async () => {
    const d = await deadLetters('recover.cli', 3);
    const discarded = await runCli(['deliveries', 'discard', d.ids[0]!, '--reason', 'by hand'], env);
    assert.equal(discarded.code, 0, discarded.stderr);
    await waitFor(async () => (await stack.call('GET', `/v1/deliveries/${d.ids[0]}`)).body.state === 'discarded', 'the discard');
    d.heal();
    const res = await runCli(['recover', d.sub.id, '--since', '10m'], env);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /^recovery recover-\S+ completed: 3 matched, 3 resent, 0 skipped$/m);
    assert.match(res.stderr, /recovery recover-\S+ \[.+\] 3\/3 3 resent, 0 skipped/);
    await waitFor(async () => {
      const states = await Promise.all(d.ids.map(async (id) => (await stack.call('GET', `/v1/deliveries/${id}`)).body.state));
      return states.every((s) => s === 'succeeded');
    }, 'the recovered deliveries to succeed');
  });

  void test('recover of a disabled subscription is refused with the reason and the flag that enables it, and --enable recovers it', { timeout: 120_000 }, async () => {
    const d = await deadLetters('recover.off.cli', 2);
    await stack.db.query("UPDATE subscriptions SET active = false, disabled_reason = 'disabled by hand for the test' WHERE id = $1", [d.sub.id]);
    d.heal();
    const refused = await runCli(['recover', d.sub.id, '--since', '10m'], env);
    assert.equal(refused.code, 1, refused.stdout);
    assert.match(refused.stderr, /is disabled \(disabled by hand for the test\)/);
    assert.match(refused.stderr, /add --enable/);

    const res = await runCli(['recover', d.sub.id, '--since', '10m', '--enable'], env);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /^recovery recover-\S+ completed: 2 matched, 2 resent, 0 skipped$/m);
  });

  void test('a bad flag, a bad value, an API error and an unreachable API: a clear message and a non-zero exit', { timeout: 120_000 }, async () => {
    const flag = await runCli(['send', 'a.b', '--bogus'], env);
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /^error: unknown option '--bogus'$/m);
    assert.match(flag.stderr, /add --help for usage/);

    const data = await runCli(['send', 'a.b', '--data', '{not json'], env);
    assert.equal(data.code, 2);
    assert.match(data.stderr, /option '-d, --data <json\|@file>' argument '\{not json' is invalid\. not JSON/);

    const since = await runCli(['deliveries', 'list', '--since', 'yesterday'], env);
    assert.equal(since.code, 2);
    assert.match(since.stderr, /argument 'yesterday' is invalid\. expected a duration back from now/);

    const missing = await runCli(['redeliver'], env);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /required option '-s, --status <state>' not specified/);

    // The API's problem+json: title, status, detail and each field.
    const reserved = await runCli(['send', 'hookflow.thing'], env);
    assert.equal(reserved.code, 1);
    assert.match(reserved.stderr, /^error: Validation Failed \(400\)$/m);
    assert.match(reserved.stderr, /^ {2}body\.type: must not start with "hookflow\."/m);
    assert.equal(reserved.stdout, '');

    const unknown = await runCli(['deliveries', 'show', 'dlv_nope'], env);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^error: Not Found \(404\): delivery dlv_nope does not exist$/m);

    const badKey = await runCli(['deliveries', 'list'], { ...env, HOOKFLOW_API_KEY: 'wrong-key-0123456789abcdef' });
    assert.equal(badKey.code, 1);
    assert.match(badKey.stderr, /^error: Unauthorized \(401\)/m);

    const port = await closedPort();
    const down = await runCli(['deliveries', 'list'], { ...env, HOOKFLOW_URL: `http://127.0.0.1:${port}` });
    assert.equal(down.code, 1);
    assert.match(down.stderr, new RegExp(`^error: cannot reach the hookflow API at http://127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\)$`, 'm'));
  });
});
