import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RoundRobinQueue } from '../../src/dispatch/round-robin-queue';

const drain = <K, T>(q: RoundRobinQueue<K, T>): [K, T][] => {
  const out: [K, T][] = [];
  for (let next = q.shift(); next; next = q.shift()) out.push([next.key, next.item]);
  return out;
};

void test('a small group queued behind a large one is served within one round, each group in its own order', () => {
  const q = new RoundRobinQueue<string, number>();
  q.push('big', Array.from({ length: 1_000 }, (_, i) => i));
  q.push('small', [0]);
  assert.equal(q.length, 1_001);
  const out = drain(q);
  assert.deepEqual(out.slice(0, 3), [['big', 0], ['small', 0], ['big', 1]]);
  assert.deepEqual(out.filter(([k]) => k === 'big').map(([, i]) => i), Array.from({ length: 1_000 }, (_, i) => i));
  assert.equal(q.length, 0);
  assert.equal(q.shift(), undefined);
});

void test('groups pushed while draining join the rotation; empty groups are ignored', () => {
  const q = new RoundRobinQueue<string, string>();
  q.push('a', ['a1', 'a2', 'a3']);
  q.push('empty', []);
  assert.deepEqual(q.shift(), { key: 'a', item: 'a1' });
  q.push('b', ['b1', 'b2']);
  assert.equal(q.length, 4);
  assert.deepEqual(drain(q).map(([, item]) => item), ['a2', 'b1', 'a3', 'b2']);
});
