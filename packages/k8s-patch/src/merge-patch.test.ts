import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsonMergePatch } from './index.js';

// RFC 7386, Appendix A: [original, patch, result]
const appendixA: [unknown, unknown, unknown][] = [
  [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
  [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
  [{ a: 'b' }, { a: null }, {}],
  [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
  [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
  [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
  [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
  [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
  [['a', 'b'], ['c', 'd'], ['c', 'd']],
  [{ a: 'b' }, ['c'], ['c']],
  [{ a: 'foo' }, null, null],
  [{ a: 'foo' }, 'bar', 'bar'],
  [{ e: null }, { a: 1 }, { e: null, a: 1 }],
  [[1, 2], { a: 'b', c: null }, { a: 'b' }],
  [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
];

appendixA.forEach(([original, patch, result], i) => {
  test(`RFC 7386 appendix A example ${i + 1}`, () => {
    assert.deepEqual(jsonMergePatch(original, patch), result);
  });
});

test('RFC 7386 section 3 example', () => {
  const target = {
    title: 'Goodbye!',
    author: { givenName: 'John', familyName: 'Doe' },
    tags: ['example', 'sample'],
    content: 'This will be unchanged',
  };
  const patch = { title: 'Hello!', phoneNumber: '+01-123-456-7890', author: { familyName: null }, tags: ['example'] };
  assert.deepEqual(jsonMergePatch(target, patch), {
    title: 'Hello!',
    author: { givenName: 'John' },
    tags: ['example'],
    content: 'This will be unchanged',
    phoneNumber: '+01-123-456-7890',
  });
});

test('merge patch does not mutate its inputs and shares no structure with them', () => {
  const target = { a: { b: 1, list: [1, 2] }, keep: { x: 1 } };
  const patch = { a: { b: 2, c: { d: 1 } } };
  const snapshotT = structuredClone(target);
  const snapshotP = structuredClone(patch);
  const out = jsonMergePatch(target, patch) as { a: { c: { d: number }; list: number[] }; keep: { x: number } };
  assert.deepEqual(target, snapshotT);
  assert.deepEqual(patch, snapshotP);
  out.a.c.d = 42;
  out.keep.x = 42;
  out.a.list.push(3);
  assert.deepEqual(target, snapshotT);
  assert.deepEqual(patch, snapshotP);
});

test('merge patch treats "__proto__" as an ordinary member', () => {
  const patch = JSON.parse('{"__proto__": {"polluted": true}}');
  const out = jsonMergePatch({}, patch) as Record<string, unknown>;
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.deepEqual(Object.keys(out), ['__proto__']);
});
