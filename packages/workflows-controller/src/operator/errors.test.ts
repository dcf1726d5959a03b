// Table: workflows that go wrong at run time → the node that carries the error and Argo-style message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulate } from '../simulate.js';
import type { Template, Workflow, WorkflowStep } from '../types.js';

const echo: Template = { name: 'echo', inputs: { parameters: [{ name: 'm', default: 'x', enum: ['x', 'y'] }] }, container: { image: 'busybox' } };
const steps = (s: WorkflowStep, extra: Template[] = []): Workflow => ({ metadata: { name: 'e' }, spec: { entrypoint: 'main', templates: [{ name: 'main', steps: [[s]] }, echo, ...extra] } });

const cases: { name: string; wf: Workflow; phase: string; node: string; message: RegExp; configMaps?: Record<string, Record<string, string>> }[] = [
  { name: 'withParam that is not a JSON list', wf: steps({ name: 's', template: 'echo', withParam: '{"a":1}' }), phase: 'Error', node: 'e', message: /^withParam value could not be parsed as a JSON list: \{"a":1\}$/ },
  { name: 'withSequence with count and end', wf: steps({ name: 's', template: 'echo', withSequence: { count: 2, end: 5 } }), phase: 'Error', node: 'e', message: /^withSequence: only one of count or end can be defined$/ },
  { name: 'value outside the enum', wf: steps({ name: 's', template: 'echo', arguments: { parameters: [{ name: 'm', value: 'z' }] } }), phase: 'Failed', node: 'e[0].s', message: /^inputs\.parameters\.m value 'z' is not present in the enum list$/ },
  { name: 'when that does not parse', wf: steps({ name: 's', template: 'echo', when: '{{workflow.name}} == (' }), phase: 'Error', node: 'e', message: /^failed to evaluate 'when' expression 'e == \(': Unexpected end of expression \(1:7\)$/ },
  { name: 'when that is not a boolean', wf: steps({ name: 's', template: 'echo', when: '{{workflow.name}}' }), phase: 'Error', node: 'e', message: /Expected boolean evaluation for 'e'/ },
  { name: 'missing ConfigMap key', wf: steps({ name: 's', template: 'cm' }, [{ name: 'cm', inputs: { parameters: [{ name: 'p', valueFrom: { configMapKeyRef: { name: 'conf', key: 'k' } } }] }, container: { image: 'x' } }]),
    phase: 'Failed', node: 'e[0].s', message: /^unable to retrieve parameter p from ConfigMap conf key k$/ },
  { name: 'ConfigMap key present', wf: steps({ name: 's', template: 'cm' }, [{ name: 'cm', inputs: { parameters: [{ name: 'p', valueFrom: { configMapKeyRef: { name: 'conf', key: 'k' } } }] }, container: { image: 'x', args: ['{{inputs.parameters.p}}'] } }]),
    configMaps: { conf: { k: 'v' } }, phase: 'Succeeded', node: 'e[0].s', message: /^$/ },
  { name: 'templateRef to a missing template', wf: steps({ name: 's', templateRef: { name: 'lib', template: 'nope' } }), phase: 'Failed', node: 'e', message: /^invalid spec: templates\.main\.steps\[0\]\.s\.templateRef: WorkflowTemplate 'lib' not found$/ },
  { name: 'expression output that fails falls back to its default', wf: { metadata: { name: 'e' }, spec: { entrypoint: 'main', templates: [{ name: 'main', steps: [[{ name: 's', template: 'echo' }]],
    outputs: { parameters: [{ name: 'o', valueFrom: { expression: 'steps.s.outputs.result + nope()', default: 'dflt' } }] } }, echo] } }, phase: 'Succeeded', node: 'e', message: /^$/ },
];

for (const c of cases) {
  test(`run-time error: ${c.name}`, () => {
    const r = simulate(c.wf, { templates: {}, configMaps: c.configMaps });
    const nodes = Object.values(r.workflow.status?.nodes ?? {});
    assert.equal(r.workflow.status!.phase, c.phase, r.workflow.status!.message);
    if (c.phase === 'Failed' && c.node === 'e' && !nodes.length) {
      assert.match(r.workflow.status!.message ?? '', c.message);
      return;
    }
    const n = nodes.find((x) => x.name === c.node);
    assert.ok(n, `node ${c.node} in ${nodes.map((x) => x.name).join(', ')}`);
    assert.match(n!.message ?? '', c.message);
  });
}
