import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { LimiterState, ThrottleLimits } from '../../workflows/throttle/messages';
import { LATE_ALLOWANCE_MS, decide, forget, requeue, spacingMs } from '../../workflows/throttle/schedule';
import { busiestWindow } from '../support/timed-receiver';

const fresh = (limits: ThrottleLimits): LimiterState => ({ key: 'throttle-sub_1', limits, version: 1, waiting: [], held: [], nextGrantAt: 0, leadMs: 0, granted: 0 });
const ask = (s: LimiterState, id: string, now: number, leaseMs = 60_000) => s.waiting.push({ requestId: id, deliveryId: `d_${id}`, leaseMs, since: now });

/**
 * Plays the limiter against deliveries whose attempts start after a random delay (a busy worker),
 * wait for their slot's time, give back slots they were too late for, and hold an in-flight slot
 * for a random time. Returns when each request reached the endpoint and left it.
 */
function simulate(limits: ThrottleLimits, asks: number[], latency: (i: number) => number, duration: (i: number) => number) {
  const s = fresh(limits);
  const STEP = 5;
  const starts = new Map<string, { at: number; notBefore?: number; notAfter?: number }>();
  const open: { id: string; until: number }[] = [];
  const visits: { at: number; until: number }[] = [];
  let misses = 0;
  let next = 0;
  for (let now = 0; now < 600_000 && visits.length < asks.length; now += STEP) {
    while (next < asks.length && asks[next]! <= now) ask(s, String(next++), now);
    for (const o of open.filter((x) => x.until <= now)) {
      forget(s, o.id);
      open.splice(open.indexOf(o), 1);
    }
    for (const [id, st] of [...starts]) {
      if (st.at > now) continue;
      starts.delete(id);
      if (st.notAfter !== undefined && now > st.notAfter) {
        misses += 1;
        requeue(s, { requestId: id, deliveryId: `d_${id}`, leaseMs: 60_000, startedAt: now }, now);
        continue;
      }
      const at = Math.max(now, st.notBefore ?? now);
      const until = at + duration(Number(id));
      visits.push({ at, until });
      open.push({ id, until });
    }
    for (const g of decide(s, now).granted) {
      starts.set(g.requestId, { at: now + latency(Number(g.requestId)), notBefore: g.slot?.notBefore, notAfter: g.slot?.notAfter });
    }
  }
  return { visits, misses, state: s };
}

function maxOverlap(visits: { at: number; until: number }[]): number {
  const edges = visits.flatMap((v) => [[v.at, 1], [v.until, -1]] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let open = 0;
  let max = 0;
  for (const [, d] of edges) max = Math.max(max, (open += d));
  return max;
}

void test('perSecond: no one-second window holds more than perSecond + 1 arrivals, whatever the workers\' delays; every request gets through', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 50 }),
      fc.array(fc.integer({ min: 0, max: 3_000 }), { minLength: 1, maxLength: 150 }),
      fc.array(fc.integer({ min: 0, max: 1_500 }), { minLength: 1, maxLength: 50 }),
      (perSecond, asks, delays) => {
        const sorted = [...asks].sort((a, b) => a - b);
        const { visits } = simulate({ perSecond }, sorted, (i) => delays[i % delays.length]!, () => 10);
        assert.equal(visits.length, sorted.length, 'every request got through');
        assert.ok(busiestWindow(visits.map((v) => v.at)) <= perSecond + 1);
      },
    ),
    { numRuns: 40 },
  );
});

void test('maxInFlight: never more open than allowed, with or without a rate', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 5 }),
      fc.option(fc.integer({ min: 5, max: 50 }), { nil: undefined }),
      fc.array(fc.integer({ min: 0, max: 2_000 }), { minLength: 1, maxLength: 60 }),
      fc.array(fc.integer({ min: 1, max: 1_500 }), { minLength: 1, maxLength: 20 }),
      (maxInFlight, perSecond, asks, durations) => {
        const sorted = [...asks].sort((a, b) => a - b);
        const { visits } = simulate({ maxInFlight, perSecond }, sorted, () => 20, (i) => durations[i % durations.length]!);
        assert.equal(visits.length, sorted.length);
        assert.ok(maxOverlap(visits) <= maxInFlight);
      },
    ),
    { numRuns: 40 },
  );
});

void test('a backlog is granted a second ahead, one spacing apart, oldest first', () => {
  const s = fresh({ perSecond: 10 });
  for (let i = 0; i < 30; i++) ask(s, `r${i}`, 0);
  const { granted, wakeAt } = decide(s, 0);
  const gap = spacingMs(10);
  const ahead = Math.floor(1_000 / gap) + 1;
  assert.deepEqual(granted.map((g) => g.requestId), Array.from({ length: ahead }, (_, i) => `r${i}`));
  granted.forEach((g, i) => assert.deepEqual(g.slot, { notBefore: i * gap, notAfter: i * gap + LATE_ALLOWANCE_MS }));
  assert.equal(wakeAt, ahead * gap - 1_000, 'wakes when the next slot comes within the look-ahead');
  assert.equal(decide(s, 50).granted.length, 0, 'nothing more before then');
});

void test('a slot whose holder never gives it back returns when its lease ends', () => {
  const s = fresh({ maxInFlight: 1 });
  ask(s, 'a', 0, 1_000);
  ask(s, 'b', 0, 1_000);
  assert.deepEqual(decide(s, 0).granted.map((g) => g.requestId), ['a']);
  const later = decide(s, 10);
  assert.equal(later.granted.length, 0);
  assert.equal(later.wakeAt, 1_000);
  const after = decide(s, 1_000);
  assert.deepEqual(after.expired.map((h) => h.requestId), ['a']);
  assert.deepEqual(after.granted.map((g) => g.requestId), ['b']);
});

void test('a missed slot puts the request back at the head and places later slots further ahead', () => {
  const s = fresh({ perSecond: 100 });
  ask(s, 'a', 0);
  ask(s, 'b', 0);
  decide(s, 0);
  // Granted at 0, started at 400: a grant takes 400 ms to become an attempt here.
  assert.equal(requeue(s, { requestId: 'a', deliveryId: 'd_a', leaseMs: 60_000, startedAt: 400 }, 400), true);
  assert.equal(s.waiting[0]?.requestId, 'a');
  assert.equal(requeue(s, { requestId: 'a', deliveryId: 'd_a', leaseMs: 60_000, startedAt: 400 }, 400), false, 'already waiting');
  assert.ok(s.leadMs >= 500);
  const [again] = decide(s, 400).granted;
  assert.equal(again?.requestId, 'a');
  assert.ok((again?.slot?.notBefore ?? 0) >= 400 + 490, 'the new slot leaves room for the delay seen');
  // A slot whose lease ran out while its attempt was late: the delivery still waits, so it goes back in line.
  assert.equal(requeue(s, { requestId: 'gone', deliveryId: 'd_gone', leaseMs: 60_000, startedAt: 500 }, 500), true);
  assert.equal(s.waiting[0]?.requestId, 'gone');
});

void test('with no limits, everything is granted at once', () => {
  const s = fresh({});
  for (let i = 0; i < 5; i++) ask(s, `r${i}`, 0);
  const d = decide(s, 0);
  assert.equal(d.granted.length, 5);
  assert.ok(d.granted.every((g) => g.slot === undefined));
});
