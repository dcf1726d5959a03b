import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject, ManagedFieldsEntry } from '@flotilla/apimachinery';
import { serverSideApply, updateManagedFields } from './index.js';
import { deploymentSchema, nginxDeployment } from './fixtures.js';

type Obj = Record<string, any>;

function write(old: Obj | undefined, mutate: (o: Obj) => void, manager: string, now: string, subresource?: string): Obj {
  const updated = structuredClone(old ?? {}) as Obj;
  mutate(updated);
  const mf = updateManagedFields({ old: old as KubeObject | undefined, updated: updated as KubeObject, manager, schema: deploymentSchema, apiVersion: 'apps/v1', now, subresource });
  updated.metadata = { ...(updated.metadata ?? {}), managedFields: mf };
  return updated;
}
const fieldsOf = (o: Obj, manager: string) => (o.metadata.managedFields as ManagedFieldsEntry[]).find((e) => e.manager === manager)?.fieldsV1;

test('create: the creator owns every field; added maps and list elements are marked with "."', () => {
  const created = write(undefined, (o) => Object.assign(o, nginxDeployment()), 'kubectl-create', 't1');
  assert.deepEqual(created.metadata.managedFields, [
    {
      manager: 'kubectl-create',
      operation: 'Update',
      apiVersion: 'apps/v1',
      time: 't1',
      fieldsType: 'FieldsV1',
      fieldsV1: {
        'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
        'f:spec': {
          '.': {},
          'f:replicas': {},
          'f:selector': {},
          'f:template': {
            '.': {},
            'f:metadata': { '.': {}, 'f:labels': { '.': {}, 'f:app': {} } },
            'f:spec': {
              '.': {},
              'f:containers': {
                '.': {},
                'k:{"name":"nginx"}': {
                  '.': {},
                  'f:image': {},
                  'f:name': {},
                  'f:ports': { '.': {}, 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } },
                },
              },
            },
          },
        },
      },
    },
  ]);
});

test('the FieldsV1 example of an update (labels added, replicas changed, container added)', () => {
  const old = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'nginx', namespace: 'default', uid: 'u1', resourceVersion: '5' },
    spec: { replicas: 1, template: { spec: { containers: [] } } },
  };
  const updated = write(old, (o) => {
    o.metadata.labels = { app: 'nginx' };
    o.metadata.resourceVersion = '6';
    o.spec.replicas = 3;
    o.spec.template.spec.containers = [{ name: 'nginx', image: 'nginx:1.14.2' }];
  }, 'kubectl', 't');
  assert.deepEqual(
    JSON.stringify(fieldsOf(updated, 'kubectl')),
    '{"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:replicas":{},"f:template":{"f:spec":{"f:containers":{"k:{\\"name\\":\\"nginx\\"}":{".":{},"f:image":{},"f:name":{}}}}}}}',
  );
});

test('ignored fields are never tracked', () => {
  const created = write(undefined, (o) => {
    Object.assign(o, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'x', namespace: 'ns', uid: 'u', resourceVersion: '1', generation: 1, creationTimestamp: 'c', selfLink: 's', deletionGracePeriodSeconds: 3 },
    });
  }, 'm', 't');
  assert.deepEqual(created.metadata.managedFields, []);
});

test('unchanged fields keep their owners; changed ones move; removed ones vanish from every set', () => {
  const a = write(undefined, (o) => Object.assign(o, nginxDeployment()), 'creator', 't1');
  const b = write(a, (o) => {
    o.spec.replicas = 5; // changed → scaler
    delete o.metadata.labels; // removed → from everyone
    o.spec.minReadySeconds = 10; // added → scaler
  }, 'scaler', 't2');
  const creator = fieldsOf(b, 'creator') as Obj;
  assert.equal(creator['f:metadata'], undefined);
  assert.equal(creator['f:spec']['f:replicas'], undefined);
  assert.ok(creator['f:spec']['f:template']);
  assert.deepEqual(fieldsOf(b, 'scaler'), { 'f:spec': { 'f:minReadySeconds': {}, 'f:replicas': {} } });
  // entries are ordered by time
  assert.deepEqual(b.metadata.managedFields.map((e: ManagedFieldsEntry) => e.manager), ['creator', 'scaler']);
});

