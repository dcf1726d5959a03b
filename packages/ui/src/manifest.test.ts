/** Editing a live manifest (`lib/manifest.ts`): the merge patch and what the edit may not change. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsonMergePatch } from '@flotilla/k8s-patch';
import { manifestEdit, mergePatch } from './lib/manifest.js';

const live = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default', resourceVersion: '42', labels: { app: 'web', tier: 'front' }, annotations: { a: '1' } },
  spec: { replicas: 1, template: { spec: { containers: [{ name: 'web', image: 'nginx', ports: [{ containerPort: 80 }] }] } } },
  status: { replicas: 1 },
};

test('merge patch: changed, added and removed keys; arrays replaced whole; nothing changed → undefined', () => {
  const edited = structuredClone(live) as any;
  edited.spec.replicas = 3;
  edited.metadata.labels.team = 'ui';
  delete edited.metadata.labels.tier;
  delete edited.metadata.annotations;
  edited.spec.template.spec.containers[0].image = 'nginx:2';
  const p = mergePatch(live, edited);
  assert.deepEqual(p, {
    metadata: { labels: { tier: null, team: 'ui' }, annotations: null },
    spec: { replicas: 3, template: { spec: { containers: edited.spec.template.spec.containers } } },
  });
  // applied with the API server's own merge patch, it gives the edited object back
  assert.deepEqual(jsonMergePatch(structuredClone(live), p), edited);
  assert.equal(mergePatch(live, structuredClone(live)), undefined);
  assert.deepEqual(mergePatch({ a: { b: 1 } }, { a: null }), { a: null });
  assert.deepEqual(mergePatch({ a: 1 }, { a: { b: 1 } }), { a: { b: 1 } });
});

test('manifest edit: the resourceVersion stays out of the patch; identity and shape refused with the field named', () => {
  const edited = structuredClone(live) as any;
  edited.metadata.resourceVersion = '1';
  edited.spec.replicas = 2;
  assert.deepEqual(manifestEdit(live, edited), { patch: { spec: { replicas: 2 } } });
  assert.deepEqual(manifestEdit(live, structuredClone(live)), { patch: undefined });
  const bad = (f: (o: any) => void) => {
    const o = structuredClone(live) as any;
    f(o);
    return manifestEdit(live, o).error;
  };
  assert.match(bad((o) => (o.kind = 'StatefulSet')) ?? '', /^kind: cannot change from "Deployment" to "StatefulSet"/);
  assert.match(bad((o) => (o.metadata.name = 'other')) ?? '', /^metadata\.name: cannot change from "web" to "other"/);
  assert.match(bad((o) => delete o.metadata.namespace) ?? '', /^metadata\.namespace: cannot change/);
  assert.match(bad((o) => delete o.metadata) ?? '', /^metadata: missing/);
  assert.match(manifestEdit(live, ['a']).error ?? '', /not a list/);
  assert.match(manifestEdit(live, null).error ?? '', /not empty/);
  assert.match(manifestEdit(live, 'text').error ?? '', /not a string/);
});
