import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveParam, applyParams, buildPayload, type TriggerParameter } from './params.js';
import { parseConditions, evalCond, condDeps, triggerCondition } from './conditions.js';
import { getPath, setPath, splitPath } from './gjson.js';
import { retryDelay, triggerKind } from './engine.js';
import type { CloudEvent } from '../config.js';

const ev = (data: unknown, subject = 'example'): CloudEvent => ({ specversion: '1.0', id: 'abc', source: 'webhook', type: 'webhook', subject, time: '2024-01-01T00:00:00Z', datacontenttype: 'application/json', data });
const events = { 'test-dep': ev({ header: { 'Content-Type': ['application/json'] }, body: { message: 'this is my first webhook', n: 3, list: [1, 2] } }) };

test('gjson paths: dots, escapes, indexes, #, queries, wildcards', () => {
  const d = { a: { 'b.c': 1, list: [{ n: 'x', v: 1 }, { n: 'y', v: 2 }] }, fruit: 'apple' };
  assert.deepEqual(splitPath('a.b\\.c'), ['a', 'b.c']);
  const rows: [string, unknown][] = [
    ['a.b\\.c', 1],
    ['a.list.1.n', 'y'],
    ['a.list.#', 2],
    ['a.list.#.n', ['x', 'y']],
    ['a.list.#(n=="y").v', 2],
    ['a.list.#(v>0)#.n', ['x', 'y']],
    ['fr*t', 'apple'],
    ['a.nope', undefined],
  ];
  for (const [p, want] of rows) assert.deepEqual(getPath(d, p).value, want, p);
});

test('setPath creates objects and arrays, -1 appends', () => {
  assert.deepEqual(setPath({}, 'spec.arguments.parameters.0.value', 'x'), { spec: { arguments: { parameters: [{ value: 'x' }] } } });
  assert.deepEqual(setPath({ a: [1] }, 'a.-1', 2), { a: [1, 2] });
  assert.deepEqual(setPath({ m: { n: 1 } }, 'm.o', 'z'), { m: { n: 1, o: 'z' } });
});

test('parameters: dataKey (JSON objects become their JSON text), templates, context, defaults, useRawData', () => {
  const rows: [TriggerParameter['src'], string][] = [
    [{ dependencyName: 'test-dep', dataKey: 'body' }, JSON.stringify({ message: 'this is my first webhook', n: 3, list: [1, 2] })],
    [{ dependencyName: 'test-dep', dataKey: 'body.message' }, 'this is my first webhook'],
    [{ dependencyName: 'test-dep', dataKey: 'body.n' }, '3'],
    [{ dependencyName: 'test-dep', dataTemplate: '{{ .Input.body.message | upper }}' }, 'THIS IS MY FIRST WEBHOOK'],
    [{ dependencyName: 'test-dep', contextKey: 'subject' }, 'example'],
    [{ dependencyName: 'test-dep', contextTemplate: '{{ .Input.source }}-{{ .Input.id }}' }, 'webhook-abc'],
    [{ dependencyName: 'test-dep', dataKey: 'body.missing', value: 'default' }, 'default'],
    [{ dependencyName: 'other', dataKey: 'x', value: 'fallback' }, 'fallback'],
    [{ dependencyName: 'test-dep', contextKey: 'type', dataKey: 'body.message' }, 'this is my first webhook'],
  ];
  for (const [src, want] of rows) assert.equal(resolveParam(src, events).value, want, JSON.stringify(src));
  assert.deepEqual(resolveParam({ dependencyName: 'test-dep', dataKey: 'body.list', useRawData: true }, events).raw, [1, 2]);
  assert.throws(() => resolveParam({ dependencyName: 'test-dep', dataKey: 'nope' }, events), /not found/);
  assert.throws(() => resolveParam({ dependencyName: 'other', dataKey: 'nope' }, events), /no event of that dependency/);
});

test('parameters applied to the seed sensor Workflow, with append / prepend', () => {
  const wf = { metadata: { generateName: 'webhook-', labels: { a: 'x' } }, spec: { arguments: { parameters: [{ name: 'message', value: 'hello world' }] } } };
  const out = applyParams(structuredClone(wf), [{ src: { dependencyName: 'test-dep', dataKey: 'body' }, dest: 'spec.arguments.parameters.0.value' }], events);
  assert.equal(out.spec.arguments.parameters[0]!.value, JSON.stringify((events['test-dep'].data as any).body));
  const out2 = applyParams(structuredClone(wf), [
    { src: { dependencyName: 'test-dep', dataKey: 'body.n' }, dest: 'metadata.generateName', operation: 'append' },
    { src: { dependencyName: 'test-dep', value: 'pre-' }, dest: 'metadata.labels.a', operation: 'prepend' },
    { src: { dependencyName: 'test-dep', dataKey: 'body.n', useRawData: true }, dest: 'spec.replicas' },
  ], events) as any;
  assert.equal(out2.metadata.generateName, 'webhook-3');
  assert.equal(out2.metadata.labels.a, 'pre-x');
  assert.equal(out2.spec.replicas, 3);
  assert.deepEqual(buildPayload([{ src: { dependencyName: 'test-dep', dataKey: 'body.message' }, dest: 'msg' }, { src: { dependencyName: 'test-dep', contextKey: 'id' }, dest: 'meta.id' }], events), { msg: 'this is my first webhook', meta: { id: 'abc' } });
});

test('conditions over dependency names', () => {
  const rows: [string, string[], boolean][] = [
    ['a && (b || c)', ['a', 'b'], true],
    ['a && (b || c)', ['a'], false],
    ['a && (b || c)', ['b', 'c'], false],
    ['dep-1 || dep.2', ['dep.2'], true],
    ['!a && b', ['b'], true],
    ['test-dep', ['test-dep'], true],
  ];
  for (const [src, have, want] of rows) assert.equal(evalCond(parseConditions(src), (d) => have.includes(d)), want, `${src} with ${have}`);
  assert.deepEqual([...condDeps(parseConditions('a && (b || !c)'))].sort(), ['a', 'b', 'c']);
  assert.throws(() => parseConditions('a && '), /unexpected end/);
  assert.throws(() => parseConditions('a b'), /unexpected b/);
  assert.throws(() => parseConditions('(a'), /missing/);
  assert.equal(evalCond(triggerCondition(undefined, ['x', 'y']), (d) => d === 'x'), false);
});

test('retry delays and trigger kinds', () => {
  assert.equal(retryDelay({ duration: '1s', factor: 2 }, 1, () => 0), 1000);
  assert.equal(retryDelay({ duration: '1s', factor: 2 }, 3, () => 0), 4000);
  assert.equal(retryDelay({ duration: '100ms', jitter: 0.5 }, 1, () => 1), 150);
  assert.equal(retryDelay(undefined, 1), 1000);
  assert.equal(triggerKind({ name: 'x', argoWorkflow: {} }), 'argoWorkflow');
  assert.equal(triggerKind({ name: 'x', slack: {} }), 'slack');
  assert.equal(triggerKind({ name: 'x' }), undefined);
  // Go's JSON matches field names case-insensitively (upstream examples say `openwhisk`, `configMap`)
  assert.equal(triggerKind({ name: 'x', openwhisk: {} }), 'openWhisk');
  assert.equal(triggerKind({ name: 'x', argoworkflow: {} }), 'argoWorkflow');
});
