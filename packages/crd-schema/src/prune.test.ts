import { test } from 'node:test';
import assert from 'node:assert/strict';
import { typeSchemaFrom, type StructSchema, type TypeSchema } from '@flotilla/apimachinery';
import { applySchemaDefaults, crdVersionSchema, findUnknownFields, pruneUnknownFields, strictDecodingError, validateObject } from './index.js';
import { cronTabCrd, crdWithSchema } from './testdata.js';

const ts = (root: StructSchema): TypeSchema => ({ root, resolve: () => undefined });
const obj = (properties: Record<string, StructSchema>, extra: StructSchema = {}): StructSchema => ({ type: 'object', properties, ...extra });
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

// ------------------------------------------------------------------ pruning

test('CronTab: someRandomField is pruned (docs example), metadata and apiVersion/kind kept', () => {
  const schema = crdVersionSchema(cronTabCrd(), 'v1');
  const cr = {
    apiVersion: 'stable.example.com/v1',
    kind: 'CronTab',
    metadata: { name: 'my-new-cron-object', namespace: 'default', labels: { a: 'b' }, annotations: { x: 'y' }, generateName: 'g', finalizers: ['f'] },
    spec: { cronSpec: '* * * * */5', image: 'my-awesome-cron-image', someRandomField: 42 },
    status: { x: 1 },
  };
  const before = clone(cr);
  assert.deepEqual(findUnknownFields(schema, cr), ['.spec.someRandomField', '.status']);
  assert.deepEqual(cr, before, 'findUnknownFields does not mutate');
  assert.deepEqual(pruneUnknownFields(schema, cr), ['.spec.someRandomField', '.status']);
  assert.deepEqual(cr, {
    apiVersion: 'stable.example.com/v1',
    kind: 'CronTab',
    metadata: before.metadata,
    spec: { cronSpec: '* * * * */5', image: 'my-awesome-cron-image' },
  });
});

test('unknown metadata fields are pruned, ObjectMeta fields never', () => {
  const schema = crdVersionSchema(cronTabCrd(), 'v1');
  const cr = {
    metadata: {
      name: 'n',
      uid: 'u',
      resourceVersion: '1',
      generation: 1,
      creationTimestamp: '2024-01-01T00:00:00Z',
      deletionTimestamp: null,
      deletionGracePeriodSeconds: 30,
      ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: 'p', uid: 'x', controller: true, extra: 1 }],
      managedFields: [{ manager: 'kubectl', operation: 'Apply', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:x': {} } } }],
      selfLink: '/x',
      clusterName: 'gone',
    },
  };
  assert.deepEqual(pruneUnknownFields(schema, cr), ['.metadata.ownerReferences[0].extra', '.metadata.clusterName']);
  assert.ok(cr.metadata.managedFields[0].fieldsV1['f:spec']);
});

test('preserve-unknown-fields at the root, on a subtree, and re-enabled pruning below specified properties (docs example)', () => {
  const root = ts({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { spec: obj({ a: { type: 'string' } }) } });
  const v = { anything: { goes: 1 }, spec: { a: 'x', b: 'y' } };
  assert.deepEqual(pruneUnknownFields(root, v), ['.spec.b']);
  assert.deepEqual(v, { anything: { goes: 1 }, spec: { a: 'x' } });

  const sub = ts(
    obj({
      json: {
        'x-kubernetes-preserve-unknown-fields': true,
        type: 'object',
        properties: { spec: obj({ foo: { type: 'string' }, bar: { type: 'string' } }) },
      },
      raw: { 'x-kubernetes-preserve-unknown-fields': true },
    }),
  );
  const w = { json: { spec: { foo: 'abc', bar: 'def', something: 'x' }, status: { something: 'x' } }, raw: { a: [{ b: 1 }] }, other: 1 };
  assert.deepEqual(pruneUnknownFields(sub, w), ['.json.spec.something', '.other']);
  assert.deepEqual(w, { json: { spec: { foo: 'abc', bar: 'def' }, status: { something: 'x' } }, raw: { a: [{ b: 1 }] } });
});

