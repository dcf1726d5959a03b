import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Admission, POSTPONED, POSTPONED_NS, ranksBefore, type Candidate } from './admission.js';

const c = (key: string, priority = 0, created = '2026-01-01T00:00:00Z'): Candidate => ({ key, ns: key.split('/')[0]!, priority, created });

test('ranking: higher priority, then older, then by key', () => {
  assert.ok(ranksBefore(c('a/x', 5), c('a/y', 0)));
  assert.ok(ranksBefore(c('a/y', 0, '2026-01-01T00:00:00Z'), c('a/x', 0, '2026-01-01T00:00:01Z')));
  assert.ok(ranksBefore(c('a/x'), c('a/y')));
  assert.ok(!ranksBefore(c('a/y'), c('a/x')));
});

test('no limits admits everything and parks nothing', () => {
  const a = new Admission();
  assert.equal(a.decide(c('a/x'), ['a/1', 'a/2'], {}), undefined);
  assert.equal(a.size, 0);
});

test('a full controller parks the workflow with upstream\'s message; a freed slot goes to the best parked one', () => {
  const a = new Admission();
  const running = new Set(['a/r1', 'a/r2']);
  const limits = { parallelism: 2 };
  assert.equal(a.decide(c('a/old', 0, '2026-01-01T00:00:00Z'), running, limits), POSTPONED);
  assert.equal(a.decide(c('a/new', 0, '2026-01-01T00:00:05Z'), running, limits), POSTPONED);
  assert.equal(a.decide(c('a/urgent', 9, '2026-01-01T00:00:09Z'), running, limits), POSTPONED);
  assert.equal(a.size, 3);
  assert.deepEqual(a.next(running, limits), [], 'no free slot: nothing to reconcile');
  running.delete('a/r1');
  assert.deepEqual(a.next(running, limits), ['a/urgent']);
  // a parked workflow reconciled for another reason does not jump the queue
  assert.equal(a.decide(c('a/old', 0, '2026-01-01T00:00:00Z'), running, limits), POSTPONED);
  assert.equal(a.decide(c('a/urgent', 9, '2026-01-01T00:00:09Z'), running, limits), undefined);
  assert.ok(!a.has('a/urgent'));
  running.add('a/urgent');
  running.delete('a/r2');
  running.delete('a/urgent');
  assert.deepEqual(a.next(running, limits), ['a/old', 'a/new']);
  assert.equal(a.decide(c('a/new', 0, '2026-01-01T00:00:05Z'), running, limits), undefined, 'two free slots: the second best goes too');
});

test('the workflow itself is not counted as running (a retried reconcile of an admitted one)', () => {
  const a = new Admission();
  assert.equal(a.decide(c('a/x'), ['a/x'], { parallelism: 1 }), undefined);
});

test('namespaceParallelism: held per namespace; a parked one of a full namespace does not block another namespace', () => {
  const a = new Admission();
  const limits = { parallelism: 3, namespaceParallelism: 1 };
  const running = new Set(['a/r']);
  assert.equal(a.decide(c('a/x', 9), running, limits), POSTPONED_NS);
  assert.equal(a.decide(c('b/y', 0), running, limits), undefined, 'b has room although a better one of a waits');
  running.add('b/y');
  assert.equal(a.decide(c('b/z', 0), running, limits), POSTPONED_NS);
  assert.deepEqual(a.next(running, limits), []);
  running.delete('a/r');
  assert.deepEqual(a.next(running, limits), ['a/x']);
  running.delete('b/y');
  assert.deepEqual(a.next(running, limits).sort(), ['a/x', 'b/z']);
});

test('5,000 parked: decide and next stay cheap', () => {
  const a = new Admission();
  const running = new Set(Array.from({ length: 20 }, (_, i) => `a/r${i}`));
  for (let i = 0; i < 5000; i++) a.decide(c(`a/w${String(i).padStart(5, '0')}`), running, { parallelism: 20 });
  assert.equal(a.size, 5000);
  running.delete('a/r0');
  assert.deepEqual(a.next(running, { parallelism: 20 }), ['a/w00000']);
});

test("a namespace's own limit (its parallelism-limit label) wins over namespaceParallelism; other namespaces keep theirs", () => {
  const a = new Admission();
  const own: Record<string, number> = { a: 2 };
  const limits = { namespaceParallelism: 1, namespaceLimit: (ns: string) => own[ns] };
  const running = new Set(['a/r', 'b/r']);
  assert.equal(a.decide(c('a/x'), running, limits), undefined, 'a allows 2');
  running.add('a/x');
  assert.equal(a.decide(c('a/y'), running, limits), POSTPONED);
  assert.equal(a.decide(c('b/y'), running, limits), POSTPONED, 'b: namespaceParallelism 1');
  own.a = 3;
  assert.deepEqual(a.next(running, limits), ['a/y']);
  // only a label, no ConfigMap limits at all
  const b = new Admission();
  assert.equal(b.decide(c('a/z'), ['a/r'], { namespaceLimit: (ns) => (ns === 'a' ? 1 : undefined) }), POSTPONED);
  assert.equal(b.decide(c('b/z'), ['b/r'], { namespaceLimit: (ns) => (ns === 'a' ? 1 : undefined) }), undefined);
});
