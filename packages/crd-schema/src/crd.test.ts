import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '@flotilla/apimachinery';
import {
  applyCrdDefaults,
  compareKubeVersions,
  crdResources,
  crdStorageVersion,
  crdTablePrinter,
  crdVersionSchema,
  formatCause,
  isStructural,
  validateCrd,
} from './index.js';
import { cronTabCrd, crdWithSchema } from './testdata.js';

const V = 'spec.versions[0].schema.openAPIV3Schema';
const msgs = (crd: KubeObject, old?: KubeObject) => validateCrd(crd, old).map(formatCause);
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
const spec = (crd: KubeObject) => crd.spec as Record<string, any>;

// ------------------------------------------------------------------ validateCrd: happy paths

test('validateCrd: the docs CronTab CRD is valid', () => {
  assert.deepEqual(validateCrd(cronTabCrd()), []);
  assert.deepEqual(validateCrd(cronTabCrd({ columns: true, defaults: true })), []);
});

test('validateCrd: singular/listKind are defaulted before validation', () => {
  const crd = cronTabCrd();
  delete spec(crd).names.singular;
  assert.deepEqual(validateCrd(crd), []);
  applyCrdDefaults(crd);
  assert.equal(spec(crd).names.singular, 'crontab');
  assert.equal(spec(crd).names.listKind, 'CronTabList');
  assert.deepEqual(spec(crd).conversion, { strategy: 'None' });
});

// ------------------------------------------------------------------ validateCrd: names, group, scope

test('validateCrd: metadata.name must be <plural>.<group>', () => {
  const crd = cronTabCrd();
  crd.metadata!.name = 'crontab.stable.example.com';
  assert.deepEqual(msgs(crd), ['metadata.name: Invalid value: "crontab.stable.example.com": must be spec.names.plural+"."+spec.group']);
});

test('validateCrd: group is required and needs a dot', () => {
  const crd = cronTabCrd();
  spec(crd).group = 'example';
  crd.metadata!.name = 'crontabs.example';
  assert.deepEqual(msgs(crd), ['spec.group: Invalid value: "example": should be a domain with at least one dot']);
  delete spec(crd).group;
  crd.metadata!.name = 'crontabs.';
  const m = msgs(crd);
  assert.ok(m.includes('spec.group: Required value'), m.join('\n'));
});

test('validateCrd: group must be a DNS subdomain; protected groups need approval', () => {
  const crd = cronTabCrd();
  spec(crd).group = 'Stable.Example.com';
  crd.metadata!.name = 'crontabs.Stable.Example.com';
  const m = validateCrd(crd);
  assert.ok(m.some((c) => c.field === 'spec.group' && c.reason === 'FieldValueInvalid' && c.message.includes('RFC 1123 subdomain')));
  const k = cronTabCrd();
  spec(k).group = 'stable.k8s.io';
  k.metadata!.name = 'crontabs.stable.k8s.io';
  assert.deepEqual(validateCrd(k).map((c) => c.field), ['metadata.annotations[api-approved.kubernetes.io]']);
  k.metadata!.annotations = { 'api-approved.kubernetes.io': 'https://github.com/kubernetes/kubernetes/pull/78458' };
  assert.deepEqual(validateCrd(k), []);
});

test('validateCrd: scope must be Namespaced or Cluster', () => {
  const crd = cronTabCrd();
  spec(crd).scope = 'Global';
  assert.deepEqual(msgs(crd), ['spec.scope: Unsupported value: "Global": supported values: "Cluster", "Namespaced"']);
  delete spec(crd).scope;
  assert.deepEqual(msgs(crd), ['spec.scope: Required value']);
});

test('validateCrd: names rules (plural/singular DNS-1035 labels, kind required, listKind != kind)', () => {
  const crd = cronTabCrd();
  spec(crd).names.plural = 'CronTabs';
  crd.metadata!.name = 'CronTabs.stable.example.com';
  let m = validateCrd(crd);
  assert.ok(m.some((c) => c.field === 'spec.names.plural' && c.message.startsWith('Invalid value: "CronTabs": a DNS-1035 label')));
  const k = cronTabCrd();
  delete spec(k).names.kind;
  m = validateCrd(k);
  assert.ok(m.some((c) => formatCause(c) === 'spec.names.kind: Required value'));
  const l = cronTabCrd();
  spec(l).names.listKind = 'CronTab';
  assert.deepEqual(msgs(l), ['spec.names.listKind: Invalid value: "CronTab": kind and listKind may not be the same']);
  const s = cronTabCrd();
  spec(s).names.shortNames = ['ct', 'C_T'];
  assert.deepEqual(validateCrd(s).map((c) => c.field), ['spec.names.shortNames[1]']);
  const kk = cronTabCrd();
  spec(kk).names.kind = 'Cron_Tab';
  assert.ok(validateCrd(kk).some((c) => c.field === 'spec.names.kind' && c.message.includes('may have mixed case, but should otherwise match')));
});

