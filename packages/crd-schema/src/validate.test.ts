import { test } from 'node:test';
import assert from 'node:assert/strict';
import { typeSchemaFrom, type StructSchema, type TypeSchema } from '@flotilla/apimachinery';
import { crdVersionSchema, formatCause, intOrStringOk, validateObject } from './index.js';
import { cronTabCrd, CRON_PATTERN } from './testdata.js';

const ts = (root: StructSchema): TypeSchema => ({ root, resolve: () => undefined });
const msgs = (root: StructSchema | TypeSchema, obj: unknown, rootPath?: string) =>
  validateObject('root' in root && 'resolve' in root ? (root as TypeSchema) : ts(root as StructSchema), obj, rootPath).map(formatCause);
const obj = (properties: Record<string, StructSchema>, extra: StructSchema = {}): StructSchema => ({ type: 'object', properties, ...extra });

// ------------------------------------------------------------------ the docs CronTab example

test('CronTab: invalid cronSpec and replicas (docs example) give the Kubernetes messages', () => {
  const schema = crdVersionSchema(cronTabCrd(), 'v1');
  const cr = {
    apiVersion: 'stable.example.com/v1',
    kind: 'CronTab',
    metadata: { name: 'my-new-cron-object', namespace: 'default' },
    spec: { cronSpec: '* * * *', image: 'my-awesome-cron-image', replicas: 15 },
  };
  const causes = validateObject(schema, cr);
  assert.deepEqual(causes, [
    {
      reason: 'FieldValueInvalid',
      field: 'spec.cronSpec',
      message: `Invalid value: "* * * *": spec.cronSpec in body should match '${CRON_PATTERN}'`,
    },
    { reason: 'FieldValueInvalid', field: 'spec.replicas', message: 'Invalid value: 15: spec.replicas in body should be less than or equal to 10' },
  ]);
  cr.spec = { cronSpec: '* * * * */5', image: 'my-awesome-cron-image', replicas: 5 };
  assert.deepEqual(validateObject(schema, cr), []);
});

test('CronTab: a wrong type gives the exact TypeInvalid message', () => {
  const schema = crdVersionSchema(cronTabCrd(), 'v1');
  const causes = validateObject(schema, { apiVersion: 'stable.example.com/v1', kind: 'CronTab', metadata: { name: 'x' }, spec: { replicas: 'string' } });
  assert.deepEqual(causes, [
    {
      reason: 'FieldValueTypeInvalid',
      field: 'spec.replicas',
      message: 'Invalid value: "string": spec.replicas in body must be of type integer: "string"',
    },
  ]);
  assert.deepEqual(msgs(schema, { spec: { cronSpec: 5 } }), ['spec.cronSpec: Invalid value: "integer": spec.cronSpec in body must be of type string: "integer"']);
  assert.deepEqual(msgs(schema, { spec: { replicas: 1.5 } }), ['spec.replicas: Invalid value: "number": spec.replicas in body must be of type integer: "number"']);
  assert.deepEqual(msgs(schema, { spec: [] }), ['spec: Invalid value: "array": spec in body must be of type object: "array"']);
});

// ------------------------------------------------------------------ keywords

test('required, nullable and null values', () => {
  const s = obj({ spec: obj({ a: { type: 'string' }, b: { type: 'object', nullable: true }, c: { type: 'object' } }, { required: ['a'] }) });
  assert.deepEqual(msgs(s, { spec: {} }), ['spec.a: Required value']);
  assert.deepEqual(validateObject(ts(s), { spec: {} })[0].reason, 'FieldValueRequired');
  assert.deepEqual(msgs(s, { spec: { a: 'x', b: null } }), []);
  assert.deepEqual(msgs(s, { spec: { a: 'x', c: null } }), ['spec.c: Invalid value: "null": spec.c in body must be of type object: "null"']);
});

