import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsonPatch, PatchError } from './index.js';

// RFC 6902, Appendix A
test('A.1 adding an object member', () => {
  assert.deepEqual(jsonPatch({ foo: 'bar' }, [{ op: 'add', path: '/baz', value: 'qux' }]), { baz: 'qux', foo: 'bar' });
});

test('A.2 adding an array element', () => {
  assert.deepEqual(jsonPatch({ foo: ['bar', 'baz'] }, [{ op: 'add', path: '/foo/1', value: 'qux' }]), {
    foo: ['bar', 'qux', 'baz'],
  });
});

test('A.3 removing an object member', () => {
  assert.deepEqual(jsonPatch({ baz: 'qux', foo: 'bar' }, [{ op: 'remove', path: '/baz' }]), { foo: 'bar' });
});

test('A.4 removing an array element', () => {
  assert.deepEqual(jsonPatch({ foo: ['bar', 'qux', 'baz'] }, [{ op: 'remove', path: '/foo/1' }]), { foo: ['bar', 'baz'] });
});

test('A.5 replacing a value', () => {
  assert.deepEqual(jsonPatch({ baz: 'qux', foo: 'bar' }, [{ op: 'replace', path: '/baz', value: 'boo' }]), {
    baz: 'boo',
    foo: 'bar',
  });
});

test('A.6 moving a value', () => {
  const doc = { foo: { bar: 'baz', waldo: 'fred' }, qux: { corge: 'grault' } };
  assert.deepEqual(jsonPatch(doc, [{ op: 'move', from: '/foo/waldo', path: '/qux/thud' }]), {
    foo: { bar: 'baz' },
    qux: { corge: 'grault', thud: 'fred' },
  });
});

test('A.7 moving an array element', () => {
  assert.deepEqual(jsonPatch({ foo: ['all', 'grass', 'cows', 'eat'] }, [{ op: 'move', from: '/foo/1', path: '/foo/3' }]), {
    foo: ['all', 'cows', 'eat', 'grass'],
  });
});

test('A.8 testing a value: success', () => {
  const doc = { baz: 'qux', foo: ['a', 2, 'c'] };
  assert.deepEqual(
    jsonPatch(doc, [
      { op: 'test', path: '/baz', value: 'qux' },
      { op: 'test', path: '/foo/1', value: 2 },
    ]),
    doc,
  );
});

test('A.9 testing a value: error names the operation and path', () => {
  assert.throws(
    () => jsonPatch({ baz: 'qux' }, [{ op: 'test', path: '/baz', value: 'bar' }]),
    (e: unknown) => e instanceof PatchError && /operation 0/.test(e.message) && e.message.includes('"/baz"') && /test failed/.test(e.message),
  );
});

test('A.10 adding a nested member object', () => {
  assert.deepEqual(jsonPatch({ foo: 'bar' }, [{ op: 'add', path: '/child', value: { grandchild: {} } }]), {
    foo: 'bar',
    child: { grandchild: {} },
  });
});

test('A.11 ignoring unrecognized elements', () => {
  assert.deepEqual(jsonPatch({ foo: 'bar' }, [{ op: 'add', path: '/baz', value: 'qux', xyz: 123 }]), { foo: 'bar', baz: 'qux' });
});

test('A.12 adding to a nonexistent target fails', () => {
  assert.throws(
    () => jsonPatch({ foo: 'bar' }, [{ op: 'add', path: '/baz/bat', value: 'qux' }]),
    (e: unknown) => e instanceof PatchError && e.message.includes('"/baz/bat"'),
  );
});

test('A.14 ~ escape ordering', () => {
  const doc = { '/': 9, '~1': 10 };
  assert.deepEqual(jsonPatch(doc, [{ op: 'test', path: '/~01', value: 10 }]), doc);
  assert.deepEqual(jsonPatch(doc, [{ op: 'remove', path: '/~1' }]), { '~1': 10 });
});

test('A.15 comparing strings and numbers fails', () => {
  assert.throws(() => jsonPatch({ '/': 9, '~1': 10 }, [{ op: 'test', path: '/~01', value: '10' }]), PatchError);
});

test('A.16 adding an array value, and "-" appends', () => {
  assert.deepEqual(jsonPatch({ foo: ['bar'] }, [{ op: 'add', path: '/foo/-', value: ['abc', 'def'] }]), {
    foo: ['bar', ['abc', 'def']],
  });
});

test('copy deep-copies, and replace of the whole document works', () => {
  const out = jsonPatch({ a: { b: [1] } }, [
    { op: 'copy', from: '/a', path: '/c' },
    { op: 'add', path: '/c/b/-', value: 2 },
  ]);
  assert.deepEqual(out, { a: { b: [1] }, c: { b: [1, 2] } });
  assert.deepEqual(jsonPatch({ a: 1 }, [{ op: 'replace', path: '', value: { z: 1 } }]), { z: 1 });
});

test('operations apply in sequence and later failures name their index', () => {
  assert.throws(
    () =>
      jsonPatch({ spec: { replicas: 1 } }, [
        { op: 'replace', path: '/spec/replicas', value: 2 },
        { op: 'remove', path: '/spec/missing' },
      ]),
    (e: unknown) => e instanceof PatchError && /operation 1 \(remove\) path "\/spec\/missing"/.test(e.message),
  );
});

test('failures: replace of a missing key, bad array indexes, move into own child', () => {
  assert.throws(() => jsonPatch({}, [{ op: 'replace', path: '/a', value: 1 }]), PatchError);
  assert.throws(() => jsonPatch({ a: [1] }, [{ op: 'add', path: '/a/5', value: 1 }]), PatchError);
  assert.throws(() => jsonPatch({ a: [1] }, [{ op: 'replace', path: '/a/01', value: 1 }]), PatchError);
  assert.throws(() => jsonPatch({ a: [1] }, [{ op: 'remove', path: '/a/-' }]), PatchError);
  assert.throws(() => jsonPatch({ a: { b: 1 } }, [{ op: 'move', from: '/a', path: '/a/b/c' }]), /own child/);
  assert.throws(() => jsonPatch({ a: 1 }, [{ op: 'remove', path: '' }]), PatchError);
});

test('malformed patches are rejected with 400', () => {
  for (const bad of [{}, 'x', null, [1], [{ path: '/a' }], [{ op: 'frob', path: '/a' }], [{ op: 'add', path: 'a', value: 1 }], [{ op: 'add', path: '/a' }], [{ op: 'move', path: '/a' }]]) {
    assert.throws(
      () => jsonPatch({ a: 1 }, bad),
      (e: unknown) => e instanceof PatchError && e.code === 400,
      JSON.stringify(bad),
    );
  }
});

test('json patch does not mutate the input', () => {
  const doc = { a: { b: [1, 2] } };
  const snap = structuredClone(doc);
  const value = { x: 1 };
  const out = jsonPatch(doc, [
    { op: 'add', path: '/a/b/0', value: 0 },
    { op: 'add', path: '/v', value },
  ]) as { v: { x: number } };
  assert.deepEqual(doc, snap);
  out.v.x = 2;
  assert.equal(value.x, 1);
});
