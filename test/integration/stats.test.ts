// Delivery health: a known mix of deliveries (first-time successes, a success after a retry, a dead
// letter after three attempts, a 400 that stops at once, a redelivered dead letter) through the real
// stack, then the stats routes must say exactly what happened, with the admin key, with the
// tenant's token, and in the `hookflow stats` command; another tenant's figures stay out of reach.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { latencyBin, LATENCY_BOUNDS_MS } from '../../src/stats/latency-bins';
import { assertProblem } from '../support/api';
import { cliEnv, runCli } from '../support/cli';
import { attemptsOf, waitForState } from '../support/engine';
import { receiverPool } from '../support/receiver';
import { startStack, type Stack } from '../support/stack';
import { createTenant, type TestTenant } from '../support/tenants';

void describe('stats per subscription and per tenant, from rollups', () => {
  let stack: Stack;
  let tenant: TestTenant;
  let other: TestTenant;
  const pool = receiverPool();
  const ids = { main: '', second: '', others: '' };
  const deliveries: string[] = [];
  let windowQuery = '';
  let since = '';

  before(async () => {
    stack = await startStack({ HOOKFLOW_RETRY_MAX_ATTEMPTS: '3' });
    [tenant, other] = await Promise.all([createTenant(stack, 'stats'), createTenant(stack, 'stats-other')]);
    const seen = new Map<string, number>();
    let deadIsBack = false;
    const receiver = await pool.start((req) => {
      const id = String(req.headers['webhook-id']);
      const n = (seen.get(id) ?? 0) + 1;
      seen.set(id, n);
      const { data } = JSON.parse(req.body) as { data: { plan: string } };
      if (data.plan === 'dead' && !deadIsBack) return { status: 503 };
      if (data.plan === 'stop') return { status: 400, body: 'no such customer' };
      if (data.plan === 'retry-once' && n === 1) return { status: 500 };
      return { status: 200, delayMs: data.plan === 'slow' ? 120 : 0 };
    });
    const sub = async (t: TestTenant, type: string) => {
      const res = await t.call('POST', '/v1/subscriptions', { url: receiver.url, eventTypes: [type] });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body.id as string;
    };
    [ids.main, ids.second, ids.others] = await Promise.all([sub(tenant, 'mix.main'), sub(tenant, 'mix.second'), sub(other, 'mix.main')]);
    since = new Date(Date.now() - 60_000).toISOString();
    windowQuery = `since=${encodeURIComponent(since)}`;

    const send = async (t: TestTenant, type: string, plan: string) => {
      const res = await t.call('POST', '/v1/events', { type, data: { plan } });
      assert.equal(res.status, 202, JSON.stringify(res.body));
      return res.body.deliveries[0].id as string;
    };
    const plans = [['ok', 'succeeded'], ['ok', 'succeeded'], ['slow', 'succeeded'], ['retry-once', 'succeeded'], ['dead', 'dead_lettered'], ['stop', 'dead_lettered']] as const;
    const sent = await Promise.all(plans.map(([plan]) => send(tenant, 'mix.main', plan)));
    deliveries.push(...sent);
    await Promise.all(sent.map((id, i) => waitForState(stack, id, plans[i]![1])));
    // The dead letter, redelivered once its endpoint is back: a new round that succeeds.
    deadIsBack = true;
    const dead = sent[4]!;
    assert.equal((await tenant.call('POST', `/v1/deliveries/${dead}/redeliver`, {})).status, 202);
    await waitForState(stack, dead, 'succeeded');
    // The tenant's other subscription, and another tenant's.
    await waitForState(stack, await send(tenant, 'mix.second', 'ok'), 'succeeded');
    await waitForState(stack, await send(other, 'mix.main', 'ok'), 'succeeded');
  });
  after(async () => {
    await stack?.stop();
    await pool.closeAll();
  });

  // 6 rounds ended first: 4 succeeded (one after a retry), the dead letter (3 attempts) and the 400
  // failed; the redelivery's round then succeeded. Attempts: ok, ok, slow, retry-once ×2, dead ×3, 400, redelivery.
  const expected = { deliveries: 7, succeeded: 5, failed: 2, attempts: 1 + 1 + 1 + 2 + 3 + 1 + 1, successRate: 0.7143 };

  void test('a subscription\'s totals and buckets say exactly what happened, for the admin and the tenant alike', async () => {
    const res = await stack.call('GET', `/v1/subscriptions/${ids.main}/stats?${windowQuery}&bucket=1m`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const s = res.body;
    assert.equal(s.subscriptionId, ids.main);
    assert.equal(s.tenantId, tenant.id);
    assert.equal(s.bucket, '1m');
    const { latencyMs, ...counts } = s.totals;
    assert.deepEqual(counts, expected);
    // Every bucket is there (the window in whole minutes), and they add up to the totals.
    assert.equal(s.buckets.length, (Date.parse(s.until) - Date.parse(s.since)) / 60_000);
    for (const k of ['deliveries', 'succeeded', 'failed', 'attempts'] as const) {
      assert.equal(s.buckets.reduce((sum: number, b: Record<string, number>) => sum + b[k]!, 0), expected[k], `buckets' ${k}`);
    }

    // The percentiles lie in the histogram bin of the exact values from the attempt log.
    const durations = (await Promise.all(deliveries.map((id) => attemptsOf(stack, id)))).flat().map((a) => a.durationMs as number).sort((a, b) => a - b);
    assert.equal(durations.length, expected.attempts);
    for (const [q, key] of [[0.5, 'p50'], [0.95, 'p95'], [0.99, 'p99']] as const) {
      const exact = durations[Math.ceil(q * durations.length) - 1]!;
      const bin = latencyBin(exact);
      const [lo, hi] = [bin === 0 ? 0 : LATENCY_BOUNDS_MS[bin - 1]!, LATENCY_BOUNDS_MS[bin] ?? Infinity];
      assert.ok(latencyMs[key] >= lo && latencyMs[key] <= Math.min(hi, durations.at(-1)!), `${key} ${latencyMs[key]} vs exact ${exact} in [${lo}, ${hi})`);
    }
    assert.ok(latencyMs.p99 >= 120, `the slow (120 ms) answer is the p99: ${latencyMs.p99}`);

    // The same answer through the tenant's own token.
    const mine = await tenant.call('GET', `/v1/subscriptions/${ids.main}/stats?${windowQuery}&bucket=1m`);
    assert.equal(mine.status, 200);
    assert.deepEqual(mine.body.totals, s.totals);

    // Both resolutions hold every attempt once.
    const { rows } = await stack.db.query('SELECT bucket_seconds, sum(attempts)::int AS n FROM subscription_stats WHERE subscription_id = $1 GROUP BY 1 ORDER BY 1', [ids.main]);
    assert.deepEqual(rows, [{ bucket_seconds: 60, n: expected.attempts }, { bucket_seconds: 3600, n: expected.attempts }]);
  });

  void test('a tenant\'s stats add up its subscriptions and no one else\'s; a tenant reads only its own', async () => {
    for (const call of [(m: string, p: string) => stack.call(m, p), (m: string, p: string) => tenant.call(m, p)]) {
      const res = await call('GET', `/v1/tenants/${tenant.id}/stats?${windowQuery}`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.tenantId, tenant.id);
      assert.equal(res.body.bucket, '1m', 'the default bucket for a short window');
      assert.deepEqual([res.body.totals.deliveries, res.body.totals.succeeded, res.body.totals.attempts], [expected.deliveries + 1, expected.succeeded + 1, expected.attempts + 1]);
    }
    const others = await other.call('GET', `/v1/tenants/${other.id}/stats?${windowQuery}`);
    assert.deepEqual([others.body.totals.deliveries, others.body.totals.attempts], [1, 1]);
    // Each other's: a 404, as if it did not exist.
    assertProblem(await other.call('GET', `/v1/tenants/${tenant.id}/stats`), 404);
    assertProblem(await other.call('GET', `/v1/subscriptions/${ids.main}/stats`), 404);
    assertProblem(await tenant.call('GET', `/v1/subscriptions/${ids.others}/stats`), 404);
    assertProblem(await stack.call('GET', '/v1/tenants/no-such-tenant/stats'), 404);
    assertProblem(await stack.call('GET', '/v1/subscriptions/sub_nosuch/stats'), 404);
  });

  void test('bad windows are 400s naming the field', async () => {
    const at = (ms: number) => encodeURIComponent(new Date(Date.now() + ms).toISOString());
    const base = `/v1/subscriptions/${ids.main}/stats`;
    assertProblem(await stack.call('GET', `${base}?since=${at(-60_000)}&until=${at(-60_000)}`), 400, ['query.since']);
    assertProblem(await stack.call('GET', `${base}?since=${at(-60_000)}&until=${at(-120_000)}`), 400, ['query.since']);
    assertProblem(await stack.call('GET', `${base}?since=${at(-2 * 86_400_000)}&bucket=1m`), 400, ['query.bucket']);
    assertProblem(await stack.call('GET', `${base}?since=${at(-31 * 86_400_000)}`), 400, ['query.since']);
    assertProblem(await stack.call('GET', `${base}?bucket=2m`), 400, ['query.bucket']);
    assertProblem(await stack.call('GET', `${base}?since=yesterday`), 400, ['query.since']);
    assertProblem(await tenant.call('GET', `/v1/tenants/${tenant.id}/stats?since=${at(-2 * 86_400_000)}&bucket=1m`), 400, ['query.bucket']);
  });

  void test('hookflow stats prints the totals and the buckets with attempts; a command typed wrong exits 2', async () => {
    const env = cliEnv(stack);
    const sub = await runCli(['stats', ids.main, '--since', since, '--bucket', '1h'], env);
    assert.equal(sub.code, 0, sub.stderr);
    assert.match(sub.stdout, /^deliveries\s+7 \(5 succeeded, 2 failed\)$/m);
    assert.match(sub.stdout, /^success rate\s+71\.4%$/m);
    assert.match(sub.stdout, /^attempts\s+10$/m);
    assert.match(sub.stdout, /^latency\s+p50 \d+ ms {2}p95 \d+ ms {2}p99 \d+ ms$/m);
    assert.match(sub.stdout, /^BUCKET\s+DELIVERIES\s+OK\s+FAILED\s+ATTEMPTS\s+SUCCESS\s+P50\s+P95\s+P99/m);
    // One or two hour buckets (the minute may straddle an hour), holding 7 deliveries between them.
    const rows = sub.stdout.split('\n').filter((l) => /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+\d+/.test(l));
    assert.ok(rows.length >= 1 && rows.length <= 2, sub.stdout);
    assert.equal(rows.reduce((n, l) => n + Number(l.split(/\s+/)[2]), 0), 7);
    assert.match(rows.join('\n'), /#/, 'the bar shows successes');
    assert.match(rows.join('\n'), /x/, 'and failures');

    const json = await runCli(['stats', '--tenant', tenant.id, '--since', since, '--json'], env);
    assert.equal(json.code, 0, json.stderr);
    assert.equal(JSON.parse(json.stdout).totals.deliveries, 8);
    const neither = await runCli(['stats'], env);
    assert.equal(neither.code, 2);
    assert.match(neither.stderr, /name a subscription, or a tenant with --tenant/);
    const bad = await runCli(['stats', ids.main, '--bucket', '2m'], env);
    assert.equal(bad.code, 2);
  });

  // Last: it empties the attempt log of these deliveries.
  void test('reads come from the rollups: with the attempt log gone, the figures stay', async () => {
    const before = (await stack.call('GET', `/v1/subscriptions/${ids.main}/stats?${windowQuery}`)).body;
    const { rowCount } = await stack.db.query('DELETE FROM delivery_attempts WHERE delivery_id = ANY($1)', [deliveries]);
    assert.equal(rowCount, expected.attempts);
    const afterDelete = (await stack.call('GET', `/v1/subscriptions/${ids.main}/stats?${windowQuery}`)).body;
    assert.deepEqual(afterDelete.totals, before.totals);
  });
});
