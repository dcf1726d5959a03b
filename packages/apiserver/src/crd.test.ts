/** CustomResourceDefinitions end to end over the REST API. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCluster, eventually, sleep, type TestCluster } from './testutil.js';

let c: TestCluster;

const crd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.example.com' },
  spec: {
    group: 'example.com',
    scope: 'Namespaced',
    names: { plural: 'widgets', singular: 'widget', kind: 'Widget', shortNames: ['wd'] },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        subresources: { status: {}, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' } },
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                required: ['size'],
                properties: {
                  size: { type: 'string', enum: ['S', 'M', 'L'] },
                  replicas: { type: 'integer', minimum: 0, default: 1 },
                  extra: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                },
              },
              status: { type: 'object', properties: { replicas: { type: 'integer' }, phase: { type: 'string' } } },
            },
          },
        },
      },
      {
        name: 'v1beta1',
        served: true,
        storage: false,
        schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      },
    ],
  },
};

describe('CustomResourceDefinitions', { timeout: 60_000 }, () => {
  before(async () => {
    c = await startTestCluster();
  });
  after(async () => {
    await c?.close();
  });

  it('rejects an invalid CRD with field paths', async () => {
    const bad = structuredClone(crd) as any;
    bad.metadata.name = 'wrong.example.com';
    bad.spec.versions[1].storage = true;
    const r = await c.req('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', bad);
    assert.equal(r.status, 422);
    assert.match(r.body.message, /metadata.name/);
    assert.match(r.body.message, /storage/);
    assert.equal((await c.req('GET', '/apis/example.com/v1/namespaces/default/widgets')).status, 404);
  });

  it('serves a new CRD within a second, with defaults, pruning, validation and two versions', async () => {
    const t0 = Date.now();
    assert.equal((await c.req('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd)).status, 201);
    await eventually(async () => (await c.req('GET', '/apis/example.com/v1/namespaces/default/widgets')).status === 200, 1000, 'CRD served');
    assert.ok(Date.now() - t0 < 1000);
    const got = await c.req('GET', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com');
    assert.ok(got.body.status.conditions.some((x: any) => x.type === 'Established' && x.status === 'True'));
    const w = await c.req('POST', '/apis/example.com/v1/namespaces/default/widgets', {
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w1' },
      spec: { size: 'M', unknown: 'dropped', extra: { kept: { deep: true } } },
      status: { phase: 'ignored on create' },
    });
    assert.equal(w.status, 201, w.text);
    assert.equal(w.body.spec.replicas, 1, 'defaulted');
    assert.equal(w.body.spec.unknown, undefined, 'pruned');
    assert.deepEqual(w.body.spec.extra, { kept: { deep: true } }, 'preserved');
    assert.equal(w.body.status, undefined, 'status dropped on create');
    assert.equal(w.body.metadata.generation, 1);
    const invalid = await c.req('POST', '/apis/example.com/v1/namespaces/default/widgets', {
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w2' },
      spec: { size: 'XL', replicas: -1 },
    });
    assert.equal(invalid.status, 422);
    assert.match(invalid.body.message, /spec.size: Unsupported value: "XL"/);
    assert.match(invalid.body.message, /spec.replicas/);
    const strict = await c.req('POST', '/apis/example.com/v1/namespaces/default/widgets?fieldValidation=Strict', {
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w3' },
      spec: { size: 'S', bogus: 1 },
    });
    assert.equal(strict.status, 400);
    assert.match(strict.body.message, /unknown field "spec.bogus"/);
    // the other served version reads the same object
    const beta = await c.req('GET', '/apis/example.com/v1beta1/namespaces/default/widgets/w1');
    assert.equal(beta.status, 200);
    assert.equal(beta.body.apiVersion, 'example.com/v1beta1');
    assert.equal(beta.body.spec.size, 'M');
    // status subresource and scale
    const st = await c.req('PATCH', '/apis/example.com/v1/namespaces/default/widgets/w1/status', { status: { replicas: 1, phase: 'Ready' } }, { 'content-type': 'application/merge-patch+json' });
    assert.equal(st.status, 200, st.text);
    assert.equal(st.body.status.phase, 'Ready');
    assert.equal(st.body.metadata.generation, 1, 'status writes do not bump generation');
    const sc = await c.req('PATCH', '/apis/example.com/v1/namespaces/default/widgets/w1/scale', { spec: { replicas: 3 } }, { 'content-type': 'application/merge-patch+json' });
    assert.equal(sc.status, 200, sc.text);
    assert.equal(sc.body.spec.replicas, 3);
    const after = await c.req('GET', '/apis/example.com/v1/namespaces/default/widgets/w1');
    assert.equal(after.body.spec.replicas, 3);
    assert.equal(after.body.metadata.generation, 2);
    // strategic merge patch is not for custom resources
    const smp = await c.req('PATCH', '/apis/example.com/v1/namespaces/default/widgets/w1', { spec: { size: 'L' } }, { 'content-type': 'application/strategic-merge-patch+json' });
    assert.equal(smp.status, 415);
  });

  it('deleting the CRD deletes its objects and stops serving it', async () => {
    assert.equal((await c.req('DELETE', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com')).status, 200);
    await eventually(async () => (await c.req('GET', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com')).status === 404, 5000, 'CRD gone');
    await sleep(50);
    assert.equal((await c.req('GET', '/apis/example.com/v1/namespaces/default/widgets')).status, 404);
    // re-creating it finds no leftovers
    assert.equal((await c.req('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd)).status, 201);
    await eventually(async () => (await c.req('GET', '/apis/example.com/v1/namespaces/default/widgets')).status === 200, 1000, 'served again');
    assert.equal((await c.req('GET', '/apis/example.com/v1/namespaces/default/widgets')).body.items.length, 0);
  });
});
