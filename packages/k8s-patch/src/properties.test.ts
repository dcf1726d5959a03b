import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject, ManagedFieldsEntry } from '@flotilla/apimachinery';
import { jsonMergePatch, strategicMergePatch, serverSideApply, updateManagedFields, FieldSet, ApplyConflictError } from './index.js';
import { podSchema } from './fixtures.js';

/** Small deterministic PRNG (mulberry32). */
function rng(seed: number) {
  let a = seed;
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomValue(r: () => number, depth: number, allowNull: boolean): unknown {
  const x = r();
  if (depth <= 0 || x < 0.35) {
    const y = r();
    if (allowNull && y < 0.2) return null;
    if (y < 0.5) return Math.floor(r() * 4);
    if (y < 0.8) return ['a', 'b', 'c'][Math.floor(r() * 3)];
    return r() < 0.5;
  }
  if (x < 0.5) return Array.from({ length: Math.floor(r() * 3) }, () => randomValue(r, depth - 1, allowNull));
  const o: Record<string, unknown> = {};
  for (const k of ['p', 'q', 'r', 's']) if (r() < 0.5) o[k] = randomValue(r, depth - 1, allowNull);
  return o;
}

test('without a schema and directives, strategic merge patch equals JSON merge patch', () => {
  const r = rng(42);
  for (let i = 0; i < 300; i++) {
    const original = { spec: randomValue(r, 3, false) };
    const patch = { spec: randomValue(r, 3, true) };
    assert.deepEqual(strategicMergePatch(original as KubeObject, patch, undefined), jsonMergePatch(original, patch), JSON.stringify({ original, patch }));
  }
});

function randomPodConfig(r: () => number): KubeObject {
  const names = ['a', 'b', 'c'].filter(() => r() < 0.6);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', labels: Object.fromEntries(['x', 'y'].filter(() => r() < 0.5).map((k) => [k, String(Math.floor(r() * 2))])) },
    spec: {
      containers: names.map((name) => ({
        name,
        ...(r() < 0.6 ? { image: `img${Math.floor(r() * 2)}` } : {}),
        ...(r() < 0.4 ? { env: [{ name: 'E', value: String(Math.floor(r() * 2)) }] } : {}),
        ...(r() < 0.3 ? { args: [String(Math.floor(r() * 2))] } : {}),
      })),
      ...(r() < 0.5 ? { restartPolicy: r() < 0.5 ? 'Always' : 'Never' } : {}),
    },
  };
}

/** Every path some manager owns exists in the object, and applied values are present. */
test('random sequences of applies and updates keep managedFields consistent with the object', () => {
  const r = rng(7);
  for (let round = 0; round < 40; round++) {
    let obj: KubeObject | undefined;
    for (let step = 0; step < 8; step++) {
      const manager = ['m1', 'm2', 'm3'][Math.floor(r() * 3)];
      if (obj && r() < 0.3) {
        const updated = structuredClone(obj) as any;
        updated.spec.restartPolicy = r() < 0.5 ? 'OnFailure' : undefined;
        if (updated.spec.containers.length > 0 && r() < 0.5) updated.spec.containers[0].image = 'updated';
        const mf = updateManagedFields({ old: obj, updated, manager, schema: podSchema, apiVersion: 'v1', now: `t${step}` });
        updated.metadata.managedFields = mf;
        obj = JSON.parse(JSON.stringify(updated));
        continue;
      }
      const cfg = randomPodConfig(r);
      try {
        obj = serverSideApply({ live: obj, applied: cfg, manager, force: r() < 0.5, schema: podSchema, apiVersion: 'v1', now: `t${step}` });
      } catch (e) {
        assert.ok(e instanceof ApplyConflictError);
        assert.ok(e.conflicts.length > 0);
        continue;
      }
      // Applied scalar values are in the result.
      const o = obj as any;
      for (const c of (cfg.spec as any).containers) {
        const live = o.spec.containers.find((x: any) => x.name === c.name);
        assert.ok(live, `container ${c.name} missing`);
        if (c.image !== undefined) assert.equal(live.image, c.image);
      }
      // Each owned leaf exists.
      for (const e of o.metadata.managedFields as ManagedFieldsEntry[]) {
        const fs = FieldSet.fromFieldsV1(e.fieldsV1);
        assert.ok(!fs.isEmpty());
        for (const p of fs.paths()) {
          let cur: any = o;
          for (const pe of p) {
            if (pe.startsWith('f:')) cur = cur?.[pe.slice(2)];
            else if (pe.startsWith('k:')) {
              const key = JSON.parse(pe.slice(2));
              cur = (cur as any[]).find((x) => Object.entries(key).every(([k, v]) => x[k] === v));
            }
            assert.notEqual(cur, undefined, `${e.manager} owns missing ${p.join('/')}`);
          }
        }
      }
    }
  }
});
