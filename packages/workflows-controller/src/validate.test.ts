// validateWorkflow: each error names the field; depends expressions parse with positions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lintObject, validateWorkflow } from './validate.js';
import { DependsError, evalDepends, parseDepends } from './operator/depends.js';
import type { Template, Workflow } from './types.js';

const echo: Template = { name: 'echo', inputs: { parameters: [{ name: 'm' }] }, container: { image: 'busybox' } };
const wf = (templates: Template[], extra: Partial<Workflow['spec']> = {}): Workflow => ({ metadata: { name: 'v' }, spec: { entrypoint: 'main', templates, ...extra } });

const cases: { name: string; wf: Workflow; want: RegExp[] }[] = [
  { name: 'valid', wf: wf([{ name: 'main', steps: [[{ name: 'a', template: 'echo', arguments: { parameters: [{ name: 'm', value: 'x' }] } }]] }, echo]), want: [] },
  { name: 'unknown template reference', wf: wf([{ name: 'main', steps: [[{ name: 'a', template: 'nope' }]] }]), want: [/^templates\.main\.steps\[0\]\.a\.template: template 'nope' not found$/] },
  { name: 'unknown entrypoint', wf: wf([echo], { entrypoint: 'zzz' }), want: [/^spec\.entrypoint: template 'zzz' not found$/] },
  { name: 'unknown onExit', wf: wf([{ name: 'main', container: {} }], { onExit: 'bye' }), want: [/^spec\.onExit: template 'bye' not found$/] },
  { name: 'missing parameter of a step', wf: wf([{ name: 'main', steps: [[{ name: 'a', template: 'echo' }]] }, echo]), want: [/^templates\.main\.steps\[0\]\.a templates\.echo inputs\.parameters\.m was not supplied$/] },
  { name: "missing parameter of a DAG task (upstream's expectedfailures/empty-parameter-dag)", wf: wf([{ name: 'main', dag: { tasks: [{ name: 'a', template: 'echo', arguments: { parameters: [] } }] } }, echo]), want: [/^templates\.main\.tasks\.a templates\.echo inputs\.parameters\.m was not supplied$/] },
  { name: "a template with no name (upstream's malformed-workflowtemplate-2)", wf: wf([{ name: 'main', container: { image: 'busybox' } }, { container: { image: 'busybox' } } as Template]), want: [/^spec\.templates\[1\]\.name is required$/] },
  { name: 'missing workflow argument', wf: wf([{ ...echo, name: 'main' }]), want: [/^spec\.arguments\.parameters\.m: inputs\.parameters\.m was not supplied/] },
  { name: 'cycle in a DAG', wf: wf([{ name: 'main', dag: { tasks: [{ name: 'a', template: 'x', depends: 'c' }, { name: 'b', template: 'x', dependencies: ['a'] }, { name: 'c', template: 'x', depends: 'b.Succeeded' }] } }, { name: 'x', container: {} }]),
    want: [/^templates\.main\.tasks: dependency cycle detected: a -> c -> b -> a$/] },
  { name: 'undefined dependency', wf: wf([{ name: 'main', dag: { tasks: [{ name: 'a', template: 'x', dependencies: ['ghost'] }] } }, { name: 'x', container: {} }]), want: [/^templates\.main\.tasks\.a: dependency 'ghost' not defined$/] },
  { name: 'bad depends with its position', wf: wf([{ name: 'main', dag: { tasks: [{ name: 'a', template: 'x' }, { name: 'b', template: 'x', depends: 'a && && a' }] } }, { name: 'x', container: {} }]),
    want: [/^templates\.main\.tasks\.b\.depends: invalid 'depends' expression 'a && && a': unexpected '&&' at position 6$/] },
  { name: 'bad expression with its position', wf: wf([{ name: 'main', container: { image: 'busybox', args: ['{{=1 + )}}'] } }]), want: [/^spec\.templates\[0\]\.container\.args\[0\]: invalid expression '\{\{=1 \+ \)\}\}': .*\(1:5\)/] },
  { name: 'bad when', wf: wf([{ name: 'main', steps: [[{ name: 'a', template: 'x', when: 'a == (' }]] }, { name: 'x', container: {} }]), want: [/^templates\.main\.steps\[0\]\.a\.when: invalid expression 'a == \('/] },
  { name: 'duplicate step names', wf: wf([{ name: 'main', steps: [[{ name: 'a', template: 'x' }, { name: 'a', template: 'x' }]] }, { name: 'x', container: {} }]), want: [/^templates\.main\.steps\[0\]\.a: step name 'a' is not unique$/] },
  { name: 'template with two kinds', wf: wf([{ name: 'main', container: {}, script: { source: '' } }]), want: [/^templates\.main: template must specify exactly one of .* \(found container, script\)$/] },
  { name: 'undeclared input and unknown step references', wf: wf([{ name: 'main', steps: [[{ name: 'a', template: 'echo', arguments: { parameters: [{ name: 'm', value: '{{steps.ghost.outputs.result}}' }] } }]] },
    { ...echo, container: { image: 'busybox', args: ['{{inputs.parameters.mesage}}', '{{workflow.parameters.nope}}', '{{inputs.parameters.m}}'] } }]),
    want: [/^templates\.main\.steps\[0\]\[0\]\.arguments\.parameters\[0\]\.value: failed to resolve \{\{steps\.ghost\.outputs\.result\}\}$/,
      /^templates\.echo\.container\.args\[0\]: failed to resolve \{\{inputs\.parameters\.mesage\}\}$/,
      /^templates\.echo\.container\.args\[1\]: failed to resolve \{\{workflow\.parameters\.nope\}\}$/] },
  { name: 'unknown templateRef', wf: wf([{ name: 'main', steps: [[{ name: 'a', templateRef: { name: 'lib', template: 't' } }]] }]), want: [/^templates\.main\.steps\[0\]\.a\.templateRef: WorkflowTemplate 'lib' not found$/] },
];

