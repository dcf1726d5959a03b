import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JsonPathError, jsonPathQuery, parseJsonPath } from './index.js';

const pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', labels: { app: 'web', 'app.kubernetes.io/name': 'nginx' }, annotations: { 'a-b': 'c' } },
  spec: {
    replicas: 3,
    containers: [
      { name: 'a', image: 'nginx:1', ports: [{ containerPort: 80 }, { containerPort: 443 }] },
      { name: 'b', image: 'busybox', ports: [] },
      { name: 'c', image: 'redis', ready: false },
    ],
  },
  status: {
    conditions: [
      { type: 'Initialized', status: 'True', order: 1 },
      { type: 'Ready', status: 'False', order: 2 },
      { type: 'PodScheduled', status: 'True', order: 3 },
    ],
  },
};

test('jsonPathQuery: fields, braces and $', () => {
  assert.deepEqual(jsonPathQuery(pod, '.spec.replicas'), [3]);
  assert.deepEqual(jsonPathQuery(pod, '{.spec.replicas}'), [3]);
  assert.deepEqual(jsonPathQuery(pod, '$.spec.replicas'), [3]);
  assert.deepEqual(jsonPathQuery(pod, '{$.metadata.name}'), ['web']);
  assert.deepEqual(jsonPathQuery(pod, '.metadata.labels.app'), ['web']);
  assert.deepEqual(jsonPathQuery(pod, '.metadata.annotations.a-b'), ['c']);
  assert.deepEqual(jsonPathQuery(pod, ".metadata.labels['app.kubernetes.io/name']"), ['nginx']);
  assert.deepEqual(jsonPathQuery(pod, '.metadata.labels.app\\.kubernetes\\.io/name'), ['nginx']);
  assert.deepEqual(jsonPathQuery(pod, '.spec.missing'), []);
  assert.deepEqual(jsonPathQuery(pod, '.spec.replicas.deeper'), []);
});

test('jsonPathQuery: indexes, wildcards, slices and unions', () => {
  assert.deepEqual(jsonPathQuery(pod, '.spec.containers[0].image'), ['nginx:1']);
  assert.deepEqual(jsonPathQuery(pod, '.spec.containers[-1].name'), ['c']);
  assert.deepEqual(jsonPathQuery(pod, '.spec.containers[*].image'), ['nginx:1', 'busybox', 'redis']);
  assert.deepEqual(jsonPathQuery(pod, '.spec.containers[0:2].name'), ['a', 'b']);
  assert.deepEqual(jsonPathQuery(pod, '.spec.containers[1:].name'), ['b', 'c']);
  assert.deepEqual(jsonPathQuery(pod, '.spec.containers[::2].name'), ['a', 'c']);
  assert.deepEqual(jsonPathQuery(pod, '.spec.containers[0,2].name'), ['a', 'c']);
  assert.deepEqual(jsonPathQuery(pod, '.spec.containers[7].name'), []);
  assert.deepEqual(jsonPathQuery(pod, '.metadata.labels.*'), ['web', 'nginx']);
  assert.deepEqual(jsonPathQuery(pod, ".metadata['name','kind']"), ['web']);
  assert.deepEqual(jsonPathQuery(pod, '.spec.containers[*].ports[*].containerPort'), [80, 443]);
});

test('jsonPathQuery: filters', () => {
  assert.deepEqual(jsonPathQuery(pod, '.status.conditions[?(@.type=="Ready")].status'), ['False']);
  assert.deepEqual(jsonPathQuery(pod, ".status.conditions[?(@.type=='Ready')].status"), ['False']);
  assert.deepEqual(jsonPathQuery(pod, '.status.conditions[?(@.status!="True")].type'), ['Ready']);
  assert.deepEqual(jsonPathQuery(pod, '.status.conditions[?(@.order>1)].type'), ['Ready', 'PodScheduled']);
  assert.deepEqual(jsonPathQuery(pod, '.status.conditions[?(@.order <= 2)].type'), ['Initialized', 'Ready']);
  assert.deepEqual(jsonPathQuery(pod, '.spec.containers[?(@.ports)].name'), ['a', 'b']);
  assert.deepEqual(jsonPathQuery(pod, '.spec.containers[?(@.ready==false)].name'), ['c']);
  assert.deepEqual(jsonPathQuery(pod, '.status.conditions[?(@.type=="Nope")].status'), []);
});

test('jsonPathQuery: recursive descent', () => {
  assert.deepEqual(jsonPathQuery(pod, '..containerPort'), [80, 443]);
  assert.deepEqual(jsonPathQuery(pod, '.spec..name'), ['a', 'b', 'c']);
});

test('parseJsonPath: invalid expressions throw clear errors', () => {
  for (const bad of ['spec.replicas', '{.spec', '.spec[', '.spec[?(@.a==)]', '.a[1:2:0]', '', '{}', '.a[?(@.x=="y"]', '.a]', '{.a}{.b}'])
    assert.throws(() => parseJsonPath(bad), (e: unknown) => e instanceof JsonPathError && /invalid JSONPath/.test((e as Error).message), bad);
  assert.match(
    (() => {
      try {
        parseJsonPath('spec.replicas');
      } catch (e) {
        return (e as Error).message;
      }
      return '';
    })(),
    /must start with '\.', '\[' or '\$'/,
  );
  assert.deepEqual(parseJsonPath('.a[0]').segments, [{ kind: 'field', names: ['a'] }, { kind: 'index', indices: [0] }]);
});
