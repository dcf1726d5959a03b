import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject, ManagedFieldsEntry, TypeSchema } from '@flotilla/apimachinery';
import { serverSideApply, updateManagedFields, ApplyConflictError, PatchError } from './index.js';
import { deploymentSchema, nginxDeployment, podSchema } from './fixtures.js';

type Obj = Record<string, any>;

function apply(live: KubeObject | undefined, applied: unknown, manager: string, opts: { force?: boolean; now?: string; schema?: TypeSchema | undefined; subresource?: string } = {}): Obj {
  return serverSideApply({
    live,
    applied: applied as KubeObject,
    manager,
    force: opts.force ?? false,
    schema: 'schema' in opts ? opts.schema : deploymentSchema,
    apiVersion: 'apps/v1',
    now: opts.now ?? '2024-01-01T00:00:00Z',
    subresource: opts.subresource,
  }) as Obj;
}

/** A non-apply write: returns the object with its new managedFields. */
function update(old: KubeObject | undefined, mutate: (o: Obj) => void, manager: string, now = '2024-01-02T00:00:00Z', schema: TypeSchema | undefined = deploymentSchema): Obj {
  const updated = structuredClone(old ?? {}) as Obj;
  mutate(updated);
  const mf = updateManagedFields({ old, updated: updated as KubeObject, manager, schema, apiVersion: 'apps/v1', now });
  updated.metadata = { ...(updated.metadata ?? {}), managedFields: mf };
  return updated;
}

const entry = (o: Obj, manager: string, operation = 'Apply'): ManagedFieldsEntry | undefined =>
  (o.metadata.managedFields as ManagedFieldsEntry[]).find((e) => e.manager === manager && e.operation === operation);
const fields = (o: Obj, manager: string, operation = 'Apply') => entry(o, manager, operation)?.fieldsV1;

function conflictsOf(fn: () => unknown): { manager: string; field: string }[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof ApplyConflictError) return e.conflicts;
    throw e;
  }
  assert.fail('expected an ApplyConflictError');
}

test('docs example: a ConfigMap created by apply (FieldsV1 encoding)', () => {
  const cm = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'test-cm', namespace: 'default', labels: { 'test-label': 'test' } },
    data: { key: 'some value' },
  };
  const out = apply(undefined, cm, 'kubectl', { schema: undefined, now: '2010-10-10T00:00:00Z' });
  assert.deepEqual(out.metadata.managedFields, [
    {
      manager: 'kubectl',
      operation: 'Apply',
      apiVersion: 'apps/v1',
      time: '2010-10-10T00:00:00Z',
      fieldsType: 'FieldsV1',
      fieldsV1: { 'f:metadata': { 'f:labels': { 'f:test-label': {} } }, 'f:data': { 'f:key': {} } },
    },
  ]);
  assert.deepEqual({ ...out, metadata: { ...out.metadata, managedFields: undefined } }, { ...cm, metadata: { ...cm.metadata, managedFields: undefined } });
});

test('docs example: an update by another manager takes over the field it changed', () => {
  const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'test-cm', labels: { 'test-label': 'test' } }, data: { key: 'some value' } };
  const applied = apply(undefined, cm, 'kubectl', { schema: undefined });
  const updated = update(applied as KubeObject, (o) => (o.data.key = 'new value'), 'kube-controller-manager', '2019-03-30T16:00:00.000Z', undefined);
  assert.deepEqual(updated.metadata.managedFields, [
    {
      manager: 'kubectl',
      operation: 'Apply',
      apiVersion: 'apps/v1',
      time: '2024-01-01T00:00:00Z',
      fieldsType: 'FieldsV1',
      fieldsV1: { 'f:metadata': { 'f:labels': { 'f:test-label': {} } } },
    },
    {
      manager: 'kube-controller-manager',
      operation: 'Update',
      apiVersion: 'apps/v1',
      time: '2019-03-30T16:00:00.000Z',
      fieldsType: 'FieldsV1',
      fieldsV1: { 'f:data': { 'f:key': {} } },
    },
  ]);
  // "If this update had instead been attempted using Server-Side Apply, the request would have failed."
  assert.deepEqual(
    conflictsOf(() => apply(updated as KubeObject, cm, 'kubectl', { schema: undefined })),
    [{ manager: 'kube-controller-manager', field: '.data.key' }],
  );
});