test('enum gives Unsupported value with the supported list', () => {
  const s = obj({ policy: { type: 'string', enum: ['Allow', 'Forbid', 'Replace'] }, n: { type: 'integer', enum: [1, 2] } });
  const c = validateObject(ts(s), { policy: 'Sometimes', n: 3 });
  assert.deepEqual(c.map(formatCause), [
    'policy: Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace"',
    'n: Unsupported value: 3: supported values: 1, 2',
  ]);
  assert.equal(c[0].reason, 'FieldValueNotSupported');
});

test('minimum/maximum, exclusive bounds and multipleOf', () => {
  const s = obj({
    a: { type: 'integer', minimum: 1 },
    b: { type: 'integer', minimum: 1, exclusiveMinimum: true },
    c: { type: 'number', maximum: 2.5, exclusiveMaximum: true },
    d: { type: 'number', maximum: 1000000 },
    e: { type: 'integer', multipleOf: 5 },
    f: { type: 'number', multipleOf: 0.1 },
  });
  assert.deepEqual(msgs(s, { a: 0, b: 1, c: 2.5, d: 1000001, e: 12, f: 0.3 }), [
    'a: Invalid value: 0: a in body should be greater than or equal to 1',
    'b: Invalid value: 1: b in body should be greater than 1',
    'c: Invalid value: 2.5: c in body should be less than 2.5',
    'd: Invalid value: 1000001: d in body should be less than or equal to 1e+06',
    'e: Invalid value: 12: e in body should be a multiple of 5',
  ]);
});

test('string length and pattern', () => {
  const s = obj({ a: { type: 'string', minLength: 3 }, b: { type: 'string', maxLength: 2 }, c: { type: 'string', pattern: '^[a-z]+$' } });
  const c = validateObject(ts(s), { a: 'xy', b: 'xyz', c: 'ABC' });
  assert.deepEqual(c.map(formatCause), [
    'a: Invalid value: "xy": a in body should be at least 3 chars long',
    'b: Too long: may not be more than 2 bytes',
    "c: Invalid value: \"ABC\": c in body should match '^[a-z]+$'",
  ]);
  assert.equal(c[1].reason, 'FieldValueTooLong');
  // lengths count characters, not UTF-16 units
  assert.deepEqual(msgs(obj({ e: { type: 'string', maxLength: 1 } }), { e: '😀' }), []);
});

test('formats: date-time, date, byte, int32, uuid, ipv4', () => {
  const s = obj({
    t: { type: 'string', format: 'date-time' },
    d: { type: 'string', format: 'date' },
    b: { type: 'string', format: 'byte' },
    i: { type: 'integer', format: 'int32' },
    l: { type: 'integer', format: 'int64' },
    u: { type: 'string', format: 'uuid' },
    ip: { type: 'string', format: 'ipv4' },
    x: { type: 'string', format: 'something-custom' },
  });
  assert.deepEqual(msgs(s, { t: '2024-01-01T10:00:00Z', d: '2024-02-29', b: 'aGVsbG8=', i: 2147483647, l: 2 ** 40, u: '123e4567-e89b-12d3-a456-426614174000', ip: '10.0.0.1', x: '?' }), []);
  assert.deepEqual(msgs(s, { t: 'yesterday', d: '2023-02-29', b: 'not base64!', i: 2147483648, u: 'nope', ip: '10.0.0.256' }), [
    't: Invalid value: "yesterday": t in body must be of type date-time: "yesterday"',
    'd: Invalid value: "2023-02-29": d in body must be of type date: "2023-02-29"',
    'b: Invalid value: "not base64!": b in body must be of type byte: "not base64!"',
    'i: Invalid value: 2147483648: i in body must be of type int32',
    'u: Invalid value: "nope": u in body must be of type uuid: "nope"',
    'ip: Invalid value: "10.0.0.256": ip in body must be of type ipv4: "10.0.0.256"',
  ]);
});

