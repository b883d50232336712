import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ask, done, held, newLine, view, type Grant } from '../../workflows/ordering/line-rules';

const req = (sequence: number, run = 'a') => ({ sequence, deliveryId: `d${sequence}${run}` });

void test('the first place goes at once; later places wait until the head is done', () => {
  const s = newLine('sub_1');
  assert.deepEqual(ask(s, req(2), 0), []);
  assert.deepEqual(ask(s, req(1), 1), [{ deliveryId: 'd1a', sequence: 1, fast: false, head: true }]);
  assert.deepEqual(ask(s, req(3), 2), []);
  assert.equal(view(s).waiting, 2);
  // A fast success says the endpoint answers fast now; a discard says nothing of it.
  assert.deepEqual(done(s, 1, 3, true), [{ deliveryId: 'd2a', sequence: 2, fast: true, head: true }]);
  assert.deepEqual(done(s, 2, 4), [{ deliveryId: 'd3a', sequence: 3, fast: true, head: true }]);
  assert.deepEqual(done(s, 3, 5), []);
  assert.deepEqual(view(s), { next: 4, awaiting: 4, waiting: 0, served: 3 });
});

void test('a place whose delivery has not asked yet is waited for, however many wait behind it', () => {
  const s = newLine('sub_1');
  for (const n of [2, 3, 4]) assert.deepEqual(ask(s, req(n), n), []);
  assert.equal(view(s).awaiting, 1);
  assert.deepEqual(ask(s, req(1), 9), [{ deliveryId: 'd1a', sequence: 1, fast: false, head: true }]);
});

void test('a dead letter holds the line: held shows it, only done moves on', () => {
  const s = newLine('sub_1');
  ask(s, req(1), 0);
  ask(s, req(2), 0);
  held(s, 1, true, 10);
  assert.equal(view(s).head?.heldSince, new Date(10).toISOString());
  held(s, 1, false, 20);
  assert.equal(view(s).head?.heldSince, undefined);
  held(s, 1, true, 30);
  assert.deepEqual(done(s, 1, 40), [{ deliveryId: 'd2a', sequence: 2, fast: false, head: true }]);
  assert.equal(view(s).head?.heldSince, undefined);
});

void test('the head asking again (a new run) is granted again; an old place is a resend outside the line', () => {
  const s = newLine('sub_1');
  ask(s, req(1), 0);
  done(s, 1, 1);
  ask(s, req(2), 2);
  assert.deepEqual(ask(s, req(2, 'b'), 3), [{ deliveryId: 'd2b', sequence: 2, fast: false, head: true }]);
  assert.equal(view(s).head?.deliveryId, 'd2b');
  assert.deepEqual(ask(s, req(1, 'b'), 4), [{ deliveryId: 'd1b', sequence: 1, fast: false, head: false }]);
  // The resend took nothing: the head and the next place are the same.
  assert.equal(view(s).head?.sequence, 2);
  assert.deepEqual(done(s, 1, 5), []);
  assert.equal(view(s).head?.sequence, 2);
});

void test('a place discarded before its turn is skipped when the line reaches it', () => {
  const s = newLine('sub_1');
  ask(s, req(1), 0);
  ask(s, req(3), 0);
  assert.deepEqual(done(s, 2, 1), []);
  assert.deepEqual(done(s, 1, 2), [{ deliveryId: 'd3a', sequence: 3, fast: false, head: true }]);
  assert.equal(view(s).next, 3);
});

void test('property: whatever the order of asks and discards, turns go in order, one at a time, and every place is served or skipped', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 30 }).chain((n) =>
        fc.tuple(fc.constant(n), fc.shuffledSubarray([...Array(n).keys()].map((i) => i + 1), { minLength: n, maxLength: n }), fc.subarray([...Array(n).keys()].map((i) => i + 1))),
      ),
      ([n, askOrder, discardedEarly]) => {
        const s = newLine('sub_p');
        const granted: number[] = [];
        const discarded = new Set(discardedEarly);
        for (const d of discardedEarly) granted.push(...done(s, d, 0).map((g) => g.sequence));
        for (const q of askOrder) {
          if (discarded.has(q)) continue;
          granted.push(...ask(s, req(q), 0).map((g) => g.sequence));
          // Finish whatever holds the line, as its delivery would; each finish may grant the next.
          for (let head = s.head; head; head = s.head) granted.push(...done(s, head.sequence, 0).map((g) => g.sequence));
        }
        const expected = [...Array(n).keys()].map((i) => i + 1).filter((q) => !discarded.has(q));
        assert.deepEqual(granted, expected);
        assert.equal(s.next, n + 1);
      },
    ),
  );
});