test('first apply owns every applied field', () => {
  const out = apply(undefined, nginxDeployment(), 'kubectl');
  assert.equal(out.metadata.managedFields.length, 1);
  assert.deepEqual(fields(out, 'kubectl'), {
    'f:metadata': { 'f:labels': { 'f:app': {} } },
    'f:spec': {
      'f:replicas': {},
      'f:selector': {},
      'f:template': {
        'f:metadata': { 'f:labels': { 'f:app': {} } },
        'f:spec': {
          'f:containers': {
            'k:{"name":"nginx"}': {
              '.': {},
              'f:image': {},
              'f:name': {},
              'f:ports': { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } },
            },
          },
        },
      },
    },
  });
  assert.equal(out.metadata.name, 'nginx');
  assert.deepEqual(out.spec.template.spec.containers, nginxDeployment().spec && (nginxDeployment() as Obj).spec.template.spec.containers);
});

test('re-applying the same configuration changes nothing, not even the time', () => {
  const first = apply(undefined, nginxDeployment(), 'kubectl', { now: 't1' });
  const second = apply(first as KubeObject, nginxDeployment(), 'kubectl', { now: 't2' });
  assert.deepEqual(second, first);
});

test('second apply by the same manager removing fields deletes them from the object', () => {
  const cfg = nginxDeployment() as Obj;
  cfg.spec.template.spec.containers[0].env = [{ name: 'A', value: '1' }, { name: 'B', value: '2' }];
  cfg.metadata.labels.tier = 'web';
  const first = apply(undefined, cfg, 'kubectl');
  const cfg2 = structuredClone(cfg);
  delete cfg2.metadata.labels.tier;
  cfg2.spec.template.spec.containers[0].env = [{ name: 'B', value: '2' }];
  delete cfg2.spec.replicas;
  const second = apply(first as KubeObject, cfg2, 'kubectl', { now: 't2' });
  assert.deepEqual(second.metadata.labels, { app: 'nginx' });
  assert.equal(second.spec.replicas, undefined);
  assert.deepEqual(second.spec.template.spec.containers[0].env, [{ name: 'B', value: '2' }]);
  const f = fields(second, 'kubectl') as Obj;
  assert.equal(f['f:spec']['f:replicas'], undefined);
  assert.deepEqual(Object.keys(f['f:spec']['f:template']['f:spec']['f:containers']['k:{"name":"nginx"}']['f:env']), ['k:{"name":"B"}']);
  assert.equal(entry(second, 'kubectl')!.time, 't2');
});

test('removing the last applied field of a map drops the emptied map', () => {
  const first = apply(undefined, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', annotations: { a: '1' } }, data: { k: 'v' } }, 'm', { schema: undefined });
  const second = apply(first as KubeObject, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { k: 'v' } }, 'm', { schema: undefined });
  assert.equal(second.metadata.annotations, undefined);
  assert.equal(second.metadata.name, 'c');
});

test('two managers applying the same value share it; one giving it up leaves the value', () => {
  const first = apply(undefined, nginxDeployment(), 'kubectl');
  const shared = apply(first as KubeObject, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'nginx' }, spec: { replicas: 3 } }, 'handover-to-hpa');
  assert.deepEqual(fields(shared, 'handover-to-hpa'), { 'f:spec': { 'f:replicas': {} } });
  assert.ok((fields(shared, 'kubectl') as Obj)['f:spec']['f:replicas']);
  // kubectl drops replicas from its configuration: the value stays because the other manager owns it.
  const cfg = nginxDeployment() as Obj;
  delete cfg.spec.replicas;
  const dropped = apply(shared as KubeObject, cfg, 'kubectl');
  assert.equal(dropped.spec.replicas, 3);
  assert.equal((fields(dropped, 'kubectl') as Obj)['f:spec']['f:replicas'], undefined);
  // Now the HPA updates replicas: the temporary manager owns nothing and its entry disappears.
  const scaled = update(dropped as KubeObject, (o) => (o.spec.replicas = 7), 'hpa-controller');
  assert.equal(entry(scaled, 'handover-to-hpa'), undefined);
  assert.deepEqual(fields(scaled, 'hpa-controller', 'Update'), { 'f:spec': { 'f:replicas': {} } });
});