test('arrays: minItems, maxItems (Too many), uniqueItems and item paths', () => {
  const s = obj({
    a: { type: 'array', items: { type: 'string' }, minItems: 2 },
    b: { type: 'array', items: { type: 'string' }, maxItems: 1 },
    u: { type: 'array', items: { type: 'integer' }, uniqueItems: true },
    c: { type: 'array', items: obj({ image: { type: 'string' } }, { required: ['name'] }) },
  });
  const c = validateObject(ts(s), { a: ['x'], b: ['x', 'y'], u: [1, 1], c: [{ name: 'n', image: 'i' }, { image: 3 }] });
  assert.deepEqual(c.map(formatCause), [
    'a: Invalid value: 1: a in body should have at least 2 items',
    'b: Too many: 2: must have at most 1 items',
    "u: Invalid value: [1,1]: u in body shouldn't contain duplicates",
    'c[1].name: Required value',
    'c[1].image: Invalid value: "integer": c[1].image in body must be of type string: "integer"',
  ]);
  assert.equal(c[1].reason, 'FieldValueTooMany');
});

test('objects: minProperties/maxProperties and additionalProperties values', () => {
  const s = obj({
    m: { type: 'object', additionalProperties: { type: 'integer' }, minProperties: 1 },
    n: { type: 'object', additionalProperties: { type: 'string' }, maxProperties: 1 },
  });
  assert.deepEqual(msgs(s, { m: {}, n: { a: 'x', b: 'y' } }), [
    'm: Invalid value: 0: m in body should have at least 1 properties',
    'n: Too many: 2: must have at most 1 items',
  ]);
  assert.deepEqual(msgs(s, { m: { one: 'uno' } }), ['m.one: Invalid value: "string": m.one in body must be of type integer: "string"']);
});

test('x-kubernetes-int-or-string accepts integers and strings only', () => {
  const s = obj({ port: { 'x-kubernetes-int-or-string': true }, p2: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] } });
  assert.deepEqual(msgs(s, { port: 80, p2: 'http' }), []);
  assert.deepEqual(msgs(s, { port: 'http', p2: 8080 }), []);
  assert.deepEqual(msgs(s, { port: true }), ['port: Invalid value: "boolean": port in body must be of type integer,string: "boolean"']);
  assert.deepEqual(msgs(s, { port: 1.5 })[0], 'port: Invalid value: "number": port in body must be of type integer,string: "number"');
  assert.equal(intOrStringOk(3), true);
  assert.equal(intOrStringOk('3'), true);
  assert.equal(intOrStringOk(3.5), false);
  assert.equal(intOrStringOk(null), false);
});

test('allOf / anyOf / oneOf / not', () => {
  const s = obj({
    all: { type: 'integer', allOf: [{ minimum: 1 }, { maximum: 5 }] },
    any: { type: 'string', anyOf: [{ pattern: '^a' }, { pattern: '^b' }] },
    one: { type: 'integer', oneOf: [{ minimum: 0 }, { maximum: 10 }] },
    not: { type: 'string', not: { enum: ['forbidden'] } },
  });
  assert.deepEqual(msgs(s, { all: 3, any: 'bee', one: 20, not: 'ok' }), []);
  const m = msgs(s, { all: 7, any: 'cat', one: 5, not: 'forbidden' });
  assert.deepEqual(m, [
    'all: Invalid value: 7: all in body should be less than or equal to 5',
    'all: Invalid value: 7: all in body must validate all the schemas (allOf)',
    'any: Invalid value: "cat": any in body must validate at least one schema (anyOf)',
    "any: Invalid value: \"cat\": any in body should match '^a'",
    'one: Invalid value: 5: one in body must validate one and only one schema (oneOf)',
    'not: Invalid value: "forbidden": not in body must not validate the schema (not)',
  ]);
});

test('x-kubernetes-list-type set and map report Duplicate value', () => {
  const s = obj({
    tags: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } },
    ports: {
      type: 'array',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['port', 'protocol'],
      items: obj({ port: { type: 'integer' }, protocol: { type: 'string', default: 'TCP' }, name: { type: 'string' } }, { required: ['port'] }),
    },
  });
  const c = validateObject(ts(s), {
    tags: ['a', 'b', 'a'],
    ports: [{ port: 80, name: 'http' }, { port: 80, protocol: 'UDP' }, { port: 80, protocol: 'TCP', name: 'again' }],
  });
  assert.deepEqual(c.map(formatCause), ['tags[2]: Duplicate value: "a"', 'ports[2]: Duplicate value: {"port":80,"protocol":"TCP"}']);
  assert.equal(c[0].reason, 'FieldValueDuplicate');
});