test('type: object without properties prunes everything; paths through arrays and maps', () => {
  const s = ts(
    obj({
      empty: { type: 'object' },
      list: { type: 'array', items: obj({ name: { type: 'string' } }) },
      map: { type: 'object', additionalProperties: obj({ v: { type: 'integer' } }) },
      any: { type: 'object', additionalProperties: true },
    }),
  );
  const v = { empty: { a: 1 }, list: [{ name: 'a' }, { name: 'b', bogus: true }], map: { k1: { v: 1, w: 2 } }, any: { x: { y: 1 } } };
  assert.deepEqual(pruneUnknownFields(s, v), ['.empty.a', '.list[1].bogus', '.map[k1].w']);
  assert.deepEqual(v, { empty: {}, list: [{ name: 'a' }, { name: 'b' }], map: { k1: { v: 1 } }, any: { x: { y: 1 } } });
});

test('embedded resources keep apiVersion/kind/metadata and prune the rest', () => {
  const s = ts(obj({ template: { type: 'object', 'x-kubernetes-embedded-resource': true, properties: { spec: obj({ a: { type: 'string' } }) } } }));
  const v = { template: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', bogus: 1 }, spec: { a: 'x', b: 'y' }, status: {} } };
  assert.deepEqual(pruneUnknownFields(s, v), ['.template.metadata.bogus', '.template.spec.b', '.template.status']);
  assert.deepEqual(v, { template: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { a: 'x' } } });
  // with preserve-unknown-fields only metadata is cleaned
  const p = ts(obj({ t: { type: 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true } }));
  assert.deepEqual(findUnknownFields(p, { t: { apiVersion: 'v1', kind: 'Pod', spec: { x: 1 }, metadata: { labels: {}, nope: 1 } } }), ['.t.metadata.nope']);
});

test('values of the wrong type are left to validation', () => {
  const s = ts(obj({ a: { type: 'string' }, l: { type: 'array', items: { type: 'string' } } }));
  assert.deepEqual(findUnknownFields(s, { a: { x: 1 }, l: { y: 2 } }), []);
});

