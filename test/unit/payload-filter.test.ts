import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { evaluatePending, KnownFilters, noVerdicts } from '../../src/payload-filter/fanout';
import { compileFilter } from '../../src/payload-filter/match';
import { checkFilter } from '../../src/payload-filter/validate';

const event = { type: 'invoice.paid', data: { amount: 150, currency: 'eur', customer: { id: 'cus_1', tier: 'gold' }, tags: ['vip', 'eu'], note: null } };
const matches = (filter: unknown, target: unknown = event) => compileFilter(filter)(target as typeof event);

const problemsOf = (filter: unknown) => {
  const r = checkFilter(filter);
  return r.ok ? [] : r.problems.map((p) => `${p.path.join('.')}: ${p.message}`);
};

void describe('payload filters: matching', () => {
  void test('nested objects match nested fields, every operator named by the contract', () => {
    const yes: unknown[] = [
      { type: 'invoice.paid' },
      { data: { amount: 150 } },
      { data: { customer: { tier: 'gold' } } },
      { 'data.customer.tier': 'gold' },
      { data: { amount: { $eq: 150 }, currency: { $ne: 'usd' } } },
      { data: { amount: { $gt: 100, $gte: 150, $lt: 200, $lte: 150 } } },
      { data: { currency: { $in: ['eur', 'usd'] }, customer: { tier: { $nin: ['free'] } } } },
      { data: { customer: { id: { $exists: true } }, refund: { $exists: false } } },
      { type: { $startsWith: 'invoice.' }, data: { customer: { id: { $startsWith: 'cus_' } } } },
      { $and: [{ type: 'invoice.paid' }, { data: { amount: { $gte: 100 } } }] },
      { $or: [{ data: { amount: { $gte: 1000 } } }, { data: { tags: 'vip' } }] },
      { $not: { data: { currency: 'usd' } } },
      { data: { amount: { $not: { $lt: 100 } } } },
      { data: { $or: [{ currency: 'usd' }, { customer: { tier: 'gold' } }] } },
      { data: { tags: 'eu' } },
      { data: { note: null } },
    ];
    for (const f of yes) assert.equal(matches(f), true, JSON.stringify(f));
    const no: unknown[] = [
      { type: 'invoice.failed' },
      { data: { amount: { $gt: 150 } } },
      { data: { customer: { tier: 'silver' } } },
      { data: { currency: { $in: ['usd'] } } },
      { data: { customer: { id: { $startsWith: 'acct_' } } } },
      { data: { amount: { $startsWith: '1' } } },
      { data: { refund: { $exists: true } } },
      { $and: [{ type: 'invoice.paid' }, { data: { amount: { $lt: 100 } } }] },
      { $not: { type: 'invoice.paid' } },
      { data: { amount: '150' } },
    ];
    for (const f of no) assert.equal(matches(f), false, JSON.stringify(f));
  });

  void test('bad filters are refused with the path of the problem', () => {
    assert.deepEqual(problemsOf({ data: { amount: { $regex: '^1' } } }), [
      'data.amount.$regex: is not a supported operator (supported: $and $eq $exists $gt $gte $in $lt $lte $ne $nin $not $or $startsWith)',
    ]);
    assert.match(problemsOf({ $where: 'sleep(1000)' })[0]!, /^\$where: is not a supported operator/);
    assert.match(problemsOf({ data: { a: { $function: {} } } })[0]!, /^data\.a\.\$function: is not a supported/);
    assert.match(problemsOf({ $gte: 1 })[0]!, /^\$gte: \$gte must apply to a field/);
    assert.match(problemsOf({ amount: 1 })[0]!, /^amount: must be "type" or "data"/);
    assert.match(problemsOf({ data: { amount: { $gte: 1, currency: 'x' } } })[0]!, /^data\.amount: mixes operators and field names/);
    assert.match(problemsOf({ data: { amount: { $in: 'x' } } })[0]!, /^data\.amount\.\$in: must be a list/);
    assert.match(problemsOf({ data: { amount: { $exists: 1 } } })[0]!, /^data\.amount\.\$exists: must be true or false/);
    assert.match(problemsOf({ $or: [] })[0]!, /^\$or: must be a list of 1-100 filter objects/);
    assert.match(problemsOf({ $or: [{ data: { a: { $bad: 1 } } }] })[0]!, /^\$or\.0\.data\.a\.\$bad:/);
    assert.match(problemsOf({ data: { a: { $eq: { $where: 'x' } } } })[0]!, /^data\.a\.\$eq\.\$where: an operator cannot appear inside a value/);
    assert.match(problemsOf({ data: { a: {} } })[0]!, /^data\.a: must not be an empty object/);
    assert.match(problemsOf({})[0]!, /must not be empty/);
    assert.match(problemsOf([1])[0]!, /must be a JSON object/);
  });

  void test('the cost is bounded: size, depth, conditions, list length', () => {
    let deep: Record<string, unknown> = { z: 1 };
    for (let i = 0; i < 10; i++) deep = { [`l${i}`]: deep };
    assert.match(problemsOf({ data: deep }).join(), /nests deeper than 8 levels/);
    assert.match(problemsOf({ data: { s: 'x'.repeat(5000) } })[0]!, /at most 4096 bytes/);
    const wide = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`f${i}`, i]));
    assert.match(problemsOf({ data: wide })[0]!, /at most 64 conditions \(got 65\)/);
    assert.match(problemsOf({ data: { a: { $in: Array.from({ length: 101 }, (_, i) => i) } } })[0]!, /at most 100 values/);
  });
});