test('x-kubernetes-embedded-resource requires apiVersion and kind and validates them', () => {
  const s = obj({ template: { type: 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true } });
  assert.deepEqual(msgs(s, { template: { spec: {} } }), [
    'template.apiVersion: Required value: must not be empty',
    'template.kind: Required value: must not be empty',
  ]);
  assert.deepEqual(msgs(s, { template: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x', labels: { app: 'web' } } } }), []);
  const bad = msgs(s, { template: { apiVersion: 'a/b/c', kind: 'Pod_X', metadata: { name: 'a/b', labels: { 'bad key!': 'v' }, generation: 'one' } } });
  assert.ok(bad.includes('template.apiVersion: Invalid value: "a/b/c": unexpected GroupVersion string: a/b/c'), bad.join('\n'));
  assert.ok(bad.some((m) => m.startsWith('template.kind: Invalid value: "Pod_X": may have mixed case, but should otherwise match')));
  assert.ok(bad.includes('template.metadata.name: Invalid value: "a/b": may not contain \'/\''));
  assert.ok(bad.some((m) => m.startsWith('template.metadata.labels: Invalid value: "bad key!"')));
  assert.ok(bad.includes('template.metadata.generation: Invalid value: "string": template.metadata.generation in body must be of type integer: "string"'));
});

test('rootPath prefixes field paths; metadata is validated as ObjectMeta', () => {
  const s = obj({ replicas: { type: 'integer' } });
  assert.deepEqual(msgs(s, { replicas: 'x' }, 'spec'), ['spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"']);
  assert.deepEqual(msgs(obj({}), { metadata: { labels: { a: 1 } } }), [
    'metadata.labels.a: Invalid value: "integer": metadata.labels.a in body must be of type string: "integer"',
  ]);
  assert.deepEqual(msgs(obj({}), { metadata: { name: 'x', creationTimestamp: null, uid: 'u', finalizers: ['f'] } }), []);
});

test('validation works through $refs of a built-in-like schema', () => {
  const defs: Record<string, StructSchema> = {
    Deployment: obj({ apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { $ref: '#/components/schemas/ObjectMeta' }, spec: { $ref: '#/components/schemas/DeploymentSpec' } }),
    ObjectMeta: obj({ name: { type: 'string' }, labels: { type: 'object', additionalProperties: { type: 'string' } } }),
    DeploymentSpec: obj({ replicas: { type: 'integer', format: 'int32' }, template: { allOf: [{ $ref: '#/components/schemas/PodTemplateSpec' }], default: {} } }),
    PodTemplateSpec: obj({ spec: { $ref: '#/components/schemas/PodSpec' } }),
    PodSpec: obj({ containers: { type: 'array', items: { $ref: '#/components/schemas/Container' } } }, { required: ['containers'] }),
    Container: obj({ name: { type: 'string' }, image: { type: 'string' }, ports: { type: 'array', items: { $ref: '#/components/schemas/ContainerPort' } } }, { required: ['name'] }),
    ContainerPort: obj({ containerPort: { type: 'integer', format: 'int32' }, targetPort: { $ref: '#/components/schemas/IntOrString' } }),
    IntOrString: { type: 'string', format: 'int-or-string' },
  };
  const s = typeSchemaFrom(defs.Deployment, defs);
  const m = msgs(s, { spec: { replicas: '3', template: { spec: { containers: [{ image: 7, ports: [{ containerPort: 80, targetPort: 8080 }, { targetPort: 'http' }] }] } } } });
  assert.deepEqual(m, [
    'spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"',
    'spec.template.spec.containers[0].name: Required value',
    'spec.template.spec.containers[0].image: Invalid value: "integer": spec.template.spec.containers[0].image in body must be of type string: "integer"',
  ]);
});
