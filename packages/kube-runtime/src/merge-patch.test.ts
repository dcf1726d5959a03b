import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergePatchOf, NOT_MERGEABLE } from './merge-patch.js';

/** RFC 7386's apply, as the API server does it. */
function apply(target: unknown, patch: unknown): unknown {
  if (!patch || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = target && typeof target === 'object' && !Array.isArray(target) ? { ...(target as object) } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = apply(out[k], v);
  }
  return out;
}

function rand(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

function randomValue(r: () => number, depth: number): unknown {
  const x = r();
  if (depth <= 0 || x < 0.35) return [1, 'a', true, 0, '', 2.5][Math.floor(r() * 6)];
  if (x < 0.5) return Array.from({ length: Math.floor(r() * 3) }, () => randomValue(r, depth - 1));
  const o: Record<string, unknown> = {};
  for (let i = 0; i < Math.floor(r() * 4); i++) o['k' + Math.floor(r() * 5)] = randomValue(r, depth - 1);
  return o;
}

function mutate(r: () => number, v: unknown, depth: number): unknown {
  if (!v || typeof v !== 'object' || Array.isArray(v) || r() < 0.2) return r() < 0.5 ? v : randomValue(r, depth);
  const o: Record<string, unknown> = { ...(v as object) };
  for (const k of Object.keys(o)) if (r() < 0.3) delete o[k];
  for (const k of Object.keys(o)) if (r() < 0.5) o[k] = mutate(r, o[k], depth - 1);
  if (r() < 0.4) o['k' + Math.floor(r() * 5)] = randomValue(r, depth - 1);
  return o;
}

test('mergePatchOf: applied to the old object it gives the new one, and it is empty exactly when they are equal (2,000 random pairs)', () => {
  const r = rand(11);
  let empty = 0;
  for (let i = 0; i < 2000; i++) {
    const from = { spec: randomValue(r, 4), status: randomValue(r, 4) };
    const to = mutate(r, from, 4) as Record<string, unknown>;
    const p = mergePatchOf(from, to, true);
    assert.notEqual(p, NOT_MERGEABLE);
    if (p === undefined) {
      empty++;
      assert.deepEqual(to, from, `no patch but they differ: ${JSON.stringify(from)} → ${JSON.stringify(to)}`);
    } else {
      assert.deepEqual(apply(structuredClone(from), p), to, `patch ${JSON.stringify(p)} of ${JSON.stringify(from)}`);
      assert.notDeepEqual(to, from);
    }
  }
  assert.ok(empty > 50 && empty < 1900, `both outcomes were tried (${empty} equal pairs)`);
});

test('mergePatchOf: only what changed is sent; removed keys are null; arrays are sent whole; a null it cannot say is NOT_MERGEABLE', () => {
  const big = { a: { b: 1 } };
  const from = { metadata: { labels: { x: '1', y: '2' } }, status: { nodes: { n1: big, n2: { phase: 'Running', children: ['a'] } }, message: 'm' } };
  const to = { metadata: { labels: { x: '1', z: '3' } }, status: { nodes: { n1: big, n2: { phase: 'Succeeded', children: ['a', 'b'] } } } };
  assert.deepEqual(mergePatchOf(from, to), { metadata: { labels: { y: null, z: '3' } }, status: { nodes: { n2: { phase: 'Succeeded', children: ['a', 'b'] } }, message: null } });
  assert.equal(mergePatchOf(from, structuredClone(from)), undefined);
  assert.equal(mergePatchOf({ a: 1 }, { a: null }, true), NOT_MERGEABLE);
  assert.equal(mergePatchOf({}, { a: null }, true), NOT_MERGEABLE);
  assert.deepEqual(mergePatchOf({ a: 1 }, { a: null }), { a: null });
  // a key whose value is undefined is absent, as JSON has it
  assert.equal(mergePatchOf({ a: 1, b: undefined }, { a: 1 }), undefined);
  assert.deepEqual(mergePatchOf({ a: 1 }, { a: 1, b: undefined, c: 2 }), { c: 2 });
});