void describe('payload filters at fan-out: verdicts for the accept statement', () => {
  const events = [
    { tenantId: 't1', type: 'order.created', dataJson: '{"amount": 5}' },
    { tenantId: 't1', type: 'order.created', dataJson: '{"amount": 500}' },
    { tenantId: 't2', type: 'order.created', dataJson: '{"amount": 500}' },
  ];
  const big = { data: { amount: { $gte: 100 } } };

  void test('each pending pair gets a verdict on its own event, for the version it was asked for', () => {
    const first = evaluatePending(events, [{ ord: 1, subscriptionId: 'sub_a', version: 'v1' }, { ord: 2, subscriptionId: 'sub_a', version: 'v1' }], { sub_a: big }, noVerdicts());
    assert.deepEqual(first, { ords: [1, 2], subscriptionIds: ['sub_a', 'sub_a'], versions: ['v1', 'v1'], matched: [false, true] });
    // A later pass keeps the earlier verdicts (the statement ignores those for an old version).
    const second = evaluatePending(events, [{ ord: 1, subscriptionId: 'sub_a', version: 'v2' }], { sub_a: { data: { amount: { $lt: 100 } } } }, first);
    assert.deepEqual(second.versions, ['v1', 'v1', 'v2']);
    assert.deepEqual(second.matched, [false, true, true]);
  });

  void test('known filters: learnt per (tenant, type), judged on the first pass, forgotten when stale, bounded', () => {
    const known = new KnownFilters(3);
    assert.deepEqual(known.firstVerdicts(events), noVerdicts(), 'nothing known yet: the first pass carries nothing');
    known.learn(events, [{ ord: 1, subscriptionId: 'sub_a', version: 'k1' }], { sub_a: big });
    // Every event of t1/order.created is judged, not only the one it was learnt from; t2's are not.
    assert.deepEqual(known.firstVerdicts(events), { ords: [1, 2], subscriptionIds: ['sub_a', 'sub_a'], versions: ['k1', 'k1'], matched: [false, true] });
    assert.deepEqual(known.firstVerdicts([{ ...events[0]!, onlySubscriptionId: 'sub_a' }]), noVerdicts(), 'a test ping needs no verdict');
    known.forget(events, [{ subscriptionId: 'sub_a', version: 'k0' }]);
    assert.equal(known.filters, 1, 'a stale verdict for another version leaves the one known now');
    known.forget(events, [{ subscriptionId: 'sub_a', version: 'k1' }]);
    assert.equal(known.filters, 0);
    assert.deepEqual(known.firstVerdicts(events), noVerdicts());
    // The bound: the oldest (tenant, type) goes first.
    known.learn(events, [{ ord: 1, subscriptionId: 's1', version: 'k2' }, { ord: 1, subscriptionId: 's2', version: 'k3' }], { s1: big, s2: big });
    known.learn(events, [{ ord: 3, subscriptionId: 's3', version: 'k4' }, { ord: 3, subscriptionId: 's4', version: 'k5' }], { s3: big, s4: big });
    assert.equal(known.filters, 2);
    assert.deepEqual(known.firstVerdicts(events).subscriptionIds, ['s3', 's4']);
  });
});
