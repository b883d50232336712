// The `hookflow` CLI as people run it, as a subprocess against a real stack: `listen` receives and
// verifies what `send` sends, forwards it, refuses forgeries, and deletes its subscription on Ctrl-C.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { receiverPool } from '../support/receiver';
import { cliEnv, exited, runCli, spawnCli, waitForOutput } from '../support/cli';
import { startStack, waitFor, type Stack } from '../support/stack';

void describe('hookflow listen, send, ping and deliveries', () => {
  let stack: Stack;
  let env: NodeJS.ProcessEnv;
  const pool = receiverPool();
  const children: ReturnType<typeof spawnCli>[] = [];

  before(async () => {
    stack = await startStack();
    env = cliEnv(stack);
  });
  after(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await stack?.stop();
    await pool.closeAll();
  });

  const listen = async (args: string[]) => {
    const child = spawnCli(['listen', ...args], env);
    children.push(child);
    const [, url, types, subscriptionId] = await waitForOutput(child, /listening on (\S+) for (.+) \(tenant default\)\nsubscription (sub_\w+)/, 'listen to subscribe');
    return { child, url: url!, types: types!, subscriptionId: subscriptionId! };
  };

  void test('listen receives and verifies what send sends, only the types it asked for, and deletes its subscription on SIGINT', { timeout: 120_000 }, async () => {
    const l = await listen(['--types', 'invoice.*']);
    assert.equal(l.types, 'invoice.*');
    const sub = await stack.call('GET', `/v1/subscriptions/${l.subscriptionId}`);
    assert.equal(sub.status, 200);
    assert.equal(sub.body.url, l.url);
    assert.match(l.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);

    const sent = await runCli(['send', 'invoice.paid', '--data', '{"id":1}'], env);
    assert.equal(sent.code, 0, sent.stderr);
    const eventId = /^event (evt_\w+) \(invoice\.paid, tenant default\) accepted$/m.exec(sent.stdout)?.[1];
    assert.ok(eventId, sent.stdout);
    assert.match(sent.stdout, new RegExp(`^dlv_\\w+\\s+${l.subscriptionId}\\s+(scheduled|delivering|succeeded)\\s*$`, 'm'));

    await waitForOutput(l.child, new RegExp(`invoice\\.paid  ${eventId}  attempt 1  signature valid\\n  \\{\\n    "id": 1\\n  \\}\\n  → answered 204`), 'the webhook printed by listen');
    // Not subscribed to, so never printed.
    const other = await runCli(['send', 'order.created', '--data', '{}'], env);
    assert.equal(other.code, 0, other.stderr);
    assert.match(other.stdout, /no subscription matches it/);

    // The delivery succeeded with listen's own answer.
    const delivery = await waitFor(async () => {
      const r = await stack.call('GET', `/v1/deliveries?eventId=${eventId}`);
      return r.body.data[0]?.status === 'succeeded' ? r.body.data[0] : undefined;
    }, 'the delivery to succeed');
    const attempts = await stack.call('GET', `/v1/deliveries/${delivery.id}/attempts`);
    assert.equal(attempts.body.data[0].statusCode, 204);

    l.child.kill('SIGINT');
    const done = await exited(l.child, 20_000);
    assert.equal(done.code, 0, done.stderr);
    assert.match(done.stderr, new RegExp(`deleted subscription ${l.subscriptionId}`));
    assert.equal((await stack.call('GET', `/v1/subscriptions/${l.subscriptionId}`)).status, 404);
    assert.doesNotMatch(done.stdout, /order\.created/);
  });

  void test('--forward-to passes the webhook on unchanged and answers with what the target answered; a forgery is refused', { timeout: 120_000 }, async () => {
    const app = await pool.start(() => ({ status: 201, body: 'created by the app' }));
    const l = await listen(['--types', 'order.*', '--forward-to', app.url]);
    const secret = (await stack.call('GET', `/v1/subscriptions/${l.subscriptionId}/secret`)).body.secret as string;
    app.secrets.push(secret);

    const sent = await runCli(['send', 'order.created', '--data', '{"order":"o_1"}', '--json'], env);
    assert.equal(sent.code, 0, sent.stderr);
    const event = JSON.parse(sent.stdout);
    await waitForOutput(l.child, new RegExp(`order\\.created  ${event.id}  attempt 1  signature valid[\\s\\S]*→ answered 201 ← ${app.url.replace(/[/.]/g, '\\$&')} 201 in \\d+ ms`), 'the forwarded webhook');
    // The app got hookflow's own signed request, verifiable with the subscription's secret.
    assert.equal(app.received.length, 1);
    assert.equal(app.received[0]!.verified, true, app.received[0]!.verifyError);
    assert.equal(app.received[0]!.headers['webhook-id'], event.id);
    // And hookflow recorded the app's answer as the endpoint's.
    const attempt = await waitFor(async () => (await stack.call('GET', `/v1/deliveries/${event.deliveries[0].id}/attempts`)).body.data[0], 'the attempt');
    assert.equal(attempt.statusCode, 201);
    assert.equal(attempt.responseBody, 'created by the app');

    // A request signed with another key is shown as invalid, answered 401 and not forwarded.
    const forged = await fetch(l.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'webhook-id': 'msg_forged', 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': 'v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=' },
      body: JSON.stringify({ type: 'order.created', timestamp: new Date().toISOString(), data: { forged: true } }),
    });
    assert.equal(forged.status, 401);
    await waitForOutput(l.child, /order\.created  msg_forged  attempt 1  signature INVALID \(invalid_signature\)[\s\S]*→ answered 401/, 'the forgery printed as invalid');
    assert.equal(app.received.length, 1);

    l.child.kill('SIGINT');
    assert.equal((await exited(l.child, 20_000)).code, 0);
  });

  void test('ping reports the endpoint answer; deliveries list, show and attempts print tables, --json the API answer', { timeout: 120_000 }, async () => {
    const r = await pool.start(() => ({ status: 200, body: 'pong' }));
    const sub = (await stack.call('POST', '/v1/subscriptions', { url: r.url, eventTypes: ['table.row'] })).body;
    const ping = await runCli(['ping', sub.id], env);
    assert.equal(ping.code, 0, ping.stderr);
    assert.match(ping.stdout, /^succeeded: 200 pong in \d+ ms \(delivery dlv_\w+\)$/m);

    const sent = JSON.parse((await runCli(['send', 'table.row', '--json', '--idempotency-key', 'row-1'], env)).stdout);
    const deliveryId = sent.deliveries[0].id as string;
    await waitFor(async () => (await stack.call('GET', `/v1/deliveries/${deliveryId}`)).body.state === 'succeeded', 'the delivery');

    const list = await runCli(['deliveries', 'list', '--subscription', sub.id, '--status', 'succeeded', '--since', '1h'], env);
    assert.equal(list.code, 0, list.stderr);
    const lines = list.stdout.trim().split('\n');
    assert.match(lines[0]!, /^DELIVERY\s+STATUS\s+EVENT TYPE\s+EVENT\s+SUBSCRIPTION\s+CREATED\s+CLOSED$/);
    // The ping and the event, newest first.
    assert.equal(lines.length, 3, list.stdout);
    assert.match(lines[1]!, new RegExp(`^${deliveryId}\\s+succeeded\\s+table\\.row\\s+${sent.id}\\s+${sub.id}\\s`));
    assert.match(lines[2]!, /\shookflow\.ping\s/);

    const listed = JSON.parse((await runCli(['deliveries', 'list', '--subscription', sub.id, '--json', '--limit', '1'], env)).stdout);
    assert.equal(listed.data.length, 1);
    assert.equal(typeof listed.nextCursor, 'string');

    const show = await runCli(['deliveries', 'show', deliveryId], env);
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, /^state\s+succeeded$/m);
    assert.match(show.stdout, /^1\s+initial\s+.+\s+1\s+succeeded\s+200\s*$/m);

    const attempts = await runCli(['deliveries', 'attempts', deliveryId], env);
    assert.match(attempts.stdout, /^1\s+1\s+\S+ \S+\s+\d+ ms\s+200\s+succeeded\s+pong$/m);

    // A succeeded delivery cannot be discarded: the API's 409, as the CLI prints it.
    const discard = await runCli(['deliveries', 'discard', deliveryId], env);
    assert.equal(discard.code, 1);
    assert.match(discard.stderr, /^error: Conflict \(409\): delivery dlv_\w+ is succeeded; only an open delivery can be discarded$/m);
    const again = await runCli(['deliveries', 'redeliver', deliveryId], env);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /^redelivering dlv_\w+ \(a new run of the closed delivery\)$/m);
  });
});