void test('a head that hands the turn to the next place makes it the head with no grant from the line', () => {
  const s = newLine('sub_1');
  ask(s, req(1), 0);
  ask(s, req(2), 0);
  ask(s, req(3), 0);
  assert.deepEqual(done(s, 1, 1, true, { sequence: 2, deliveryId: 'd2a' }), []);
  assert.deepEqual(view(s), { next: 2, head: { sequence: 2, deliveryId: 'd2a', since: new Date(1).toISOString() }, waiting: 1, served: 2 });
  // A copy of the report (the activity retried) changes nothing.
  assert.deepEqual(done(s, 1, 2, true, { sequence: 2, deliveryId: 'd2a' }), []);
  assert.equal(view(s).head?.sequence, 2);
  // The next place, handed the turn before it asked (it started late), is granted again when it asks.
  assert.deepEqual(done(s, 2, 3, true, { sequence: 3, deliveryId: 'd3a' }), []);
  assert.deepEqual(done(s, 3, 4, true, { sequence: 4, deliveryId: 'd4a' }), []);
  assert.deepEqual(ask(s, req(4), 5), [{ deliveryId: 'd4a', sequence: 4, fast: true, head: true }]);
  assert.equal(view(s).waiting, 0);
});

void test('a turn handed to a place discarded before its turn: the line moves past it', () => {
  const s = newLine('sub_1');
  ask(s, req(1), 0);
  ask(s, req(3), 0);
  // Place 2 was discarded while it waited: its report came first.
  assert.deepEqual(done(s, 2, 1), []);
  assert.deepEqual(done(s, 1, 2, false, { sequence: 2, deliveryId: 'd2a' }), [{ deliveryId: 'd3a', sequence: 3, fast: false, head: true }]);
  // Or the hand-over came first: place 2 is the head until its report of the discard comes.
  const t = newLine('sub_2');
  ask(t, req(1), 0);
  ask(t, req(3), 0);
  assert.deepEqual(done(t, 1, 1, false, { sequence: 2, deliveryId: 'd2a' }), []);
  assert.deepEqual(done(t, 2, 2), [{ deliveryId: 'd3a', sequence: 3, fast: false, head: true }]);
});

void test('property: with heads handing the turn on, turns still go in order, one at a time, none skipped', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 30 }).chain((n) =>
        fc.tuple(
          fc.constant(n),
          fc.shuffledSubarray([...Array(n).keys()].map((i) => i + 1), { minLength: n, maxLength: n }),
          fc.subarray([...Array(n).keys()].map((i) => i + 1)),
          fc.array(fc.boolean(), { minLength: 31, maxLength: 31 }),
        ),
      ),
      ([n, askOrder, discardedEarly, handsOn]) => {
        const s = newLine('sub_p');
        const turns: number[] = [];
        const note = (grants: Grant[]) => {
          for (const g of grants) if (g.head && turns[turns.length - 1] !== g.sequence) turns.push(g.sequence);
        };
        const discarded = new Set(discardedEarly);
        for (const d of discardedEarly) note(done(s, d, 0));
        for (const q of askOrder) {
          if (discarded.has(q) || turns.includes(q)) continue;
          note(ask(s, req(q), 0));
          for (let head = s.head; head; head = s.head) {
            const next = head.sequence + 1;
            // The activity hands on to any place an event holds (1..n), started, asked, discarded or not.
            const handedTo = handsOn[head.sequence]! && next <= n ? { sequence: next, deliveryId: `d${next}a` } : undefined;
            note(done(s, head.sequence, 0, undefined, handedTo));
            if (handedTo && s.head?.sequence === next) turns.push(next);
          }
        }
        const expected = [...Array(n).keys()].map((i) => i + 1).filter((q) => !discarded.has(q));
        assert.deepEqual(turns, expected);
        assert.equal(s.next, n + 1);
      },
    ),
  );
});