test('conflicting values owned by other managers: all conflicts are reported, sorted, nothing applied', () => {
  const first = apply(undefined, nginxDeployment(), 'kubectl');
  const cfg = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'nginx', labels: { app: 'other' } },
    spec: { replicas: 5, template: { spec: { containers: [{ name: 'nginx', image: 'nginx:2' }] } } },
  };
  let err: unknown;
  try {
    apply(first as KubeObject, cfg, 'ci');
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof ApplyConflictError);
  assert.deepEqual(err.conflicts, [
    { manager: 'kubectl', field: '.metadata.labels.app' },
    { manager: 'kubectl', field: '.spec.replicas' },
    { manager: 'kubectl', field: '.spec.template.spec.containers[name="nginx"].image' },
  ]);
  assert.equal(
    err.message,
    'Apply failed with 3 conflicts: conflict with "kubectl": .metadata.labels.app\n' +
      'conflict with "kubectl": .spec.replicas\n' +
      'conflict with "kubectl": .spec.template.spec.containers[name="nginx"].image',
  );
});

test('conflicts are reported per manager, including Update managers', () => {
  const first = apply(undefined, nginxDeployment(), 'kubectl');
  const scaled = update(first as KubeObject, (o) => {
    o.spec.replicas = 10;
    o.metadata.labels.app = 'web';
  }, 'kube-controller-manager');
  const cfg = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'nginx', labels: { app: 'api' } }, spec: { replicas: 1, template: { spec: { containers: [{ name: 'nginx', image: 'x' }] } } } };
  assert.deepEqual(conflictsOf(() => apply(scaled as KubeObject, cfg, 'ci')), [
    { manager: 'kube-controller-manager', field: '.metadata.labels.app' },
    { manager: 'kube-controller-manager', field: '.spec.replicas' },
    { manager: 'kubectl', field: '.spec.template.spec.containers[name="nginx"].image' },
  ]);
});

test('force moves ownership of conflicting fields to the applier', () => {
  const first = apply(undefined, nginxDeployment(), 'kubectl');
  const cfg = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'nginx' }, spec: { replicas: 5 } };
  const forced = apply(first as KubeObject, cfg, 'ci', { force: true });
  assert.equal(forced.spec.replicas, 5);
  assert.deepEqual(fields(forced, 'ci'), { 'f:spec': { 'f:replicas': {} } });
  assert.equal((fields(forced, 'kubectl') as Obj)['f:spec']['f:replicas'], undefined);
  assert.ok((fields(forced, 'kubectl') as Obj)['f:spec']['f:template']);
  // kubectl now conflicts when it re-applies its old value.
  assert.deepEqual(conflictsOf(() => apply(forced as KubeObject, nginxDeployment(), 'kubectl')), [{ manager: 'ci', field: '.spec.replicas' }]);
});