test('a no-op update does not create an entry or touch times', () => {
  const a = write(undefined, (o) => Object.assign(o, nginxDeployment()), 'creator', 't1');
  const b = write(a, () => {}, 'someone', 't2');
  assert.deepEqual(b.metadata.managedFields, a.metadata.managedFields);
});

test('repeated updates by the same manager accumulate into one entry with the newest time', () => {
  const a = write(undefined, (o) => Object.assign(o, nginxDeployment()), 'creator', 't1');
  const b = write(a, (o) => (o.spec.replicas = 4), 'ctl', 't2');
  const c = write(b, (o) => (o.metadata.labels.x = 'y'), 'ctl', 't3');
  const entries = (c.metadata.managedFields as ManagedFieldsEntry[]).filter((e) => e.manager === 'ctl');
  assert.equal(entries.length, 1);
  assert.equal(entries[0].time, 't3');
  assert.deepEqual(entries[0].fieldsV1, { 'f:metadata': { 'f:labels': { 'f:x': {} } }, 'f:spec': { 'f:replicas': {} } });
});

test('status subresource writes are tracked in their own entry', () => {
  const a = write(undefined, (o) => Object.assign(o, nginxDeployment()), 'creator', 't1');
  const b = write(a, (o) => (o.status = { replicas: 3, readyReplicas: 3 }), 'kube-controller-manager', 't2', 'status');
  const e = (b.metadata.managedFields as ManagedFieldsEntry[]).find((x) => x.manager === 'kube-controller-manager')!;
  assert.equal(e.subresource, 'status');
  assert.deepEqual(e.fieldsV1, { 'f:status': { '.': {}, 'f:readyReplicas': {}, 'f:replicas': {} } });
});

test('client-supplied managedFields: [{}] resets ownership, an unchanged list is ignored', () => {
  const a = write(undefined, (o) => Object.assign(o, nginxDeployment()), 'creator', 't1');
  const reset = structuredClone(a);
  reset.metadata.managedFields = [{}];
  reset.spec.replicas = 9;
  const mf = updateManagedFields({ old: a as KubeObject, updated: reset as KubeObject, manager: 'resetter', schema: deploymentSchema, apiVersion: 'apps/v1', now: 't2' });
  assert.deepEqual(mf.map((e) => e.manager), ['resetter']);
  assert.deepEqual(mf[0].fieldsV1, { 'f:spec': { 'f:replicas': {} } });
});

test('apply entries are listed before update entries', () => {
  const a = write(undefined, (o) => Object.assign(o, nginxDeployment()), 'creator', '2024-01-01T00:00:00Z');
  const b = serverSideApply({
    live: a as KubeObject,
    applied: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'nginx', annotations: { a: 'b' } } },
    manager: 'kubectl',
    force: false,
    schema: deploymentSchema,
    apiVersion: 'apps/v1',
    now: '2024-02-01T00:00:00Z',
  }) as Obj;
  assert.deepEqual(b.metadata.managedFields.map((e: ManagedFieldsEntry) => `${e.manager}/${e.operation}`), ['kubectl/Apply', 'creator/Update']);
  assert.deepEqual(b.metadata.annotations, { a: 'b' });
});

test('updateManagedFields does not mutate its inputs', () => {
  const a = write(undefined, (o) => Object.assign(o, nginxDeployment()), 'creator', 't1');
  const upd = structuredClone(a);
  upd.spec.replicas = 1;
  const sa = structuredClone(a);
  const su = structuredClone(upd);
  updateManagedFields({ old: a as KubeObject, updated: upd as KubeObject, manager: 'x', schema: deploymentSchema, apiVersion: 'apps/v1', now: 't2' });
  assert.deepEqual(a, sa);
  assert.deepEqual(upd, su);
});