test('findUnknownFields on a built-in-like $ref schema (fieldValidation=Strict/Warn)', () => {
  const defs: Record<string, StructSchema> = {
    'io.k8s.api.apps.v1.Deployment': obj({
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { allOf: [{ $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' }], default: {} },
      spec: { $ref: '#/components/schemas/io.k8s.api.apps.v1.DeploymentSpec' },
    }),
    'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta': obj({ name: { type: 'string' }, labels: { type: 'object', additionalProperties: { type: 'string' } } }),
    'io.k8s.api.apps.v1.DeploymentSpec': obj({
      replicas: { type: 'integer' },
      template: { $ref: '#/components/schemas/io.k8s.api.core.v1.PodTemplateSpec' },
      strategy: obj({ rollingUpdate: obj({ maxSurge: { $ref: '#/components/schemas/io.k8s.apimachinery.pkg.util.intstr.IntOrString' } }) }),
    }),
    'io.k8s.api.core.v1.PodTemplateSpec': obj({
      metadata: { $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' },
      spec: { $ref: '#/components/schemas/io.k8s.api.core.v1.PodSpec' },
    }),
    'io.k8s.api.core.v1.PodSpec': obj({
      containers: { type: 'array', items: { $ref: '#/components/schemas/io.k8s.api.core.v1.Container' } },
      nodeSelector: { type: 'object', additionalProperties: { type: 'string' } },
    }),
    'io.k8s.api.core.v1.Container': obj({
      name: { type: 'string' },
      image: { type: 'string' },
      resources: obj({ limits: { type: 'object', additionalProperties: { $ref: '#/components/schemas/io.k8s.apimachinery.pkg.api.resource.Quantity' } } }),
      extension: { $ref: '#/components/schemas/io.k8s.apimachinery.pkg.runtime.RawExtension' },
    }),
    'io.k8s.apimachinery.pkg.util.intstr.IntOrString': { type: 'string', format: 'int-or-string' },
    'io.k8s.apimachinery.pkg.api.resource.Quantity': { type: 'string' },
    'io.k8s.apimachinery.pkg.runtime.RawExtension': { type: 'object' },
  };
  const s = typeSchemaFrom(defs['io.k8s.api.apps.v1.Deployment'], defs);
  const d = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels: { app: 'web' }, namespace: 'default', resourceVersion: '5', bogusMeta: 1 },
    spec: {
      replicas: 2,
      foo: 'bar',
      strategy: { rollingUpdate: { maxSurge: '25%' } },
      template: {
        metadata: { labels: { app: 'web' }, creationTimestamp: null },
        spec: {
          containers: [{ name: 'c', image: 'nginx', bogus: true, resources: { limits: { cpu: '1' } }, extension: { anything: { goes: 1 } } }],
          nodeSelector: { disk: 'ssd' },
        },
      },
    },
  };
  const unknown = findUnknownFields(s, d);
  assert.deepEqual(unknown, ['.metadata.bogusMeta', '.spec.foo', '.spec.template.spec.containers[0].bogus']);
  assert.equal(
    strictDecodingError(unknown),
    'strict decoding error: unknown field "metadata.bogusMeta", unknown field "spec.foo", unknown field "spec.template.spec.containers[0].bogus"',
  );
  // ObjectMeta fields the named schema does not list are still known (creationTimestamp, namespace, resourceVersion)
  assert.ok(!unknown.some((p) => p.includes('creationTimestamp') || p.includes('namespace')));
});

test('metadata is treated as ObjectMeta when the schema does not describe it', () => {
  const s = ts(obj({ spec: obj({}) }));
  assert.deepEqual(findUnknownFields(s, { metadata: { name: 'x', labels: { a: 'b' }, foo: 1 }, apiVersion: 'v1', kind: 'X' }), ['.metadata.foo']);
});

// ------------------------------------------------------------------ defaulting

test('CronTab defaulting (docs example): cronSpec and replicas are defaulted', () => {
  const schema = crdVersionSchema(cronTabCrd({ defaults: true }), 'v1');
  const cr: Record<string, any> = { apiVersion: 'stable.example.com/v1', kind: 'CronTab', metadata: { name: 'my-new-cron-object' }, spec: { image: 'my-awesome-cron-image' } };
  applySchemaDefaults(schema, cr);
  assert.deepEqual(cr.spec, { image: 'my-awesome-cron-image', cronSpec: '5 0 * * *', replicas: 1 });
  assert.deepEqual(cr.metadata, { name: 'my-new-cron-object' });
  assert.deepEqual(validateObject(schema, cr), []);
});

test('defaults of nested objects are themselves defaulted; existing values are kept', () => {
  const s = ts(
    obj({
      spec: obj(
        {
          strategy: obj({ type: { type: 'string', default: 'Rolling' }, maxSurge: { 'x-kubernetes-int-or-string': true, default: '25%' } }, { default: {} }),
          keep: { type: 'string', default: 'd' },
        },
        { default: {} },
      ),
    }),
  );
  const a: Record<string, any> = {};
  applySchemaDefaults(s, a);
  assert.deepEqual(a, { spec: { strategy: { type: 'Rolling', maxSurge: '25%' }, keep: 'd' } });
  const b: Record<string, any> = { spec: { keep: 'mine', strategy: { maxSurge: 1 } } };
  applySchemaDefaults(s, b);
  assert.deepEqual(b, { spec: { keep: 'mine', strategy: { maxSurge: 1, type: 'Rolling' } } });
});

test('defaults apply inside array items and additionalProperties, and defaults are copied', () => {
  const s = ts(
    obj({
      ports: { type: 'array', items: obj({ port: { type: 'integer' }, protocol: { type: 'string', default: 'TCP' } }) },
      envs: { type: 'object', additionalProperties: obj({ value: { type: 'string' }, secret: { type: 'boolean', default: false } }) },
      list: { type: 'array', items: { type: 'string' }, default: ['a'] },
    }),
  );
  const v: Record<string, any> = { ports: [{ port: 80 }, { port: 53, protocol: 'UDP' }], envs: { A: { value: 'x' }, B: {} } };
  applySchemaDefaults(s, v);
  assert.deepEqual(v, {
    ports: [{ port: 80, protocol: 'TCP' }, { port: 53, protocol: 'UDP' }],
    envs: { A: { value: 'x', secret: false }, B: { secret: false } },
    list: ['a'],
  });
  const w: Record<string, any> = {};
  applySchemaDefaults(s, w);
  w.list.push('b');
  assert.deepEqual((s.root.properties!.list.default as string[]), ['a'], 'schema default must not be aliased');
});

test('nullable and null: docs example (foo defaulted, bar kept null, baz pruned)', () => {
  const s = ts(
    obj({
      spec: obj({
        foo: { type: 'string', nullable: false, default: 'default' },
        bar: { type: 'string', nullable: true },
        baz: { type: 'string' },
        qux: { type: 'string', nullable: true, default: 'not used' },
      }),
    }),
  );
  const v: Record<string, any> = { spec: { foo: null, bar: null, baz: null, qux: null } };
  applySchemaDefaults(s, v);
  assert.deepEqual(v, { spec: { foo: 'default', bar: null, qux: null } });
});

test('nothing is defaulted under preserve-unknown-fields without properties', () => {
  const s = ts(
    obj({
      raw: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      partial: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { a: { type: 'string', default: 'x' } } },
    }),
  );
  const v: Record<string, any> = { raw: { a: null, b: {} }, partial: { other: null } };
  applySchemaDefaults(s, v);
  assert.deepEqual(v, { raw: { a: null, b: {} }, partial: { other: null, a: 'x' } });
});

test('defaulting works through $refs', () => {
  const defs: Record<string, StructSchema> = {
    Root: obj({ spec: { $ref: '#/definitions/Spec' } }),
    Spec: obj({ policy: { type: 'string', default: 'Always' }, items: { type: 'array', items: { $ref: '#/definitions/Item' } } }),
    Item: obj({ weight: { type: 'integer', default: 1 } }),
  };
  const s = typeSchemaFrom(defs.Root, defs);
  const v: Record<string, any> = { spec: { items: [{}, { weight: 5 }] } };
  applySchemaDefaults(s, v);
  assert.deepEqual(v, { spec: { items: [{ weight: 1 }, { weight: 5 }], policy: 'Always' } });
});

test('prune, default, validate pipeline for a CRD with int-or-string and list-map', () => {
  const crd = crdWithSchema({
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        properties: {
          port: { 'x-kubernetes-int-or-string': true, default: 80 },
          rules: {
            type: 'array',
            'x-kubernetes-list-type': 'map',
            'x-kubernetes-list-map-keys': ['name'],
            items: { type: 'object', required: ['name'], properties: { name: { type: 'string' }, weight: { type: 'integer', default: 1 } } },
          },
        },
      },
    },
  });
  const schema = crdVersionSchema(crd, 'v1');
  const cr: Record<string, any> = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { rules: [{ name: 'a', junk: 1 }, { name: 'a' }] } };
  assert.deepEqual(pruneUnknownFields(schema, cr), ['.spec.rules[0].junk']);
  applySchemaDefaults(schema, cr);
  assert.deepEqual(cr.spec, { port: 80, rules: [{ name: 'a', weight: 1 }, { name: 'a', weight: 1 }] });
  assert.deepEqual(validateObject(schema, cr), [{ reason: 'FieldValueDuplicate', field: 'spec.rules[1]', message: 'Duplicate value: {"name":"a"}' }]);
});