test('update after apply moves ownership to the updater', () => {
  const first = apply(undefined, nginxDeployment(), 'kubectl');
  const edited = update(first as KubeObject, (o) => {
    o.spec.template.spec.containers[0].image = 'nginx:1.16';
  }, 'kubectl-edit');
  assert.deepEqual(fields(edited, 'kubectl-edit', 'Update'), {
    'f:spec': { 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"nginx"}': { 'f:image': {} } } } } },
  });
  const k = fields(edited, 'kubectl') as Obj;
  assert.equal(k['f:spec']['f:template']['f:spec']['f:containers']['k:{"name":"nginx"}']['f:image'], undefined);
  assert.ok(k['f:spec']['f:template']['f:spec']['f:containers']['k:{"name":"nginx"}']['f:name']);
  // Applying the old image is now a conflict with the editor; forcing takes it back.
  assert.deepEqual(conflictsOf(() => apply(edited as KubeObject, nginxDeployment(), 'kubectl')), [
    { manager: 'kubectl-edit', field: '.spec.template.spec.containers[name="nginx"].image' },
  ]);
  const back = apply(edited as KubeObject, nginxDeployment(), 'kubectl', { force: true });
  assert.equal(back.spec.template.spec.containers[0].image, 'nginx:1.14.2');
  assert.equal(entry(back, 'kubectl-edit', 'Update'), undefined);
});

test('associative list with two keys (list-map-keys containerPort+protocol)', () => {
  const cfg = nginxDeployment() as Obj;
  cfg.spec.template.spec.containers[0].ports = [
    { containerPort: 53, protocol: 'UDP', name: 'dns-udp' },
    { containerPort: 53, protocol: 'TCP', name: 'dns-tcp' },
  ];
  const out = apply(undefined, cfg, 'kubectl');
  const c = (fields(out, 'kubectl') as Obj)['f:spec']['f:template']['f:spec']['f:containers']['k:{"name":"nginx"}'];
  assert.deepEqual(c['f:ports'], {
    'k:{"containerPort":53,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {}, 'f:name': {}, 'f:protocol': {} },
    'k:{"containerPort":53,"protocol":"UDP"}': { '.': {}, 'f:containerPort': {}, 'f:name': {}, 'f:protocol': {} },
  });
  // Another manager changing only the UDP port's name conflicts on exactly that element.
  const other = structuredClone(cfg);
  other.spec.template.spec.containers[0].ports = [{ containerPort: 53, protocol: 'UDP', name: 'renamed' }];
  assert.deepEqual(conflictsOf(() => apply(out as KubeObject, other, 'other')), [
    { manager: 'kubectl', field: '.spec.template.spec.containers[name="nginx"].ports[containerPort=53,protocol="UDP"].name' },
  ]);
  // Dropping the TCP port from kubectl's config removes just that element.
  const fewer = structuredClone(cfg);
  fewer.spec.template.spec.containers[0].ports = [{ containerPort: 53, protocol: 'UDP', name: 'dns-udp' }];
  const after = apply(out as KubeObject, fewer, 'kubectl');
  assert.deepEqual(after.spec.template.spec.containers[0].ports, [{ containerPort: 53, protocol: 'UDP', name: 'dns-udp' }]);
});

test('associative list elements owned by other managers survive and keep their place', () => {
  const first = apply(undefined, nginxDeployment(), 'kubectl');
  const injected = update(first as KubeObject, (o) => {
    o.spec.template.spec.containers.push({ name: 'sidecar', image: 'envoy' });
  }, 'injector');
  const cfg = nginxDeployment() as Obj;
  cfg.spec.template.spec.containers[0].image = 'nginx:1.15';
  cfg.spec.template.spec.containers.unshift({ name: 'init-like', image: 'busybox' });
  const out = apply(injected as KubeObject, cfg, 'kubectl');
  assert.deepEqual(out.spec.template.spec.containers.map((c: Obj) => c.name), ['init-like', 'nginx', 'sidecar']);
  assert.equal(out.spec.template.spec.containers[1].image, 'nginx:1.15');
  assert.deepEqual(fields(out, 'injector', 'Update'), {
    'f:spec': { 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"sidecar"}': { '.': {}, 'f:image': {}, 'f:name': {} } } } } },
  });
});

test('an element removed from the applier config is kept (with its key) when another manager owns a field in it', () => {
  const cfg = nginxDeployment() as Obj;
  cfg.spec.template.spec.containers.push({ name: 'helper', image: 'h:1' });
  const first = apply(undefined, cfg, 'kubectl');
  const edited = update(first as KubeObject, (o) => {
    o.spec.template.spec.containers[1].env = [{ name: 'X', value: '1' }];
  }, 'operator');
  const out = apply(edited as KubeObject, nginxDeployment(), 'kubectl');
  assert.deepEqual(out.spec.template.spec.containers[1], { name: 'helper', env: [{ name: 'X', value: '1' }] });
});