// ------------------------------------------------------------------ validateCrd: versions

test('validateCrd: exactly one storage version', () => {
  const crd = cronTabCrd();
  const v2 = { ...clone(spec(crd).versions[0]), name: 'v2' };
  spec(crd).versions.push(v2);
  const m = validateCrd(crd);
  assert.equal(m.length, 1);
  assert.equal(m[0].field, 'spec.versions');
  assert.ok(m[0].message.endsWith('must have exactly one version marked as storage version'));
  v2.storage = false;
  assert.deepEqual(validateCrd(crd), []);
  spec(crd).versions[0].storage = false;
  assert.ok(validateCrd(crd)[0].message.endsWith('must have exactly one version marked as storage version'));
});

test('validateCrd: at least one version; names are DNS-1035 labels and unique', () => {
  const crd = cronTabCrd();
  spec(crd).versions = [];
  assert.deepEqual(msgs(crd), ['spec.versions: Required value: must have exactly one version marked as storage version']);
  const d = cronTabCrd();
  spec(d).versions.push({ ...clone(spec(d).versions[0]), storage: false });
  const m = validateCrd(d);
  assert.deepEqual(m.map((c) => c.field), ['spec.versions']);
  assert.ok(m[0].message.endsWith('must contain unique version names'));
  const n = cronTabCrd();
  spec(n).versions[0].name = 'V1';
  assert.ok(validateCrd(n)[0].message.startsWith('Invalid value: "V1": a DNS-1035 label'));
});

test('validateCrd: v1 requires a schema per version', () => {
  const crd = cronTabCrd();
  delete spec(crd).versions[0].schema;
  assert.deepEqual(msgs(crd), ['spec.versions[0].schema.openAPIV3Schema: Required value: schemas are required']);
});

test('validateCrd: preserveUnknownFields=true is rejected in v1', () => {
  const crd = cronTabCrd();
  spec(crd).preserveUnknownFields = true;
  assert.deepEqual(msgs(crd), [
    'spec.preserveUnknownFields: Invalid value: true: cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead',
  ]);
});

test('validateCrd: conversion webhook settings', () => {
  const crd = cronTabCrd();
  spec(crd).conversion = { strategy: 'Webhook' };
  assert.deepEqual(msgs(crd), ['spec.conversion.webhook: Required value: required when strategy is set to Webhook']);
  spec(crd).conversion = { strategy: 'Webhook', webhook: { conversionReviewVersions: ['v1'], clientConfig: { url: 'https://x/convert' } } };
  assert.deepEqual(validateCrd(crd), []);
  spec(crd).conversion = { strategy: 'Magic' };
  assert.deepEqual(msgs(crd), ['spec.conversion.strategy: Unsupported value: "Magic": supported values: "None", "Webhook"']);
});

// ------------------------------------------------------------------ validateCrd: structural schema rules

test('structural rule 1: type required at the root, for fields and for array items', () => {
  const m = msgs(
    crdWithSchema({
      properties: {
        spec: { properties: { list: { type: 'array', items: {} }, map: { type: 'object', additionalProperties: {} } } },
      },
    }),
  );
  assert.deepEqual(m.sort(), [
    `${V}.properties[spec].properties[list].items.type: Required value: must not be empty for specified array items`,
    `${V}.properties[spec].properties[map].additionalProperties.type: Required value: must not be empty for specified object fields`,
    `${V}.properties[spec].type: Required value: must not be empty for specified object fields`,
    `${V}.type: Required value: must not be empty at the root`,
  ]);
});

test('structural rule 1: the exact docs message for a missing type', () => {
  const m = msgs(crdWithSchema({ type: 'object', properties: { spec: { properties: { a: { type: 'string' } } } } }));
  assert.deepEqual(m, [`${V}.properties[spec].type: Required value: must not be empty for specified object fields`]);
});

