import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deref } from '@flotilla/apimachinery';
import type { StructSchema } from '@flotilla/apimachinery';
import { openApiSchemas, definitionName, builtinSchema, schemaClosure, refName, LIST_METADATA } from './schemas.js';
import { builtinResources } from './resources.js';

const S = () => openApiSchemas();
const prop = (def: string, field: string): StructSchema => {
  const p = S()[def]?.properties?.[field];
  assert.ok(p, `${def}.${field}`);
  return p;
};

test('loads once and caches', () => {
  const a = openApiSchemas();
  assert.equal(openApiSchemas(), a);
  assert.ok(Object.keys(a).length > 500);
});

test('upstream names', () => {
  for (const n of [
    'io.k8s.api.core.v1.Pod',
    'io.k8s.api.core.v1.PodSpec',
    'io.k8s.api.core.v1.Event',
    'io.k8s.api.events.v1.Event',
    'io.k8s.api.apps.v1.Deployment',
    'io.k8s.api.autoscaling.v1.Scale',
    'io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler',
    'io.k8s.api.rbac.v1.Subject',
    'io.k8s.api.authentication.v1.TokenRequest',
    'io.k8s.api.policy.v1.Eviction',
    'io.k8s.api.core.v1.TopologySelectorTerm',
    'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta',
    'io.k8s.apimachinery.pkg.apis.meta.v1.Time',
    'io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime',
    'io.k8s.apimachinery.pkg.apis.meta.v1.Status',
    'io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions',
    'io.k8s.apimachinery.pkg.apis.meta.v1.Patch',
    'io.k8s.apimachinery.pkg.api.resource.Quantity',
    'io.k8s.apimachinery.pkg.util.intstr.IntOrString',
    'io.k8s.apimachinery.pkg.runtime.RawExtension',
    'io.k8s.apimachinery.pkg.version.Info',
    'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition',
    'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps',
    'io.k8s.kube-aggregator.pkg.apis.apiregistration.v1.APIService',
  ]) {
    assert.ok(S()[n], n);
  }
});

test('every $ref resolves', () => {
  const schemas = S();
  const bad: string[] = [];
  JSON.stringify(schemas, (k, v) => {
    if (k === '$ref' && typeof v === 'string' && v.startsWith('#/') && !schemas[refName(v)]) bad.push(v);
    return v;
  });
  assert.deepEqual(bad, []);
});

test('Pod -> spec -> containers: merge key name, items ref Container', () => {
  const ts = builtinSchema('', 'v1', 'Pod');
  assert.ok(ts);
  assert.deepEqual(ts.root['x-kubernetes-group-version-kind'], [{ group: '', version: 'v1', kind: 'Pod' }]);
  const spec = deref(ts.root.properties?.spec, ts);
  assert.ok(spec?.properties);
  const containers = spec.properties.containers;
  assert.equal(containers.type, 'array');
  assert.equal(containers['x-kubernetes-patch-merge-key'], 'name');
  assert.equal(containers['x-kubernetes-patch-strategy'], 'merge');
  assert.equal(containers['x-kubernetes-list-type'], 'map');
  assert.deepEqual(containers['x-kubernetes-list-map-keys'], ['name']);
  assert.equal(containers.items?.$ref, '#/components/schemas/io.k8s.api.core.v1.Container');
  assert.ok(spec.required?.includes('containers'));
  const volumes = spec.properties.volumes;
  assert.equal(volumes['x-kubernetes-patch-strategy'], 'merge,retainKeys');
  assert.equal(spec.properties.tolerations['x-kubernetes-list-type'], 'atomic');
  assert.deepEqual(spec.properties.topologySpreadConstraints['x-kubernetes-list-map-keys'], ['topologyKey', 'whenUnsatisfiable']);
  assert.equal(spec.properties.hostAliases['x-kubernetes-patch-merge-key'], 'ip');
  assert.equal(spec.properties.imagePullSecrets['x-kubernetes-patch-merge-key'], 'name');
});