test('sets (finalizers) are tracked per value and merged as a union', () => {
  const first = apply(undefined, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'n', finalizers: ['a/x', 'b/y'] } }, 'one');
  assert.deepEqual(fields(first, 'one'), { 'f:metadata': { 'f:finalizers': { 'v:"a/x"': {}, 'v:"b/y"': {} } } });
  const second = apply(first as KubeObject, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'n', finalizers: ['c/z'] } }, 'two');
  assert.deepEqual(second.metadata.finalizers, ['a/x', 'b/y', 'c/z']);
  const third = apply(second as KubeObject, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'n', finalizers: ['b/y'] } }, 'one');
  assert.deepEqual(third.metadata.finalizers, ['b/y', 'c/z']);
});

test('atomic lists and maps are owned and replaced as a whole', () => {
  const cfg = nginxDeployment() as Obj;
  cfg.spec.template.spec.containers[0].args = ['--a', '--b'];
  const first = apply(undefined, cfg, 'kubectl');
  const c = (fields(first, 'kubectl') as Obj)['f:spec']['f:template']['f:spec']['f:containers']['k:{"name":"nginx"}'];
  assert.deepEqual(c['f:args'], {});
  const other = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'nginx' }, spec: { selector: { matchLabels: { app: 'x' } }, template: { spec: { containers: [{ name: 'nginx', args: ['--c'] }] } } } };
  assert.deepEqual(conflictsOf(() => apply(first as KubeObject, other, 'other')), [
    { manager: 'kubectl', field: '.spec.selector' },
    { manager: 'kubectl', field: '.spec.template.spec.containers[name="nginx"].args' },
  ]);
  const forced = apply(first as KubeObject, other, 'other', { force: true });
  assert.deepEqual(forced.spec.selector, { matchLabels: { app: 'x' } });
  assert.deepEqual(forced.spec.template.spec.containers[0].args, ['--c']);
});

test('without a schema all keys are fields and lists are atomic (custom resources)', () => {
  const cr = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', metadata: { name: 'wf' }, spec: { entrypoint: 'main', templates: [{ name: 'main' }] } };
  const out = apply(undefined, cr, 'argo', { schema: undefined });
  assert.deepEqual(fields(out, 'argo'), { 'f:spec': { 'f:entrypoint': {}, 'f:templates': {} } });
  const other = { ...cr, spec: { templates: [{ name: 'main' }, { name: 'x' }] } };
  assert.deepEqual(conflictsOf(() => apply(out as KubeObject, other, 'ci', { schema: undefined })), [{ manager: 'argo', field: '.spec.templates' }]);
});

test('subresource applies get their own entry', () => {
  const first = apply(undefined, nginxDeployment(), 'kubectl');
  const st = apply(first as KubeObject, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'nginx' }, status: { replicas: 3 } }, 'kubectl', { subresource: 'status' });
  const e = (st.metadata.managedFields as ManagedFieldsEntry[]).find((x) => x.subresource === 'status');
  assert.deepEqual(e, {
    manager: 'kubectl',
    operation: 'Apply',
    apiVersion: 'apps/v1',
    time: '2024-01-01T00:00:00Z',
    fieldsType: 'FieldsV1',
    fieldsV1: { 'f:status': { 'f:replicas': {} } },
    subresource: 'status',
  });
  // the main-resource apply entry is untouched
  assert.ok((fields(st, 'kubectl') as Obj)['f:spec']);
  assert.equal(st.status.replicas, 3);
});