test('structural rule 1 exceptions: int-or-string and preserve-unknown-fields nodes need no type', () => {
  const schema = {
    type: 'object',
    properties: {
      port: { 'x-kubernetes-int-or-string': true },
      port2: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] },
      port3: { 'x-kubernetes-int-or-string': true, allOf: [{ anyOf: [{ type: 'integer' }, { type: 'string' }] }, { pattern: '^\\d+$' }] },
      json: { 'x-kubernetes-preserve-unknown-fields': true },
    },
  };
  assert.deepEqual(validateCrd(crdWithSchema(schema)), []);
  assert.equal(isStructural(schema), true);
});

test('structural: int-or-string must not set a type; root must be object', () => {
  assert.deepEqual(msgs(crdWithSchema({ type: 'object', properties: { p: { type: 'string', 'x-kubernetes-int-or-string': true } } })), [
    `${V}.properties[p].type: Invalid value: "string": must be empty if x-kubernetes-int-or-string is true`,
  ]);
  assert.deepEqual(msgs(crdWithSchema({ type: 'array', items: { type: 'string' } })), [
    `${V}.type: Invalid value: "array": must be object at the root`,
  ]);
});

test('structural rules 2 and 3: junctors (the docs non-structural example 3)', () => {
  const schema = {
    properties: {
      foo: { pattern: 'abc' },
      metadata: {
        type: 'object',
        properties: {
          name: { type: 'string', pattern: '^a' },
          finalizers: { type: 'array', items: { type: 'string', pattern: 'my-finalizer' } },
        },
      },
    },
    anyOf: [{ properties: { bar: { type: 'integer', minimum: 42 } }, required: ['bar'], description: 'foo bar object' }],
  };
  const m = msgs(crdWithSchema(schema));
  for (const want of [
    `${V}.type: Required value: must not be empty at the root`,
    `${V}.properties[foo].type: Required value: must not be empty for specified object fields`,
    `${V}.properties[bar]: Required value: must be specified`,
    `${V}.anyOf[0].properties[bar].type: Forbidden: must be empty to be structural`,
    `${V}.anyOf[0].description: Forbidden: must be empty to be structural`,
    `${V}.properties[metadata]: Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified`,
  ])
    assert.ok(m.includes(want), `missing ${want}\n${m.join('\n')}`);
  assert.equal(isStructural(schema), false);
  // and the corrected, structural variant from the docs
  const good = {
    type: 'object',
    description: 'foo bar object',
    properties: {
      foo: { type: 'string', pattern: 'abc' },
      bar: { type: 'integer' },
      metadata: { type: 'object', properties: { name: { type: 'string', pattern: '^a' } } },
    },
    anyOf: [{ properties: { bar: { minimum: 42 } }, required: ['bar'] }],
  };
  assert.deepEqual(validateCrd(crdWithSchema(good)), []);
});

test('structural rule 2 for items, rule 3 for default/nullable/additionalProperties/extensions in junctors', () => {
  const schema = {
    type: 'object',
    properties: { list: { type: 'array', items: { type: 'object' } }, x: { type: 'object', properties: { a: { type: 'string' } } } },
    allOf: [
      { properties: { list: { items: { properties: { foo: { minLength: 1 } } } } } },
      { properties: { x: { default: {}, nullable: true, 'x-kubernetes-preserve-unknown-fields': true } } },
    ],
    oneOf: [{ properties: { y: { additionalProperties: { type: 'string' } } } }],
  };
  const m = msgs(crdWithSchema(schema));
  for (const want of [
    `${V}.properties[list].items.properties[foo]: Required value: must be specified`,
    `${V}.allOf[1].properties[x].default: Forbidden: must be undefined to be structural`,
    `${V}.allOf[1].properties[x].nullable: Forbidden: must be false to be structural`,
    `${V}.allOf[1].properties[x].x-kubernetes-preserve-unknown-fields: Forbidden: must be false to be structural`,
    `${V}.properties[y]: Required value: must be specified`,
    `${V}.oneOf[0].properties[y].additionalProperties: Forbidden: must be undefined to be structural`,
  ])
    assert.ok(m.includes(want), `missing ${want}\n${m.join('\n')}`);
});