for (const c of cases) {
  test(`validateWorkflow: ${c.name}`, () => {
    const errs = validateWorkflow(c.wf, {}).map((e) => e.message);
    assert.equal(errs.length, c.want.length, errs.join('\n'));
    c.want.forEach((re, i) => assert.match(errs[i]!, re));
  });
}

test('depends expressions', () => {
  const results: Record<string, string> = { A: 'Succeeded', B: 'Failed', C: 'Skipped', 'task-1': 'Errored' };
  const t = (task: string, r: string) => results[task] === r;
  const table: [string, boolean][] = [
    ['A', true], ['C', true], ['B', false], ['B.Failed', true], ['!B.Succeeded', true], ['A && B', false], ['A || B', true],
    ['(A.Succeeded || B.Succeeded) && task-1.Errored', true], ['!(A && C)', false], ['A && B.Failed || B.Succeeded', true],
  ];
  for (const [src, want] of table) assert.equal(evalDepends(parseDepends(src), t), want, src);
  for (const [bad, pos] of [['A &&', 5], ['(A', 3], ['A.Bogus', 3], ['A $ B', 3]] as const) {
    assert.throws(() => parseDepends(bad), (e: unknown) => e instanceof DependsError && e.pos + 1 === pos, bad);
  }
});

test('lintObject by kind', () => {
  const tmpl = { kind: 'WorkflowTemplate', metadata: { name: 't' }, spec: { templates: [echo] } };
  assert.deepEqual(lintObject(tmpl), [], 'a WorkflowTemplate needs no entrypoint');
  const cron = { kind: 'CronWorkflow', metadata: { name: 'c' }, spec: { schedule: '* * *', workflowSpec: { entrypoint: 'x', templates: [echo] } } };
  assert.deepEqual(lintObject(cron).map((e) => e.message), [
    "spec.schedule: '* * *' is not a valid cron schedule (5 fields or a descriptor)",
    "spec.workflowSpec.spec.entrypoint: template 'x' not found",
  ]);
  assert.deepEqual(lintObject({ kind: 'CronWorkflow', spec: { schedules: ['@hourly'], workflowSpec: { entrypoint: 'echo', templates: [{ ...echo, inputs: {} }] } } }), []);
  assert.match(lintObject({ kind: 'Pod' })[0]!.message, /^kind: 'Pod' is not one of/);
});

test('a workflow argument from a ConfigMap: a missing ConfigMap and a missing key are told apart', () => {
  const w = wf([{ name: 'main', container: { image: 'busybox', args: ['{{workflow.parameters.message}}'] } }], { arguments: { parameters: [{ name: 'message', valueFrom: { configMapKeyRef: { name: 'simple-parameters', key: 'msg' } } }] } });
  assert.deepEqual(validateWorkflow(w, undefined, { configMaps: {} }).map((e) => e.message), ["spec.arguments.parameters.message.valueFrom.configMapKeyRef: ConfigMap 'simple-parameters' not found"]);
  assert.deepEqual(validateWorkflow(w, undefined, { configMaps: { 'simple-parameters': { other: 'x' } } }).map((e) => e.message), ["spec.arguments.parameters.message.valueFrom.configMapKeyRef: ConfigMap 'simple-parameters' has no key 'msg'"]);
  assert.deepEqual(validateWorkflow(w, undefined, { configMaps: { 'simple-parameters': { msg: 'hi' } } }), []);
});

test('a malformed spec is one clear error naming where (not a crash); so is a reference to a malformed WorkflowTemplate', () => {
  const bad = { metadata: { name: 'malformed' }, spec: { arguments: { parameters: { someParam: 'Hello, world!' } } } } as unknown as Workflow;
  assert.deepEqual(validateWorkflow(bad).map((e) => e.message), ['spec.arguments.parameters: expected a list, got a map']);
  assert.deepEqual(lintObject({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', ...bad } as never).map((e: { message: string }) => e.message), ['spec.arguments.parameters: expected a list, got a map']);
  const ref = { metadata: { name: 'w' }, spec: { workflowTemplateRef: { name: 'malformed' } } } as Workflow;
  assert.deepEqual(validateWorkflow(ref, { malformed: { metadata: { name: 'malformed' }, spec: bad.spec } as never }).map((e) => e.message), ["spec.workflowTemplateRef: malformed workflow template 'malformed': spec.arguments.parameters: expected a list, got a map"]);
});
