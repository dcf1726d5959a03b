import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '@flotilla/apimachinery';
import { strategicMergePatch, threeWayPatch } from './index.js';
import { deploymentSchema } from './fixtures.js';

const dep = (containers: unknown[], extra: Record<string, unknown> = {}) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', ...extra },
  spec: { template: { spec: { containers } } },
});
/** What the live object becomes when the patch from `orig` to `mod` is applied to `live`. */
const applyTo = (live: unknown, orig: unknown, mod: unknown) => strategicMergePatch(live as KubeObject, threeWayPatch(orig, mod, deploymentSchema), deploymentSchema) as any;

test('a list item whose merge key changed is replaced, not added next to the old one', () => {
  const orig = dep([{ name: 'app', image: 'a:1', ports: [{ containerPort: 80, name: 'http' }] }]);
  const mod = dep([{ name: 'app', image: 'a:1', ports: [{ containerPort: 8080, name: 'http' }] }]);
  const live = applyTo(orig, undefined, orig);
  const out = applyTo(live, orig, mod);
  assert.deepEqual(out.spec.template.spec.containers[0].ports, [{ containerPort: 8080, name: 'http' }]);
  const p = threeWayPatch(orig, mod, deploymentSchema) as any;
  const c = p.spec.template.spec.containers[0];
  assert.deepEqual(c.ports, [{ containerPort: 8080, name: 'http' }, { containerPort: 80, $patch: 'delete' }]);
  assert.deepEqual(c['$setElementOrder/ports'], [{ containerPort: 8080 }]);
});

test('items dropped from the configuration are deleted; fields dropped inside an item are nulled; others’ items stay', () => {
  const orig = dep([{ name: 'app', image: 'a:1', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }], args: ['x'] }, { name: 'side', image: 's:1' }]);
  const mod = dep([{ name: 'app', image: 'a:2', env: [{ name: 'A', value: '1' }] }]);
  // the live object has a container injected by someone else (not in any configuration)
  const live = applyTo(orig, undefined, orig);
  live.spec.template.spec.containers.push({ name: 'injected', image: 'i:1' });
  const out = applyTo(live, orig, mod);
  assert.deepEqual(out.spec.template.spec.containers.map((c: any) => c.name).sort(), ['app', 'injected']);
  const app = out.spec.template.spec.containers.find((c: any) => c.name === 'app');
  assert.deepEqual(app, { name: 'app', image: 'a:2', env: [{ name: 'A', value: '1' }] });
});

test('a merged list of primitives: values dropped from the configuration are deleted, others kept', () => {
  const orig = dep([], { finalizers: ['a', 'b'] });
  const mod = dep([], { finalizers: ['a', 'c'] });
  const live = applyTo(orig, undefined, orig);
  live.metadata.finalizers.push('theirs');
  const out = applyTo(live, orig, mod);
  assert.deepEqual([...out.metadata.finalizers].sort(), ['a', 'c', 'theirs']);
});

test('without a previous configuration or a schema the new configuration is sent as it is (maps nulled only for dropped keys)', () => {
  const mod = dep([{ name: 'app', image: 'a:1' }]);
  assert.deepEqual(threeWayPatch(undefined, mod, deploymentSchema), mod);
  const orig = { spec: { a: 1, list: [1, 2] }, x: 1 };
  assert.deepEqual(threeWayPatch(orig, { spec: { list: [3] } }), { spec: { list: [3], a: null }, x: null });
});