test('structural: $ref, uniqueItems, additionalProperties=false, properties+additionalProperties, arrays without items', () => {
  const m = msgs(
    crdWithSchema({
      type: 'object',
      properties: {
        r: { $ref: '#/definitions/x' },
        u: { type: 'array', items: { type: 'string' }, uniqueItems: true },
        f: { type: 'object', additionalProperties: false },
        both: { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: { type: 'string' } },
        noitems: { type: 'array' },
        n: { type: 'null' },
        p: { type: 'string', pattern: '(' },
        k: { type: 'object', 'x-kubernetes-preserve-unknown-fields': false },
      },
    }),
  );
  for (const want of [
    `${V}.properties[r].$ref: Forbidden: $ref is not supported`,
    `${V}.properties[u].uniqueItems: Forbidden: uniqueItems cannot be set to true since the runtime complexity becomes quadratic`,
    `${V}.properties[f].additionalProperties: Forbidden: additionalProperties cannot be set to false`,
    `${V}.properties[both].additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive`,
    `${V}.properties[noitems].items: Required value: must be specified`,
    `${V}.properties[n].type: Forbidden: type cannot be set to null, use nullable as an alternative`,
    `${V}.properties[k].x-kubernetes-preserve-unknown-fields: Invalid value: false: must be true or undefined`,
  ])
    assert.ok(m.includes(want), `missing ${want}\n${m.join('\n')}`);
  assert.ok(m.some((x) => x.startsWith(`${V}.properties[p].pattern: Invalid value: "(": must be a valid regular expression`)));
});

test('structural: embedded resources need type object and properties or preserve-unknown-fields', () => {
  const m = msgs(crdWithSchema({ type: 'object', properties: { e: { type: 'object', 'x-kubernetes-embedded-resource': true } } }));
  assert.deepEqual(m, [
    `${V}.properties[e].properties: Required value: must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields`,
  ]);
  const ok = crdWithSchema({
    type: 'object',
    properties: { e: { type: 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true } },
  });
  assert.deepEqual(validateCrd(ok), []);
});

test('structural: list-type map needs keys that are required or defaulted scalars', () => {
  const m = msgs(
    crdWithSchema({
      type: 'object',
      properties: {
        a: { type: 'array', 'x-kubernetes-list-type': 'map', items: { type: 'object', properties: { name: { type: 'string' } } } },
        b: {
          type: 'array',
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['name'],
          items: { type: 'object', properties: { name: { type: 'string' } } },
        },
        c: { type: 'array', 'x-kubernetes-list-type': 'sorted', items: { type: 'string' } },
      },
    }),
  );
  assert.deepEqual(m, [
    `${V}.properties[a].x-kubernetes-list-map-keys: Required value: must not be empty if x-kubernetes-list-type is map`,
    `${V}.properties[b].items.properties[name]: Required value: this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property`,
    `${V}.properties[c].x-kubernetes-list-type: Unsupported value: "sorted": supported values: "atomic", "set", "map"`,
  ]);
});

test('structural: defaults must validate against their schema and have no unknown fields', () => {
  const m = msgs(
    crdWithSchema({
      type: 'object',
      properties: {
        replicas: { type: 'integer', default: 'one' },
        obj: { type: 'object', properties: { a: { type: 'string' } }, default: { a: 'x', b: 1 } },
      },
    }),
  );
  assert.deepEqual(m, [
    `${V}.properties[replicas].default: Invalid value: "string": ${V}.properties[replicas].default in body must be of type integer: "string"`,
    `${V}.properties[obj].default: Invalid value: {"a":"x","b":1}: unknown field "b"`,
  ]);
});

test('structural: metadata may restrict name and generateName only', () => {
  const ok = crdWithSchema({
    type: 'object',
    properties: { metadata: { type: 'object', properties: { name: { type: 'string', maxLength: 10 } } } },
  });
  assert.deepEqual(validateCrd(ok), []);
});

// ------------------------------------------------------------------ validateCrd: subresources, columns, update

test('validateCrd: scale subresource paths', () => {
  const crd = cronTabCrd();
  spec(crd).versions[0].subresources = {
    status: {},
    scale: { specReplicasPath: '.status.replicas', statusReplicasPath: 'status.replicas', labelSelectorPath: '.metadata.labels' },
  };
  assert.deepEqual(msgs(crd), [
    'spec.versions[0].subresources.scale.specReplicasPath: Invalid value: ".status.replicas": should be a json path under .spec',
    'spec.versions[0].subresources.scale.statusReplicasPath: Invalid value: "status.replicas": must be a simple json path starting with .',
    'spec.versions[0].subresources.scale.labelSelectorPath: Invalid value: ".metadata.labels": should be a json path under either .spec or .status',
  ]);
  spec(crd).versions[0].subresources.scale = { statusReplicasPath: '.status.replicas' };
  assert.deepEqual(msgs(crd), ['spec.versions[0].subresources.scale.specReplicasPath: Required value']);
});

