import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { RoundRobinQueue } from '../../src/dispatch/round-robin-queue';

const drain = <T>(q: RoundRobinQueue<string, T>): T[] => {
  const out: T[] = [];
  for (let next = q.shift(); next !== undefined; next = q.shift()) out.push(next);
  return out;
};

void test('a small group queued behind a large one is served within one round, each group in its own order', () => {
  const q = new RoundRobinQueue<string, string>();
  q.push('big', Array.from({ length: 3_000 }, (_, i) => `big${i}`));
  q.push('small', ['small0']);
  assert.equal(q.length, 3_001);
  const out = drain(q);
  assert.deepEqual(out.slice(0, 3), ['big0', 'small0', 'big1']);
  assert.deepEqual(out.filter((x) => x.startsWith('big')), Array.from({ length: 3_000 }, (_, i) => `big${i}`));
  assert.equal(q.length, 0);
  assert.equal(q.shift(), undefined);
});

void test('pushing to a queued group appends to it (one tenant keeps its order of acceptance); empty pushes are ignored', () => {
  const q = new RoundRobinQueue<string, string>();
  q.push('a', ['a1', 'a2']);
  q.push('b', ['b1']);
  q.push('a', ['a3']);
  q.push('c', []);
  assert.equal(q.length, 4);
  assert.equal(q.shift(), 'a1');
  q.push('b', ['b2']);
  assert.deepEqual(drain(q), ['b1', 'a2', 'b2', 'a3']);
  // A group that emptied joins again at the back.
  q.push('b', ['b3']);
  assert.deepEqual(drain(q), ['b3']);
});

void test('a taken item is released at once, not held until its group is compacted', async () => {
  const q = new RoundRobinQueue<string, { payload: Uint8Array }>();
  q.push('a', Array.from({ length: 10 }, () => ({ payload: new Uint8Array(1024) })));
  const taken = new WeakRef(q.shift()!);
  // A WeakRef keeps its target alive until the current job ends.
  await new Promise((resolve) => setImmediate(resolve));
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
  assert.equal(taken.deref(), undefined, 'the queue still holds an item it handed out');
  assert.equal(q.length, 9);
});

void test('clear drops every group; the queue takes new items afterwards', () => {
  const q = new RoundRobinQueue<string, string>();
  q.push('a', ['a1', 'a2']);
  q.push('b', ['b1']);
  q.clear();
  assert.equal(q.length, 0);
  assert.equal(q.shift(), undefined);
  q.push('a', ['a3']);
  assert.deepEqual(drain(q), ['a3']);
});