test('apply rejects malformed input', () => {
  assert.throws(() => apply(undefined, [1], 'm'), PatchError);
  assert.throws(() => apply(undefined, { metadata: { name: 'x', managedFields: [{ manager: 'x' }] } }, 'm'), (e: unknown) => e instanceof PatchError && e.code === 400);
  const cfg = nginxDeployment() as Obj;
  cfg.spec.template.spec.containers.push({ name: 'nginx', image: 'dup' });
  assert.throws(() => apply(undefined, cfg, 'm'), /\.spec\.template\.spec\.containers: duplicate entries for key \[name="nginx"\]/);
  const nokey = nginxDeployment() as Obj;
  nokey.spec.template.spec.containers.push({ image: 'no-name' });
  assert.throws(() => apply(undefined, nokey, 'm'), /omits its key field "name"/);
});

test('apply does not mutate live or applied', () => {
  const first = apply(undefined, nginxDeployment(), 'kubectl');
  const snap = structuredClone(first);
  const cfg = nginxDeployment() as Obj;
  cfg.spec.replicas = 4;
  const cs = structuredClone(cfg);
  const out = apply(first as KubeObject, cfg, 'kubectl');
  assert.deepEqual(first, snap);
  assert.deepEqual(cfg, cs);
  out.spec.template.spec.containers[0].image = 'changed';
  assert.deepEqual(first, snap);
  assert.deepEqual(cfg, cs);
});

test('an object created by update can be taken over by apply with the same values (shared ownership)', () => {
  const created = update(undefined, (o) => Object.assign(o, nginxDeployment()), 'kubectl-create');
  const out = apply(created as KubeObject, nginxDeployment(), 'kubectl');
  assert.ok(entry(out, 'kubectl-create', 'Update'));
  assert.ok(entry(out, 'kubectl', 'Apply'));
  const cfg = nginxDeployment() as Obj;
  cfg.spec.replicas = 1;
  assert.deepEqual(conflictsOf(() => apply(out as KubeObject, cfg, 'kubectl')), [{ manager: 'kubectl-create', field: '.spec.replicas' }]);
});

test('applying to an untracked object attributes its fields to "before-first-apply"', () => {
  const untracked = nginxDeployment() as Obj;
  const cfg = nginxDeployment() as Obj;
  cfg.spec.replicas = 1;
  assert.deepEqual(conflictsOf(() => apply(untracked as KubeObject, cfg, 'kubectl')), [{ manager: 'before-first-apply', field: '.spec.replicas' }]);
  const same = apply(untracked as KubeObject, nginxDeployment(), 'kubectl');
  assert.deepEqual(same.metadata.managedFields.map((e: ManagedFieldsEntry) => `${e.manager}/${e.operation}`), ['kubectl/Apply', 'before-first-apply/Update']);
});

test('applied elements omitting a server-defaulted key field match the live element', () => {
  // A schema without a default for protocol: the server defaulted it after the first apply.
  const noDefault: TypeSchema = {
    root: podSchema.root,
    resolve: (ref: string) => {
      const s = podSchema.resolve(ref);
      if (ref.endsWith('ContainerPort')) return { ...s, properties: { ...s!.properties, protocol: { type: 'string' as const } } };
      return s;
    },
  };
  const first = apply(undefined, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', ports: [{ containerPort: 80 }] }] } }, 'kubectl', { schema: noDefault });
  assert.ok((fields(first, 'kubectl') as Obj)['f:spec']['f:containers']['k:{"name":"c"}']['f:ports']['k:{"containerPort":80}']);
  const defaulted = structuredClone(first);
  defaulted.spec.containers[0].ports[0].protocol = 'TCP';
  const cfg = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', ports: [{ containerPort: 80, name: 'http' }] }] } };
  const out = apply(defaulted as KubeObject, cfg, 'kubectl', { schema: noDefault });
  assert.deepEqual(out.spec.containers[0].ports, [{ containerPort: 80, protocol: 'TCP', name: 'http' }]);
  const c = (fields(out, 'kubectl') as Obj)['f:spec']['f:containers']['k:{"name":"c"}'];
  assert.deepEqual(c['f:ports'], { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {}, 'f:name': {} } });
});
