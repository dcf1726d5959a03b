import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FieldSet, pathString } from './index.js';

test('FieldsV1 round-trips, with "." for members that have children', () => {
  const v1 = {
    'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
    'f:spec': {
      'f:replicas': {},
      'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"nginx"}': { '.': {}, 'f:image': {}, 'f:name': {} } } } },
    },
  };
  const fs = FieldSet.fromFieldsV1(v1);
  assert.deepEqual(fs.toFieldsV1(), v1);
  assert.equal(
    JSON.stringify(fs.toFieldsV1()),
    '{"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:replicas":{},"f:template":{"f:spec":{"f:containers":{"k:{\\"name\\":\\"nginx\\"}":{".":{},"f:image":{},"f:name":{}}}}}}}',
  );
  assert.ok(fs.has(['f:metadata', 'f:labels']));
  assert.ok(!fs.has(['f:metadata']));
});

test('set operations', () => {
  const a = FieldSet.of(['f:a'], ['f:b', 'f:c'], ['f:b', 'f:d']);
  const b = FieldSet.of(['f:b', 'f:c'], ['f:e']);
  assert.deepEqual(a.union(b).paths(), [['f:a'], ['f:b', 'f:c'], ['f:b', 'f:d'], ['f:e']]);
  assert.deepEqual(a.intersection(b).paths(), [['f:b', 'f:c']]);
  assert.deepEqual(a.difference(b).paths(), [['f:a'], ['f:b', 'f:d']]);
  assert.ok(a.difference(a).isEmpty());
  assert.ok(a.equals(FieldSet.of(['f:b', 'f:d'], ['f:a'], ['f:b', 'f:c'])));
});

test('Kubernetes-style path strings', () => {
  assert.equal(pathString(['f:spec', 'f:replicas']), '.spec.replicas');
  assert.equal(pathString(['f:spec', 'f:template', 'f:spec', 'f:containers', 'k:{"name":"nginx"}', 'f:image']), '.spec.template.spec.containers[name="nginx"].image');
  assert.equal(pathString(['f:spec', 'f:ports', 'k:{"port":80,"protocol":"TCP"}']), '.spec.ports[port=80,protocol="TCP"]');
  assert.equal(pathString(['f:metadata', 'f:finalizers', 'v:"a/b"']), '.metadata.finalizers[="a/b"]');
  assert.equal(pathString(['f:list', 'i:2']), '.list[2]');
});