test('Container fields', () => {
  const c = S()['io.k8s.api.core.v1.Container'];
  assert.ok(c.properties);
  assert.equal(c.properties.image.type, 'string');
  assert.match(c.properties.image.description ?? '', /Container image name/);
  assert.match(c.description ?? '', /container/i);
  assert.deepEqual(c.required, ['name']);
  assert.equal(c.properties.env['x-kubernetes-patch-merge-key'], 'name');
  const ports = c.properties.ports;
  assert.equal(ports['x-kubernetes-patch-merge-key'], 'containerPort');
  assert.deepEqual(ports['x-kubernetes-list-map-keys'], ['containerPort', 'protocol']);
  assert.equal(c.properties.volumeMounts['x-kubernetes-patch-merge-key'], 'mountPath');
  assert.equal(c.properties.volumeDevices['x-kubernetes-patch-merge-key'], 'devicePath');
  assert.equal(c.properties.args['x-kubernetes-list-type'], 'atomic');
  assert.equal(c.properties.command['x-kubernetes-list-type'], 'atomic');
  // typed scalars
  assert.deepEqual(
    { type: prop('io.k8s.api.core.v1.ContainerPort', 'containerPort').type, format: prop('io.k8s.api.core.v1.ContainerPort', 'containerPort').format },
    { type: 'integer', format: 'int32' },
  );
  assert.equal(prop('io.k8s.api.core.v1.Container', 'stdin').type, 'boolean');
});

test('special types', () => {
  const ios = S()['io.k8s.apimachinery.pkg.util.intstr.IntOrString'];
  assert.equal(ios['x-kubernetes-int-or-string'], true);
  assert.equal(ios.format, 'int-or-string');
  const q = S()['io.k8s.apimachinery.pkg.api.resource.Quantity'];
  assert.equal(q['x-kubernetes-int-or-string'], true);
  const time = S()['io.k8s.apimachinery.pkg.apis.meta.v1.Time'];
  assert.deepEqual([time.type, time.format], ['string', 'date-time']);
  const raw = S()['io.k8s.apimachinery.pkg.runtime.RawExtension'];
  assert.deepEqual([raw.type, raw['x-kubernetes-preserve-unknown-fields']], ['object', true]);
  // usages
  const maxSurge = prop('io.k8s.api.apps.v1.RollingUpdateDeployment', 'maxSurge');
  assert.ok(JSON.stringify(maxSurge).includes('io.k8s.apimachinery.pkg.util.intstr.IntOrString'));
  const limits = prop('io.k8s.api.core.v1.ResourceRequirements', 'limits');
  assert.equal(limits.additionalProperties && typeof limits.additionalProperties === 'object' && limits.additionalProperties.$ref,
    '#/components/schemas/io.k8s.apimachinery.pkg.api.resource.Quantity');
  assert.ok(JSON.stringify(prop('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta', 'creationTimestamp')).includes('meta.v1.Time'));
  assert.ok(JSON.stringify(prop('io.k8s.api.coordination.v1.LeaseSpec', 'renewTime')).includes('meta.v1.MicroTime'));
  assert.ok(JSON.stringify(prop('io.k8s.api.apps.v1.ControllerRevision', 'data')).includes('runtime.RawExtension'));
  assert.equal(prop('io.k8s.api.core.v1.Secret', 'data').additionalProperties && (prop('io.k8s.api.core.v1.Secret', 'data').additionalProperties as StructSchema).format, 'byte');
});

test('JSONSchemaProps is recursive by $ref', () => {
  const n = 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps';
  const j = S()[n];
  assert.ok(j.properties);
  const props = j.properties.properties;
  assert.equal(typeof props.additionalProperties === 'object' && props.additionalProperties.$ref, `#/components/schemas/${n}`);
  assert.equal(j.properties.allOf.items?.$ref, `#/components/schemas/${n}`);
  assert.equal(j.properties.not.$ref, `#/components/schemas/${n}`);
  assert.ok(j.properties.$ref, 'has a "$ref" property');
  assert.ok(j.properties['x-kubernetes-preserve-unknown-fields']);
  const json = S()['io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON'];
  assert.equal(json['x-kubernetes-preserve-unknown-fields'], true);
  assert.ok(JSON.stringify(j.properties.default).includes('apiextensions.v1.JSON'));
  assert.ok(JSON.stringify(j.properties.items).includes('JSONSchemaPropsOrArray'));
  assert.ok(JSON.stringify(j.properties.additionalProperties).includes('JSONSchemaPropsOrBool'));
});