test('validateCrd: additionalPrinterColumns', () => {
  const crd = cronTabCrd();
  spec(crd).versions[0].additionalPrinterColumns = [
    { type: 'string', jsonPath: '.spec.a' },
    { name: 'B', type: 'text', jsonPath: '.spec.b' },
    { name: 'C', type: 'integer' },
    { name: 'D', type: 'string', jsonPath: 'spec.d' },
    { name: 'E', type: 'string', jsonPath: '.spec.e[?(@.x=="y"' },
    { name: 'F', type: 'number', format: 'decimal', jsonPath: '.spec.f' },
    { name: 'G', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
  ];
  const m = msgs(crd);
  assert.deepEqual(m.slice(0, 5), [
    'spec.versions[0].additionalPrinterColumns[0].name: Required value',
    'spec.versions[0].additionalPrinterColumns[1].type: Unsupported value: "text": supported values: "boolean", "date", "integer", "number", "string"',
    'spec.versions[0].additionalPrinterColumns[2].jsonPath: Required value',
    'spec.versions[0].additionalPrinterColumns[3].jsonPath: Invalid value: "spec.d": must be a simple json path starting with .',
    m[4],
  ]);
  assert.ok(m[4].startsWith('spec.versions[0].additionalPrinterColumns[4].jsonPath: Invalid value: ".spec.e[?(@.x==\\"y\\"": invalid JSONPath'));
  assert.equal(
    m[5],
    'spec.versions[0].additionalPrinterColumns[5].format: Unsupported value: "decimal": supported values: "byte", "date", "date-time", "double", "float", "int32", "int64", "password"',
  );
  assert.equal(m.length, 6);
});

test('validateCrd update: scope is immutable, storage version may move, storedVersions must stay', () => {
  const old = cronTabCrd();
  const upd = cronTabCrd();
  spec(upd).scope = 'Cluster';
  assert.deepEqual(msgs(upd, old), ['spec.scope: Invalid value: "Cluster": field is immutable']);

  const o2 = cronTabCrd();
  o2.status = { storedVersions: ['v1'] };
  const u2 = cronTabCrd();
  spec(u2).versions[0].storage = false;
  spec(u2).versions.push({ ...clone(spec(u2).versions[0]), name: 'v2', storage: true });
  u2.status = { storedVersions: ['v1'] };
  assert.deepEqual(validateCrd(u2, o2), []);
  // dropping v1 while it is still a stored version is rejected
  spec(u2).versions = [spec(u2).versions[1]];
  assert.deepEqual(msgs(u2, o2), ['status.storedVersions[0]: Invalid value: "v1": must appear in spec.versions']);
});

// ------------------------------------------------------------------ crdResources

test('crdResources: one ResourceInfo per served version', () => {
  const crd = cronTabCrd();
  spec(crd).names.categories = ['all'];
  spec(crd).versions.push({ ...clone(spec(crd).versions[0]), name: 'v1beta1', storage: false, served: true, subresources: { status: {}, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.selector' } } });
  spec(crd).versions.push({ ...clone(spec(crd).versions[0]), name: 'v1alpha1', storage: false, served: false });
  const r = crdResources(crd);
  assert.equal(r.length, 2);
  assert.deepEqual(r[0], {
    group: 'stable.example.com',
    version: 'v1',
    kind: 'CronTab',
    listKind: 'CronTabList',
    plural: 'crontabs',
    singular: 'crontab',
    namespaced: true,
    shortNames: ['ct'],
    categories: ['all'],
    verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
    storage: true,
  });
  assert.equal(r[1].version, 'v1beta1');
  assert.equal(r[1].storage, false);
  assert.deepEqual(r[1].subresources, {
    status: true,
    scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.selector' },
  });
  assert.equal(crdStorageVersion(crd), 'v1');
});

test('crdResources: cluster scope and legacy top-level subresources', () => {
  const crd = cronTabCrd();
  spec(crd).scope = 'Cluster';
  spec(crd).subresources = { status: {} };
  const [r] = crdResources(crd);
  assert.equal(r.namespaced, false);
  assert.deepEqual(r.subresources, { status: true });
});

test('compareKubeVersions sorts like Kubernetes discovery', () => {
  const vs = ['v1alpha1', 'foo', 'v2beta1', 'v1', 'v11alpha2', 'v2', 'v1beta1', 'bar', 'v10'];
  assert.deepEqual([...vs].sort(compareKubeVersions), ['v10', 'v2', 'v1', 'v2beta1', 'v1beta1', 'v11alpha2', 'v1alpha1', 'bar', 'foo']);
});

// ------------------------------------------------------------------ crdVersionSchema

test('crdVersionSchema adds apiVersion, kind and ObjectMeta', () => {
  const ts = crdVersionSchema(cronTabCrd(), 'v1');
  const props = ts.root.properties!;
  assert.equal(props.apiVersion.type, 'string');
  assert.equal(props.kind.type, 'string');
  assert.equal(props.metadata.type, 'object');
  for (const f of ['name', 'generateName', 'namespace', 'labels', 'annotations', 'finalizers', 'ownerReferences', 'managedFields', 'uid'])
    assert.ok(props.metadata.properties![f], f);
  assert.ok(props.spec.properties!.cronSpec);
  assert.throws(() => crdVersionSchema(cronTabCrd(), 'v9'), /version "v9" not found/);
});

test('crdVersionSchema keeps name restrictions from the CRD', () => {
  const crd = crdWithSchema({ type: 'object', properties: { metadata: { type: 'object', properties: { name: { type: 'string', maxLength: 5 } } } } });
  const ts = crdVersionSchema(crd, 'v1');
  assert.equal(ts.root.properties!.metadata.properties!.name.maxLength, 5);
  assert.ok(ts.root.properties!.metadata.properties!.labels);
});

// ------------------------------------------------------------------ crdTablePrinter

test('crdTablePrinter: CronTab columns from the docs', () => {
  const p = crdTablePrinter(cronTabCrd({ columns: true }), 'v1');
  assert.deepEqual(
    p.columns.map((c) => [c.name, c.type, c.format, c.priority]),
    [
      ['Name', 'string', 'name', 0],
      ['Spec', 'string', '', 0],
      ['Image', 'string', '', 1],
      ['Replicas', 'integer', '', 0],
      ['Age', 'date', '', 0],
    ],
  );
  assert.equal(p.columns[1].description, 'The cron spec defining the interval a CronJob is run');
  const obj = {
    apiVersion: 'stable.example.com/v1',
    kind: 'CronTab',
    metadata: { name: 'my-new-cron-object', creationTimestamp: '2024-01-01T00:00:00Z' },
    spec: { cronSpec: '* * * * */5', image: 'my-awesome-cron-image', replicas: 1 },
  };
  assert.deepEqual(p.cells(obj, new Date('2024-01-01T00:00:07Z')), ['my-new-cron-object', '* * * * */5', 'my-awesome-cron-image', 1, '7s']);
  // missing values are null
  assert.deepEqual(p.cells({ metadata: { name: 'x' } }, new Date()), ['x', null, null, null, null]);
});

test('crdTablePrinter: default Name + Age columns when none are defined', () => {
  const p = crdTablePrinter(cronTabCrd(), 'v1');
  assert.deepEqual(p.columns.map((c) => c.name), ['Name', 'Age']);
  assert.equal(p.columns[1].type, 'date');
  const cells = p.cells({ metadata: { name: 'a', creationTimestamp: '2024-01-01T00:00:00Z' } }, new Date('2024-01-03T00:00:00Z'));
  assert.deepEqual(cells, ['a', '2d']);
});

test('crdTablePrinter: type coercion, filters, wildcards and joining', () => {
  const crd = crdWithSchema({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true }, {
    additionalPrinterColumns: [
      { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
      { name: 'Images', type: 'string', jsonPath: '.spec.containers[*].image' },
      { name: 'Count', type: 'integer', jsonPath: '.spec.count' },
      { name: 'Ratio', type: 'number', jsonPath: '.spec.ratio' },
      { name: 'On', type: 'boolean', jsonPath: '.spec.on' },
      { name: 'App', type: 'string', jsonPath: '.metadata.labels.app' },
      { name: 'Num', type: 'string', jsonPath: '.spec.ratio' },
      { name: 'When', type: 'date', jsonPath: '.spec.when' },
    ],
  });
  const p = crdTablePrinter(crd, 'v1');
  const obj = {
    metadata: { name: 'w', labels: { app: 'web' } },
    spec: { containers: [{ image: 'a' }, { image: 'b' }], count: 'three', ratio: 0.5, on: true, when: 'not a date' },
    status: { conditions: [{ type: 'Synced', status: 'False' }, { type: 'Ready', status: 'True' }] },
  };
  assert.deepEqual(p.cells(obj, new Date()), ['w', 'True', 'a,b', null, 0.5, true, 'web', '0.5', '<invalid>']);
});