test('Deployment: GVK, strategy retainKeys, conditions map', () => {
  const name = definitionName('apps', 'v1', 'Deployment');
  assert.equal(name, 'io.k8s.api.apps.v1.Deployment');
  const d = S()[name!];
  assert.deepEqual(d['x-kubernetes-group-version-kind'], [{ group: 'apps', version: 'v1', kind: 'Deployment' }]);
  assert.match(d.properties?.metadata.description ?? '', /Standard object's metadata/);
  assert.equal(d.properties?.metadata.allOf?.[0].$ref, '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta');
  assert.equal(prop('io.k8s.api.apps.v1.DeploymentSpec', 'strategy')['x-kubernetes-patch-strategy'], 'retainKeys');
  const cond = prop('io.k8s.api.apps.v1.DeploymentStatus', 'conditions');
  assert.equal(cond['x-kubernetes-patch-merge-key'], 'type');
  assert.deepEqual(cond['x-kubernetes-list-map-keys'], ['type']);
  // catch-all for other status types
  assert.equal(prop('io.k8s.api.core.v1.PodStatus', 'conditions')['x-kubernetes-patch-merge-key'], 'type');
  assert.equal(prop('io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerStatus', 'conditions')['x-kubernetes-list-type'], 'map');
  assert.equal(prop('io.k8s.api.batch.v1.JobStatus', 'conditions')['x-kubernetes-list-type'], 'atomic');
  assert.equal(prop('io.k8s.api.core.v1.ServiceSpec', 'ports')['x-kubernetes-patch-merge-key'], 'port');
  assert.deepEqual(prop('io.k8s.api.core.v1.ServiceSpec', 'ports')['x-kubernetes-list-map-keys'], ['port', 'protocol']);
  const fin = prop('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta', 'finalizers');
  assert.deepEqual([fin['x-kubernetes-list-type'], fin['x-kubernetes-patch-strategy']], ['set', 'merge']);
  assert.equal(prop('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta', 'ownerReferences')['x-kubernetes-patch-merge-key'], 'uid');
  assert.equal(S()['io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector']['x-kubernetes-map-type'], 'atomic');
});

test('metadata table entries all point at existing fields', () => {
  const missing: string[] = [];
  for (const [def, fields] of Object.entries(LIST_METADATA)) {
    for (const f of Object.keys(fields)) if (!S()[def]?.properties?.[f]) missing.push(`${def}.${f}`);
  }
  assert.deepEqual(missing, []);
});

test('every built-in resource has a kind schema (and list schema) with its GVK', () => {
  for (const r of builtinResources) {
    const name = definitionName(r.group, r.version, r.kind);
    assert.ok(name, `${r.group}/${r.version} ${r.kind}`);
    const gvks = S()[name]['x-kubernetes-group-version-kind'] ?? [];
    assert.ok(gvks.some((g) => g.group === r.group && g.version === r.version && g.kind === r.kind), name);
    const create = r.verbs.length === 1 && r.verbs[0] === 'create';
    if (!create && r.kind !== 'Binding') assert.ok(definitionName(r.group, r.version, r.listKind), r.listKind);
  }
  assert.equal(definitionName('autoscaling', 'v2', 'HorizontalPodAutoscaler'), 'io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler');
  assert.equal(definitionName('autoscaling', 'v1', 'HorizontalPodAutoscaler'), 'io.k8s.api.autoscaling.v1.HorizontalPodAutoscaler');
  assert.equal(definitionName('', 'v1', 'Event'), 'io.k8s.api.core.v1.Event');
  assert.equal(definitionName('events.k8s.io', 'v1', 'Event'), 'io.k8s.api.events.v1.Event');
  assert.equal(definitionName('apps', 'v1', 'NoSuchKind'), undefined);
  assert.equal(builtinSchema('example.com', 'v1', 'Widget'), undefined);
});

test('schemaClosure follows refs', () => {
  const names = schemaClosure(['io.k8s.api.apps.v1.Deployment'], (n) => S()[n]);
  for (const n of ['io.k8s.api.core.v1.PodSpec', 'io.k8s.api.core.v1.Container', 'io.k8s.apimachinery.pkg.apis.meta.v1.Time', 'io.k8s.apimachinery.pkg.util.intstr.IntOrString']) {
    assert.ok(names.includes(n), n);
  }
  assert.ok(!names.includes('io.k8s.api.batch.v1.Job'));
});
