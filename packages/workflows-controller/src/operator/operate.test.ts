// Table tests of operate(): workflow + pod states → plan and nodes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyPlan, operate } from './operate.js';
import { fnv32a, itemLabel, nodeId, podName } from './ids.js';
import { simulate } from '../simulate.js';
import { referencedResults, resultWanted } from './execute.js';
import { resumeWorkflow, retryWorkflow, suspendWorkflow } from './lifecycle.js';
import type { PodObservation, PodToCreate } from './model.js';
import type { NodeStatus, Template, Workflow, WorkflowSpec } from '../types.js';

const T0 = new Date('2026-01-01T00:00:00Z');
const at = (s: number) => new Date(T0.getTime() + s * 1000);
const echo: Template = { name: 'echo', inputs: { parameters: [{ name: 'm', default: 'hi' }] }, container: { image: 'busybox', command: ['echo', '{{inputs.parameters.m}}'] } };
const wf = (name: string, spec: WorkflowSpec): Workflow => ({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', metadata: { name, namespace: 'argo', uid: 'u-1' }, spec });
const byName = (w: Workflow) => Object.fromEntries(Object.values(w.status?.nodes ?? {}).map((n) => [n.name, n])) as Record<string, NodeStatus>;
const ok = (): PodObservation => ({ phase: 'Succeeded', exitCode: 0 });

test('node ids and pod names are derived as Argo derives them', () => {
  assert.equal(fnv32a(''), 2166136261);
  assert.equal(fnv32a('a'), 0xe40c292c);
  assert.equal(nodeId('hello', 'hello'), 'hello');
  assert.equal(nodeId('hello', 'hello[0].a'), `hello-${fnv32a('hello[0].a')}`);
  assert.equal(podName('hello', 'hello', 'main'), 'hello');
  assert.equal(podName('wf', 'wf[0].a', 'echo'), `wf-echo-${fnv32a('wf[0].a')}`);
  assert.ok(podName('w'.repeat(60), 'x', 't').length <= 63);
  const cases: [number, unknown, string][] = [[0, 'foo', '(0:foo)'], [1, 3, '(1:3)'], [2, { b: 'x', a: 1 }, '(2:a:1,b:x)'], [3, [1, 2], '(3:[1,2])']];
  for (const [i, item, want] of cases) assert.equal(itemLabel(i, item), want);
});

test('hello-world: one pod, then Succeeded with progress', () => {
  const w = wf('hello', { entrypoint: 'main', templates: [{ name: 'main', container: { image: 'busybox', command: ['echo', 'hi {{workflow.name}}'] } }] });
  const p1 = operate({ workflow: w, now: T0 });
  assert.equal(p1.phase, 'Running');
  assert.equal(p1.podsToCreate.length, 1);
  assert.deepEqual([p1.podsToCreate[0]!.podName, p1.podsToCreate[0]!.nodeId, p1.podsToCreate[0]!.kind], ['hello', 'hello', 'container']);
  assert.deepEqual(p1.podsToCreate[0]!.template.container!.command, ['echo', 'hi hello']);
  assert.equal(p1.nodes.hello!.phase, 'Pending');
  assert.equal(p1.progress, '0/1');
  const w1 = applyPlan(w, p1);
  const again = operate({ workflow: w1, now: at(1) });
  assert.equal(again.podsToCreate.length, 0, 'a pending pod is not created twice');
  const p2 = operate({ workflow: w1, pods: { hello: { phase: 'Succeeded', exitCode: 0, outputs: { result: 'hi hello' } } }, now: at(5) });
  assert.equal(p2.phase, 'Succeeded');
  assert.equal(p2.progress, '1/1');
  assert.equal(p2.finishedAt, '2026-01-01T00:00:05Z');
  assert.deepEqual(p2.nodes.hello!.outputs, { result: 'hi hello', exitCode: '0' });
  const p3 = operate({ workflow: applyPlan(w1, p2), now: at(9) });
  assert.equal(p3.changed, false, 'a finished workflow is left alone');
  assert.deepEqual(p1.events.map((e) => e.reason), ['WorkflowRunning']);
  assert.deepEqual(p2.events.map((e) => [e.reason, e.message]), [['WorkflowNodeSucceeded', 'Succeeded node hello'], ['WorkflowSucceeded', 'Workflow completed']]);
  assert.deepEqual(p3.events, []);
  const w2 = applyPlan(w1, operate({ workflow: w1, pods: { hello: { phase: 'Running' } }, now: at(2) }));
  const gone = operate({ workflow: w2, pods: {}, observedAll: true, now: at(3) });
  assert.deepEqual([gone.phase, gone.message], ['Error', 'pod deleted']);
  assert.equal(operate({ workflow: w2, pods: {}, now: at(3) }).phase, 'Running', 'without observedAll a missing pod may be informer lag');
});

test('a pod failing with an exit code fails its node and the workflow with the reason', () => {
  const w = wf('f', { entrypoint: 'main', templates: [{ name: 'main', container: { image: 'busybox' } }] });
  const r = simulate(w, { run: () => ({ phase: 'Failed', exitCode: 3 }) });
  assert.equal(r.workflow.status!.phase, 'Failed');
  assert.equal(r.workflow.status!.message, 'Error (exit code 3)');
  assert.equal(byName(r.workflow).f!.outputs!.exitCode, '3');
});

test('steps: groups in order, steps of a group in parallel, node names and boundaries as upstream', () => {
  const w = wf('st', { entrypoint: 'main', templates: [
    { name: 'main', steps: [[{ name: 'a', template: 'echo', arguments: { parameters: [{ name: 'm', value: 'A' }] } }], [{ name: 'b', template: 'echo' }, { name: 'c', template: 'echo' }]] },
    echo,
  ] });
  const p1 = operate({ workflow: w, now: T0 });
  assert.deepEqual(p1.podsToCreate.map((p) => p.nodeName), ['st[0].a']);
  assert.deepEqual(p1.podsToCreate[0]!.template.container!.command, ['echo', 'A']);
  const w1 = applyPlan(w, p1);
  const n = byName(w1);
  assert.equal(n.st!.type, 'Steps');
  assert.equal(n['st[0]']!.type, 'StepGroup');
  assert.equal(n['st[0]']!.displayName, '[0]');
  assert.equal(n['st[0].a']!.displayName, 'a');
  assert.equal(n['st[0].a']!.boundaryID, 'st');
  assert.deepEqual(n.st!.children, [n['st[0]']!.id]);
  assert.deepEqual(n['st[0]']!.children, [n['st[0].a']!.id]);
  const p2 = operate({ workflow: w1, pods: { [n['st[0].a']!.id]: ok() }, now: at(2) });
  assert.deepEqual(p2.podsToCreate.map((p) => p.nodeName), ['st[1].b', 'st[1].c']);
  const w2 = applyPlan(w1, p2);
  const ids = Object.fromEntries(Object.values(w2.status!.nodes!).map((x) => [x.name, x.id]));
  assert.deepEqual(w2.status!.nodes![ids['st[0].a']!]!.children, [ids['st[1]']], 'group 1 hangs off group 0\'s outbound nodes');
  const p3 = operate({ workflow: w2, pods: { [ids['st[0].a']!]: ok(), [ids['st[1].b']!]: ok(), [ids['st[1].c']!]: { phase: 'Failed', exitCode: 1 } }, now: at(4) });
  assert.equal(p3.phase, 'Failed');
  assert.equal(p3.message, `child '${ids['st[1].c']}' failed`);
  assert.equal(p3.nodes[ids['st[1].c']!]!.message, 'Error (exit code 1)');
  assert.equal(p3.progress, '2/3');
  assert.equal(p3.nodes.st!.progress, '2/3');
  assert.deepEqual(p3.conditions, [{ type: 'PodRunning', status: 'False' }, { type: 'Completed', status: 'True' }]);
});

test('dag: diamond order, depends results, omitted and handled failures', () => {
  const diamond = wf('d', { entrypoint: 'main', templates: [
    { name: 'main', dag: { tasks: [
      { name: 'A', template: 'echo' }, { name: 'B', depends: 'A', template: 'echo' },
      { name: 'C', dependencies: ['A'], template: 'echo' }, { name: 'D', depends: 'B && C', template: 'echo' },
    ] } }, echo] });
  const order: string[][] = [];
  const r = simulate(diamond, { run: (p) => { order.push([p.nodeName]); return ok(); } });
  assert.equal(r.workflow.status!.phase, 'Succeeded');
  const names = r.plans.map((p) => p.podsToCreate.map((x) => x.nodeName)).filter((x) => x.length);
  assert.deepEqual(names, [['d.A'], ['d.B', 'd.C'], ['d.D']]);
  const n = byName(r.workflow);
  assert.equal(n.d!.type, 'DAG');
  assert.deepEqual(n.d!.outboundNodes, [n['d.D']!.id]);
  assert.ok(n['d.A']!.children!.includes(n['d.B']!.id));

  const handled = wf('h', { entrypoint: 'main', templates: [
    { name: 'main', dag: { tasks: [
      { name: 'A', template: 'echo' },
      { name: 'onfail', depends: 'A.Failed', template: 'echo' },
      { name: 'onok', depends: 'A.Succeeded', template: 'echo' },
      { name: 'either', depends: '(A.Succeeded || A.Failed) && !onok.Succeeded', template: 'echo' },
    ] } }, echo] });
  const r2 = simulate(handled, { run: (p) => (p.nodeName === 'h.A' ? { phase: 'Failed', exitCode: 1 } : ok()) });
  const n2 = byName(r2.workflow);
  assert.equal(n2['h.onfail']!.phase, 'Succeeded');
  assert.equal(n2['h.onok']!.phase, 'Omitted');
  assert.equal(n2['h.either']!.phase, 'Succeeded');
  assert.equal(r2.workflow.status!.phase, 'Succeeded', 'a failure a dependent expects does not fail the DAG');

  const unhandled = wf('u', { entrypoint: 'main', templates: [
    { name: 'main', dag: { tasks: [{ name: 'A', template: 'echo' }, { name: 'B', template: 'echo' }, { name: 'C', depends: 'A', template: 'echo' }] } }, echo] });
  const r3 = simulate(unhandled, { run: (p) => (p.nodeName === 'u.A' ? { phase: 'Failed', exitCode: 2 } : ok()) });
  assert.equal(r3.workflow.status!.phase, 'Failed');
  assert.equal(r3.workflow.status!.message, `child '${nodeId('u', 'u.A')}' failed`);
  assert.equal(byName(r3.workflow)['u.C']!.phase, 'Omitted', 'a dependent of a failed task is omitted');
  assert.equal(r3.pods.length, 2);
  const ff = wf('ff', { entrypoint: 'main', templates: [
    { name: 'main', dag: { tasks: [{ name: 'A', template: 'echo' }, { name: 'B', template: 'echo' }, { name: 'C', depends: 'B', template: 'echo' }] } }, echo] });
  const f1 = applyPlan(ff, operate({ workflow: ff, now: T0 }));
  const f2 = operate({ workflow: f1, pods: { [nodeId('ff', 'ff.A')]: { phase: 'Failed', exitCode: 1 }, [nodeId('ff', 'ff.B')]: { phase: 'Running' } }, now: at(1) });
  const f3 = operate({ workflow: applyPlan(f1, f2), pods: { [nodeId('ff', 'ff.A')]: { phase: 'Failed', exitCode: 1 }, [nodeId('ff', 'ff.B')]: ok() }, now: at(2) });
  assert.equal(f3.podsToCreate.length, 0, 'fail fast: C does not start after A failed');
  assert.equal(f3.phase, 'Failed');
  const nf = structuredClone(ff);
  nf.spec.templates![0]!.dag!.failFast = false;
  const n1 = applyPlan(nf, operate({ workflow: nf, now: T0 }));
  const g2 = operate({ workflow: n1, pods: { [nodeId('ff', 'ff.A')]: { phase: 'Failed', exitCode: 1 }, [nodeId('ff', 'ff.B')]: ok() }, now: at(2) });
  assert.deepEqual(g2.podsToCreate.map((p) => p.nodeName), ['ff.C'], 'failFast: false keeps scheduling');
});

test('when: false → Skipped with the evaluated condition; expr form; outputs feed later steps', () => {
  const w = wf('c', { entrypoint: 'main', arguments: { parameters: [{ name: 'go', value: 'yes' }] }, templates: [
    { name: 'main', steps: [
      [{ name: 'flip', template: 'flip' }],
      [{ name: 'heads', template: 'echo', when: '{{steps.flip.outputs.result}} == heads', arguments: { parameters: [{ name: 'm', value: '{{steps.flip.outputs.parameters.p}}' }] } },
        { name: 'tails', template: 'echo', when: '{{steps.flip.outputs.result}} == tails' },
        { name: 'expr', template: 'echo', when: "{{=workflow.parameters.go == 'yes'}}" }],
    ] },
    { name: 'flip', script: { image: 'python', source: 'print("heads")' }, outputs: { parameters: [{ name: 'p', valueFrom: { path: '/p' } }] } },
    echo] });
  const r = simulate(w, { run: (p) => (p.templateName === 'flip' ? { phase: 'Succeeded', outputs: { result: 'heads', parameters: [{ name: 'p', value: 'from-flip' }] } } : ok()) });
  const n = byName(r.workflow);
  assert.equal(r.workflow.status!.phase, 'Succeeded');
  assert.equal(n['c[1].tails']!.phase, 'Skipped');
  assert.equal(n['c[1].tails']!.type, 'Skipped');
  assert.equal(n['c[1].tails']!.message, "when 'heads == tails' evaluated false");
  assert.equal(n['c[1].expr']!.phase, 'Succeeded');
  const heads = r.pods.find((p) => p.nodeName === 'c[1].heads')!;
  assert.deepEqual(heads.template.container!.command, ['echo', 'from-flip']);
});

test('fan-out: withItems, withSequence, withParam and aggregated outputs', () => {
  const w = wf('l', { entrypoint: 'main', templates: [
    { name: 'main', steps: [
      [{ name: 'items', template: 'echo', withItems: ['a', { k: 1 }], arguments: { parameters: [{ name: 'm', value: '{{item}}' }] } },
        { name: 'seq', template: 'echo', withSequence: { count: '3', start: '1', format: 'n%02d' }, arguments: { parameters: [{ name: 'm', value: '{{item}}' }] } }],
      [{ name: 'gen', template: 'gen' }],
      [{ name: 'param', template: 'echo', withParam: '{{steps.gen.outputs.result}}', arguments: { parameters: [{ name: 'm', value: '{{item.x}}' }] } }],
      [{ name: 'all', template: 'echo', arguments: { parameters: [{ name: 'm', value: '{{steps.param.outputs.result}}' }] } }],
    ] },
    { name: 'gen', script: { image: 'python', source: '' } }, echo] });
  const r = simulate(w, { run: (p) => ({ phase: 'Succeeded', outputs: { result: p.templateName === 'gen' ? '[{"x":"p"},{"x":"q"}]' : p.template.container!.command!.join(' ') } }) });
  assert.equal(r.workflow.status!.phase, 'Succeeded');
  const names = r.pods.map((p) => p.nodeName);
  assert.deepEqual(names.slice(0, 5), ['l[0].items(0:a)', 'l[0].items(1:k:1)', 'l[0].seq(0:n01)', 'l[0].seq(1:n02)', 'l[0].seq(2:n03)']);
  assert.deepEqual(r.pods.find((p) => p.nodeName === 'l[0].items(1:k:1)')!.template.container!.command, ['echo', '{"k":1}']);
  assert.deepEqual(names.slice(6, 8), ['l[2].param(0:x:p)', 'l[2].param(1:x:q)']);
  assert.deepEqual(r.pods.find((p) => p.nodeName === 'l[3].all')!.template.container!.command, ['echo', '["echo p","echo q"]']);

  const dag = wf('ld', { entrypoint: 'main', templates: [{ name: 'main', dag: { tasks: [
    { name: 'fan', template: 'echo', withItems: [1, 2] }, { name: 'empty', template: 'echo', withParam: '[]' },
    { name: 'after', depends: 'fan.AnySucceeded', template: 'echo' }] } }, echo] });
  const typed = wf('ty', { entrypoint: 'main', templates: [{ name: 'main', steps: [[{ name: 'x', template: 'echo', withItems: [{ n: 2 }], arguments: { parameters: [{ name: 'm', value: '{{=item.n * 10}}' }] } }]] }, echo] });
  assert.deepEqual(operate({ workflow: typed, now: T0 }).podsToCreate[0]!.template.container!.command, ['echo', '20'], 'item keeps its JSON type in {{=…}}');
  const r2 = simulate(dag);
  const n = byName(r2.workflow);
  assert.equal(n['ld.fan']!.type, 'TaskGroup');
  assert.deepEqual(n['ld.fan']!.children, [nodeId('ld', 'ld.fan(0:1)'), nodeId('ld', 'ld.fan(1:2)')]);
  assert.equal(n['ld.empty']!.phase, 'Skipped');
  assert.equal(n['ld.after']!.phase, 'Succeeded');
});

test('parameters: defaults, arguments, {{=expr}}, workflow variables, global outputs', () => {
  const w = wf('p', { entrypoint: 'main', arguments: { parameters: [{ name: 'n', value: '41' }] }, templates: [
    { name: 'main', inputs: { parameters: [{ name: 'n' }] }, steps: [[{ name: 's', template: 'show', arguments: { parameters: [{ name: 'x', value: '{{=asInt(inputs.parameters.n) + 1}}' }] } }]],
      outputs: { parameters: [{ name: 'out', valueFrom: { parameter: '{{steps.s.outputs.parameters.o}}' } }] } },
    { name: 'show', inputs: { parameters: [{ name: 'x' }, { name: 'y', value: 'dflt' }] },
      container: { image: 'busybox', args: ['{{inputs.parameters.x}}', '{{inputs.parameters.y}}', '{{workflow.namespace}}/{{workflow.uid}}/{{workflow.parameters.n}}'] },
      outputs: { parameters: [{ name: 'o', valueFrom: { path: '/o' }, globalName: 'g' }] } }] });
  const r = simulate(w, { run: () => ({ phase: 'Succeeded', outputs: { parameters: [{ name: 'o', value: 'V' }] } }) });
  assert.equal(r.workflow.status!.phase, 'Succeeded');
  assert.deepEqual(r.pods[0]!.template.container!.args, ['42', 'dflt', 'argo/u-1/41']);
  assert.deepEqual(r.pods[0]!.inputs!.parameters, [{ name: 'x', value: '42' }, { name: 'y', value: 'dflt' }]);
  assert.deepEqual(byName(r.workflow).p!.outputs, { parameters: [{ name: 'out', value: 'V' }] });
  assert.deepEqual(r.workflow.status!.outputs, { parameters: [{ name: 'g', value: 'V' }] });
});

test('retryStrategy: attempts as children, backoff → requeueAfter, limit exhausted', () => {
  const w = wf('r', { entrypoint: 'main', templates: [{ name: 'main', retryStrategy: { limit: '2', backoff: { duration: '10s', factor: '2' } }, container: { image: 'busybox' } }] });
  const p1 = operate({ workflow: w, now: T0 });
  assert.deepEqual(p1.podsToCreate.map((p) => p.nodeName), ['r(0)']);
  assert.equal(p1.nodes.r!.type, 'Retry');
  const w1 = applyPlan(w, p1);
  const id0 = nodeId('r', 'r(0)');
  const fail: PodObservation = { phase: 'Failed', exitCode: 1 };
  const p2 = operate({ workflow: w1, pods: { [id0]: fail }, now: at(1) });
  assert.equal(p2.podsToCreate.length, 0, 'waits for the backoff');
  assert.equal(p2.requeueAfter, 10);
  assert.equal(p2.nodes.r!.message, 'Backoff for 10s');
  const w2 = applyPlan(w1, p2);
  const p3 = operate({ workflow: w2, pods: { [id0]: fail }, now: at(11) });
  assert.deepEqual(p3.podsToCreate.map((p) => p.nodeName), ['r(1)']);
  assert.equal(p3.nodes[nodeId('r', 'r(1)')]!.displayName, 'r(1)');
  const r = simulate(w, { run: () => fail });
  assert.equal(r.pods.length, 3);
  assert.equal(r.workflow.status!.phase, 'Failed');
  assert.equal(r.workflow.status!.message, 'No more retries left');
  const r2 = simulate(w, { run: (p) => (p.nodeName === 'r(0)' ? fail : ok()) });
  assert.equal(r2.workflow.status!.phase, 'Succeeded');
  const onError = wf('e', { entrypoint: 'main', templates: [{ name: 'main', retryStrategy: { limit: 3, retryPolicy: 'OnError' }, container: { image: 'busybox' } }] });
  assert.equal(simulate(onError, { run: () => fail }).pods.length, 1, 'OnError does not retry a Failed pod');
  const endless = wf('al', { entrypoint: 'main', templates: [{ name: 'main', steps: [[{ name: 'a', template: 'broken' }]] },
    { name: 'broken', retryStrategy: { retryPolicy: 'Always' }, container: { image: 'x', args: ['{{inputs.parameters.missing}}'] } }] });
  let cur = applyPlan(endless, { ...operate({ workflow: { ...endless, status: { phase: 'Running' } }, now: T0 }) });
  const retryNode = () => Object.values(cur.status!.nodes!).find((n) => n.type === 'Retry')!;
  assert.equal(retryNode().children!.length, 1, 'an attempt that errors at once does not loop within a pass');
  cur = applyPlan(cur, operate({ workflow: cur, now: at(1) }));
  assert.equal(retryNode().children!.length, 2);
  const expr = wf('x', { entrypoint: 'main', templates: [{ name: 'main', retryStrategy: { limit: 3, expression: 'asInt(lastRetry.exitCode) == 2' }, container: { image: 'busybox' } }] });
  assert.equal(simulate(expr, { run: (p) => (p.nodeName === 'x(0)' ? { phase: 'Failed', exitCode: 2 } : { phase: 'Failed', exitCode: 1 }) }).pods.length, 2);
});

test('continueOn, onExit with workflow.status, step-level onExit', () => {
  const w = wf('co', { entrypoint: 'main', onExit: 'exit', templates: [
    { name: 'main', steps: [[{ name: 'bad', template: 'echo', continueOn: { failed: true }, onExit: 'echo' }], [{ name: 'next', template: 'echo' }]] },
    { name: 'exit', container: { image: 'busybox', args: ['{{workflow.status}}'] } }, echo] });
  const r = simulate(w, { run: (p) => (p.nodeName === 'co[0].bad' ? { phase: 'Failed', exitCode: 1 } : ok()) });
  assert.equal(r.workflow.status!.phase, 'Succeeded');
  const order = r.pods.map((p) => p.nodeName);
  assert.deepEqual(order, ['co[0].bad', 'co[0].bad.onExit', 'co[1].next', 'co.onExit']);
  assert.deepEqual(r.pods.at(-1)!.template.container!.args, ['Succeeded']);
  const failing = wf('fx', { entrypoint: 'main', onExit: 'exit', templates: [{ name: 'main', container: { image: 'x' } }, { name: 'exit', container: { image: 'busybox', args: ['{{workflow.status}}'] } }] });
  const r2 = simulate(failing, { run: (p) => (p.nodeName === 'fx' ? { phase: 'Failed', exitCode: 1 } : ok()) });
  assert.deepEqual(r2.pods.at(-1)!.template.container!.args, ['Failed']);
  assert.equal(r2.workflow.status!.phase, 'Failed');
});

test('suspend: with a duration it resumes by itself; without one it waits', () => {
  const w = wf('s', { entrypoint: 'main', templates: [{ name: 'main', steps: [[{ name: 'wait', template: 'wait' }], [{ name: 'after', template: 'echo' }]] }, { name: 'wait', suspend: { duration: '30s' } }, echo] });
  const p1 = operate({ workflow: w, now: T0 });
  assert.equal(p1.requeueAfter, 30);
  const n = p1.nodes[nodeId('s', 's[0].wait')]!;
  assert.deepEqual([n.type, n.phase], ['Suspend', 'Running']);
  const p2 = operate({ workflow: applyPlan(w, p1), now: at(29) });
  assert.equal(p2.podsToCreate.length, 0);
  const p3 = operate({ workflow: applyPlan(w, p2), now: at(30) });
  assert.deepEqual(p3.podsToCreate.map((p) => p.nodeName), ['s[1].after']);
  const forever = wf('sf', { entrypoint: 'main', templates: [{ name: 'main', suspend: {} }] });
  const q = operate({ workflow: forever, now: T0 });
  assert.equal(q.phase, 'Running');
  assert.equal(q.requeueAfter, undefined);
});

test('parallelism: workflow and template limits', () => {
  const items = [1, 2, 3, 4, 5];
  const w = wf('pl', { entrypoint: 'main', parallelism: 2, templates: [{ name: 'main', steps: [[{ name: 'x', template: 'echo', withItems: items }]] }, echo] });
  const p1 = operate({ workflow: w, now: T0 });
  assert.equal(p1.podsToCreate.length, 2);
  const r = simulate(w);
  assert.equal(r.workflow.status!.phase, 'Succeeded');
  assert.ok(r.plans.every((p) => p.podsToCreate.length <= 2));
  const t = wf('pt', { entrypoint: 'main', templates: [{ name: 'main', parallelism: 1, dag: { tasks: [{ name: 'x', template: 'echo', withItems: items }] } }, echo] });
  assert.equal(operate({ workflow: t, now: T0 }).podsToCreate.length, 1);
  const cfg = wf('pc', { entrypoint: 'main', templates: [{ name: 'main', steps: [[{ name: 'x', template: 'echo', withItems: items }]] }, echo] });
  assert.equal(operate({ workflow: cfg, now: T0, config: { parallelism: 3 } }).podsToCreate.length, 3);
});

test('activeDeadlineSeconds, shutdown, recursion guard', () => {
  const w = wf('dl', { entrypoint: 'main', activeDeadlineSeconds: 10, templates: [{ name: 'main', container: { image: 'busybox' } }] });
  const p1 = operate({ workflow: w, now: T0 });
  assert.equal(p1.requeueAfter, 10);
  const p2 = operate({ workflow: applyPlan(w, p1), pods: { dl: { phase: 'Running' } }, now: at(11) });
  assert.equal(p2.phase, 'Failed');
  assert.equal(p2.message, 'Step exceeded its deadline');
  assert.deepEqual(p2.podsToDelete, ['dl']);
  const tmplDeadline = wf('td', { entrypoint: 'main', templates: [{ name: 'main', activeDeadlineSeconds: 5, container: { image: 'busybox' } }] });
  const q1 = operate({ workflow: tmplDeadline, now: T0 });
  assert.equal(q1.podsToCreate[0]!.activeDeadlineSeconds, 5);
  // a template's activeDeadlineSeconds is the pod's to enforce (upstream's TestWorkflowFailedWhenAllPodSetFailedFromPending):
  // the node fails with the pod's reason and the pod is kept; the controller ends it only if the pod does not
  const q2 = operate({ workflow: applyPlan(tmplDeadline, q1), pods: { td: { phase: 'Pending' } }, now: at(6) });
  assert.deepEqual([q2.nodes.td!.phase, q2.podsToDelete], ['Pending', []]);
  const q3 = operate({ workflow: applyPlan(tmplDeadline, q1), pods: { td: { phase: 'Failed', message: 'Pod was active on the node longer than the specified deadline' } }, now: at(7) });
  assert.deepEqual([q3.nodes.td!.phase, q3.nodes.td!.message, q3.podsToDelete], ['Failed', 'Pod was active on the node longer than the specified deadline', []]);
  const q4 = operate({ workflow: applyPlan(tmplDeadline, q1), pods: { td: { phase: 'Running' } }, now: at(36) });
  assert.deepEqual([q4.nodes.td!.message, q4.podsToDelete], ['Step exceeded its deadline', ['td']]);

  const term = wf('tm', { entrypoint: 'main', onExit: 'main', templates: [{ name: 'main', container: { image: 'busybox' } }] });
  const t1 = applyPlan(term, operate({ workflow: term, now: T0 }));
  t1.spec.shutdown = 'Terminate';
  const t2 = operate({ workflow: t1, pods: { tm: { phase: 'Running' } }, now: at(1) });
  assert.equal(t2.phase, 'Failed');
  assert.equal(t2.message, "Stopped with strategy 'Terminate'");
  assert.deepEqual(t2.podsToDelete, ['tm']);
  assert.equal(t2.podsToCreate.length, 0, 'Terminate runs no exit handler');

  const rec = wf('rc', { entrypoint: 'loop', templates: [{ name: 'loop', steps: [[{ name: 'again', template: 'loop' }]] }] });
  const r = operate({ workflow: rec, now: T0, config: { maxDepth: 5 } });
  assert.equal(r.phase, 'Failed');
  assert.ok(Object.values(r.nodes).some((n) => n.phase === 'Error' && /Maximum recursion depth exceeded/.test(n.message ?? '')));
});

test('templateRef and workflowTemplateRef through the resolver; storedTemplates', () => {
  const wt = { metadata: { name: 'lib' }, spec: { templates: [{ name: 'say', inputs: { parameters: [{ name: 'm' }] }, steps: [[{ name: 'inner', template: 'leaf', arguments: { parameters: [{ name: 'm', value: '{{inputs.parameters.m}}' }] } }]] },
    { name: 'leaf', inputs: { parameters: [{ name: 'm' }] }, container: { image: 'busybox', args: ['{{inputs.parameters.m}}'] } }] } };
  const w = wf('tr', { entrypoint: 'main', templates: [{ name: 'main', steps: [[{ name: 'x', templateRef: { name: 'lib', template: 'say' }, arguments: { parameters: [{ name: 'm', value: 'M' }] } }]] }] });
  const r = simulate(w, { templates: { lib: wt } });
  assert.equal(r.workflow.status!.phase, 'Succeeded');
  assert.deepEqual(r.pods[0]!.template.container!.args, ['M']);
  assert.ok(r.workflow.status!.storedTemplates!['namespaced/lib/say']);
  assert.equal(byName(r.workflow)['tr[0].x']!.templateScope, 'namespaced/lib');
  const missing = simulate(w, { templates: {} });
  assert.equal(missing.workflow.status!.phase, 'Failed');
  assert.match(missing.workflow.status!.message!, /WorkflowTemplate 'lib' not found/);
  const byRef = wf('wr', { entrypoint: 'say', arguments: { parameters: [{ name: 'm', value: 'R' }] }, workflowTemplateRef: { name: 'lib' } });
  const r2 = simulate(byRef, { templates: (n) => (n === 'lib' ? wt : undefined) });
  assert.equal(r2.workflow.status!.phase, 'Succeeded');
  assert.deepEqual(r2.pods[0]!.template.container!.args, ['R']);
  assert.ok(r2.workflow.status!.storedWorkflowTemplateSpec, 'the referenced spec is stored');
  const mid = applyPlan(byRef, operate({ workflow: byRef, templates: { lib: wt }, now: T0 }));
  const later = operate({ workflow: mid, templates: {}, pods: { [nodeId('wr', 'wr[0].inner')]: ok() }, now: at(2) });
  assert.equal(later.phase, 'Succeeded', 'later passes run from the stored spec');
});

test('podGC strategies', () => {
  const mk = (strategy: 'OnPodCompletion' | 'OnWorkflowSuccess') => wf('gc', { entrypoint: 'main', podGC: { strategy }, templates: [{ name: 'main', steps: [[{ name: 'a', template: 'echo' }], [{ name: 'b', template: 'echo' }]] }, echo] });
  const r = simulate(mk('OnPodCompletion'));
  const deleted = r.plans.flatMap((p) => p.podsToDelete);
  assert.deepEqual(deleted, [podName('gc', 'gc[0].a', 'echo'), podName('gc', 'gc[1].b', 'echo')]);
  const r2 = simulate(mk('OnWorkflowSuccess'));
  assert.deepEqual(r2.plans.at(-1)!.podsToDelete.length, 2);
  assert.ok(r2.plans.slice(0, -1).every((p) => p.podsToDelete.length === 0));
});

test('http and resource templates are handed to the pod/agent builder with their kind', () => {
  const w = wf('k', { entrypoint: 'main', templates: [{ name: 'main', steps: [[{ name: 'h', template: 'h' }, { name: 'r', template: 'r' }]] },
    { name: 'h', http: { url: 'http://x/{{workflow.name}}' } }, { name: 'r', resource: { action: 'create', manifest: 'kind: ConfigMap' } }] });
  const p = operate({ workflow: w, now: T0 });
  const kinds = Object.fromEntries(p.podsToCreate.map((x: PodToCreate) => [x.nodeName, x.kind]));
  assert.deepEqual(kinds, { 'k[0].h': 'http', 'k[0].r': 'resource' });
  assert.equal(p.podsToCreate[0]!.template.http!.url, 'http://x/k');
  assert.equal(p.nodes[nodeId('k', 'k[0].h')]!.type, 'HTTP');
});

test('daemon steps: the next group starts once the daemon runs; the daemon stops with its boundary', () => {
  const w = wf('dm', { entrypoint: 'main', templates: [
    { name: 'main', steps: [[{ name: 'db', template: 'db' }], [{ name: 'client', template: 'echo', arguments: { parameters: [{ name: 'm', value: '{{steps.db.ip}}' }] } }]] },
    { name: 'db', daemon: true, container: { image: 'redis' } }, echo] });
  const w1 = applyPlan(w, operate({ workflow: w, now: T0 }));
  const db = nodeId('dm', 'dm[0].db');
  const p2 = operate({ workflow: w1, pods: { [db]: { phase: 'Running', podIP: '10.0.0.7' } }, now: at(1) });
  assert.equal(p2.nodes[db]!.daemoned, true);
  assert.deepEqual(p2.podsToCreate.map((p) => p.nodeName), ['dm[1].client']);
  const client = p2.podsToCreate[0]!.nodeId;
  const p3 = operate({ workflow: applyPlan(w1, p2), pods: { [db]: { phase: 'Running' }, [client]: ok() }, now: at(2) });
  assert.equal(p3.phase, 'Succeeded');
  assert.deepEqual(p3.podsToDelete, [podName('dm', 'dm[0].db', 'db')]);
  assert.equal(p3.nodes[db]!.phase, 'Succeeded');
});

test("daemon DAG tasks: a dependent gets the running daemon's {{tasks.server.ip}}, with and without a retryStrategy (dag-daemon-retry-strategy)", () => {
  for (const retry of [false, true]) {
    const server: Template = { name: 'server', daemon: true, container: { image: 'nginx:1.13', command: ['nginx'] }, ...(retry ? { retryStrategy: { limit: '6' } } : {}) };
    const w = wf('dd', { entrypoint: 'main', templates: [
      { name: 'main', dag: { tasks: [{ name: 'server', template: 'server' }, { name: 'client', depends: 'server', template: 'echo', arguments: { parameters: [{ name: 'm', value: '{{tasks.server.ip}}' }] } }] } },
      server, echo] });
    const p1 = operate({ workflow: w, now: T0 });
    const srv = p1.podsToCreate[0]!.nodeId;
    const p2 = operate({ workflow: applyPlan(w, p1), pods: { [srv]: { phase: 'Running', podIP: '10.0.0.7' } }, now: at(1) });
    const client = p2.podsToCreate.find((p) => p.nodeName === 'dd.client');
    assert.ok(client, `retry=${retry}: the client starts once the daemon runs (${Object.values(p2.nodes).map((n) => `${n.name}: ${n.phase} ${n.message ?? ''}`).join('; ')})`);
    assert.deepEqual(client.inputs?.parameters?.map((x) => x.value), ['10.0.0.7'], `retry=${retry}`);
  }
});

test("a steps or DAG template's output artifact `from` / `fromExpression` a child is that child's artifact for the next step (nested-workflow, dag-conditional-artifacts)", () => {
  const gen: Template = { name: 'gen', outputs: { artifacts: [{ name: 'out', path: '/tmp/out' }] }, container: { image: 'busybox', command: ['true'] } };
  const use: Template = { name: 'use', inputs: { artifacts: [{ name: 'in', path: '/tmp/in' }] }, container: { image: 'busybox', command: ['cat', '/tmp/in'] } };
  const inner: Template[] = [
    { name: 'inner', steps: [[{ name: 'g', template: 'gen' }]], outputs: { artifacts: [{ name: 'res', from: '{{steps.g.outputs.artifacts.out}}' }] } },
    { name: 'inner', dag: { tasks: [{ name: 'g', template: 'gen' }] }, outputs: { artifacts: [{ name: 'res', fromExpression: "tasks.g.status == 'Succeeded' ? tasks.g.outputs.artifacts.out : nil" }] } },
  ];
  for (const t of inner) {
    const w = wf('na', { entrypoint: 'main', templates: [{ name: 'main', steps: [[{ name: 'n', template: 'inner' }], [{ name: 'u', template: 'use', arguments: { artifacts: [{ name: 'in', from: '{{steps.n.outputs.artifacts.res}}' }] } }]] }, t, gen, use] });
    const r = simulate(w, { run: (p) => (p.templateName === 'gen' ? { phase: 'Succeeded', exitCode: 0, outputs: { artifacts: [{ name: 'out', path: '/tmp/out', s3: { key: 'na/out.tgz' } }] } } : ok()) });
    assert.equal(r.workflow.status!.phase, 'Succeeded', Object.values(r.workflow.status!.nodes!).map((n) => `${n.name}: ${n.message ?? ''}`).join('; '));
    assert.deepEqual(byName(r.workflow)['na[0].n']!.outputs?.artifacts, [{ name: 'res', s3: { key: 'na/out.tgz' } }], t.steps ? 'steps' : 'dag');
    const u = r.pods.find((p) => p.templateName === 'use')!;
    assert.deepEqual(u.inputs?.artifacts, [{ name: 'in', path: '/tmp/in', s3: { key: 'na/out.tgz' } }], t.steps ? 'steps' : 'dag');
  }
  // a child's artifact that is not there: the template's node fails naming the output
  const bad = wf('nb', { entrypoint: 'main', templates: [{ name: 'main', steps: [[{ name: 'g', template: 'gen' }]], outputs: { artifacts: [{ name: 'res', from: '{{steps.g.outputs.artifacts.nope}}' }] } }, gen] });
  const rb = simulate(bad);
  assert.equal(rb.workflow.status!.phase, 'Failed');
  assert.match(byName(rb.workflow)['nb']!.message ?? '', /unable to resolve outputs\.artifacts\.res of template 'main'/);
});

test('pod.name and output paths resolve; an unresolvable reference errors the node instead of creating a pod', () => {
  const w = wf('pn', { entrypoint: 'main', templates: [{ name: 'main', steps: [[{ name: 'a', template: 'me' }, { name: 'b', template: 'bad' }]] },
    { name: 'me', container: { image: 'busybox', args: ['{{pod.name}}', '{{outputs.parameters.o.path}}'] }, outputs: { parameters: [{ name: 'o', valueFrom: { path: '/tmp/o' } }] } },
    { name: 'bad', container: { image: 'busybox', args: ['{{steps.nope.outputs.result}}'] } }] });
  const p = operate({ workflow: w, now: T0 });
  assert.deepEqual(p.podsToCreate.map((x) => x.nodeName), ['pn[0].a']);
  assert.deepEqual(p.podsToCreate[0]!.template.container!.args, [podName('pn', 'pn[0].a', 'me'), '/tmp/o']);
  const b = p.nodes[nodeId('pn', 'pn[0].b')]!;
  assert.deepEqual([b.phase, b.message], ['Error', 'Unable to resolve: {{steps.nope.outputs.result}}']);
});

test('Stop: running pods are deleted, the exit handler still runs', () => {
  const w = wf('sp', { entrypoint: 'main', onExit: 'exit', templates: [{ name: 'main', container: { image: 'busybox' } }, { name: 'exit', container: { image: 'busybox', args: ['{{workflow.status}}'] } }] });
  const w1 = applyPlan(w, operate({ workflow: w, now: T0 }));
  w1.spec.shutdown = 'Stop';
  const p2 = operate({ workflow: w1, pods: { sp: { phase: 'Running' } }, now: at(1) });
  assert.deepEqual(p2.podsToDelete, ['sp']);
  assert.deepEqual(p2.podsToCreate.map((x) => [x.nodeName, x.template.container!.args![0]]), [['sp.onExit', 'Failed']]);
  assert.equal(p2.phase, 'Running');
  const p3 = operate({ workflow: applyPlan(w1, p2), pods: { sp: { phase: 'Running' }, [nodeId('sp', 'sp.onExit')]: ok() }, now: at(2) });
  assert.equal(p3.phase, 'Failed');
  assert.equal(p3.message, "Stopped with strategy 'Stop'");
});

test('lifecycle hooks: expression hooks of a step and of the workflow run once when true', () => {
  const w = wf('lh', { entrypoint: 'main', hooks: { done: { expression: 'workflow.status == "Succeeded"', template: 'echo' } }, templates: [
    { name: 'main', steps: [[{ name: 'step-1', template: 'echo', hooks: {
      running: { expression: 'steps["step-1"].status == "Running"', template: 'echo' },
      success: { expression: 'steps["step-1"].status == "Succeeded"', template: 'echo' } } }]] }, echo] });
  const w1 = applyPlan(w, operate({ workflow: w, now: T0 }));
  const s1 = nodeId('lh', 'lh[0].step-1');
  const p2 = operate({ workflow: w1, pods: { [s1]: { phase: 'Running' } }, now: at(1) });
  assert.deepEqual(p2.podsToCreate.map((p) => p.nodeName), ['lh[0].step-1.hooks.running']);
  const w2 = applyPlan(w1, p2);
  const p3 = operate({ workflow: w2, pods: { [s1]: ok() }, now: at(2) });
  assert.deepEqual(p3.podsToCreate.map((p) => p.nodeName), ['lh[0].step-1.hooks.success']);
  const r = simulate(w);
  assert.equal(r.workflow.status!.phase, 'Succeeded');
  assert.deepEqual(r.pods.map((p) => p.nodeName), ['lh[0].step-1', 'lh[0].step-1.hooks.success', 'lh.hooks.done']);
});

test("a step's exit hook gets the step's own outputs (exit-handler-with-artifacts: `from: {{steps.step-1.outputs.artifacts.result}}`)", () => {
  const art = { name: 'result', s3: { key: 'eh/result.tgz' } };
  const exit: Template = { name: 'exit', inputs: { artifacts: [{ name: 'message', path: '/tmp/message' }], parameters: [{ name: 'r' }] }, container: { image: 'busybox', command: ['cat', '/tmp/message'] } };
  for (const kind of ['steps', 'dag'] as const) {
    const hook = { exit: { template: 'exit', arguments: { artifacts: [{ name: 'message', from: `{{${kind === 'dag' ? 'tasks' : 'steps'}.step-1.outputs.artifacts.result}}` }], parameters: [{ name: 'r', value: `{{${kind === 'dag' ? 'tasks' : 'steps'}.step-1.outputs.result}}` }] } } };
    const main: Template = kind === 'dag' ? { name: 'main', dag: { tasks: [{ name: 'step-1', template: 'output', hooks: hook }] } } : { name: 'main', steps: [[{ name: 'step-1', template: 'output', hooks: hook }]] };
    const w = wf('eh', { entrypoint: 'main', templates: [main, { name: 'output', outputs: { artifacts: [{ name: 'result', path: '/result.txt' }] }, script: { image: 'python:alpine3.23', command: ['python'], source: 'print(1)' } }, exit] });
    const r = simulate(w, { run: (p) => (p.templateName === 'output' ? { phase: 'Succeeded', exitCode: 0, outputs: { result: 'Welcome', artifacts: [art] } } : ok()) });
    assert.equal(r.workflow.status!.phase, 'Succeeded', kind);
    const onExit = r.pods.find((p) => p.nodeName.endsWith('.onExit'));
    assert.ok(onExit, `${kind}: the exit hook ran (${Object.values(r.workflow.status!.nodes!).map((n) => `${n.name}: ${n.message}`).join('; ')})`);
    assert.deepEqual(onExit.inputs?.artifacts?.map((a) => [a.name, (a as { s3?: { key?: string } }).s3?.key]), [['message', 'eh/result.tgz']], kind);
    assert.deepEqual(onExit.inputs?.parameters?.map((p) => [p.name, p.value]), [['r', 'Welcome']], kind);
  }
});

test("a step's or task's hook that ends Error fails its Steps or DAG template, continueOn or not; one that ends Failed is ignored", () => {
  for (const kind of ['steps', 'dag'] as const) {
    for (const [hookPhase, want] of [['Error', 'Failed'], ['Failed', 'Succeeded']] as const) {
      const step = { name: 'step-1', template: 'echo', continueOn: { error: true, failed: true }, hooks: { exit: { template: 'bad' }, ok: { expression: `${kind === 'dag' ? 'tasks' : 'steps'}["step-1"].status == "Succeeded"`, template: 'echo' } } };
      const main: Template = kind === 'dag' ? { name: 'main', dag: { tasks: [step] } } : { name: 'main', steps: [[step]] };
      const w = wf('he', { entrypoint: 'main', templates: [main, echo, { name: 'bad', container: { image: 'busybox' } }] });
      const r = simulate(w, { run: (p) => (p.templateName === 'bad' ? { phase: hookPhase, message: hookPhase === 'Error' ? 'ErrImagePull: no such image' : undefined, exitCode: hookPhase === 'Failed' ? 1 : undefined } : ok()) });
      const nodes = byName(r.workflow);
      const hook = Object.values(nodes).find((n) => n.name.endsWith('.onExit'))!;
      assert.equal(hook.phase, hookPhase, `${kind}/${hookPhase}: the hook ran`);
      assert.equal(r.workflow.status!.phase, want, `${kind}: a hook that ends ${hookPhase}`);
      if (want === 'Failed') assert.equal(nodes.he!.message, `child '${hook.id}' failed`, kind);
    }
  }
});

test("a Steps or DAG template with parallelism and its own failFast: true fails with upstream's message; others name the child", () => {
  const fail = (p: PodToCreate): PodObservation => (p.templateName === 'fail' ? { phase: 'Failed', exitCode: 1 } : ok());
  for (const kind of ['steps', 'dag'] as const) {
    for (const failFast of [true, undefined]) {
      const main: Template = kind === 'steps'
        ? { name: 'main', parallelism: 2, failFast, steps: [[{ name: 'step1', template: 'fail' }, { name: 'step2', template: 'echo' }]] }
        : { name: 'main', parallelism: 2, failFast, dag: { tasks: [{ name: 'task1', template: 'fail' }, { name: 'task2', template: 'echo' }] } };
      const r = simulate(wf('pff', { entrypoint: 'main', templates: [main, echo, { name: 'fail', container: { image: 'busybox', command: ['false'] } }] }), { run: fail });
      assert.equal(r.workflow.status!.phase, 'Failed');
      if (failFast) assert.equal(r.workflow.status!.message, 'template has failed or errored children and failFast enabled', kind);
      else assert.match(r.workflow.status!.message ?? '', /^child 'pff-\d+' failed$/, kind);
      const other = Object.values(r.workflow.status!.nodes!).find((n) => n.displayName === (kind === 'steps' ? 'step2' : 'task2'));
      assert.equal(other?.phase, 'Succeeded', `${kind}: the running sibling ends as it ends`);
    }
  }
});

test('a memoized Steps or DAG template: a later call with the same key is a cache hit (no children, the cached outputs), within the workflow and from the ConfigMap', () => {
  for (const kind of ['steps', 'dag'] as const) {
    const call = { name: 'cache', template: 'echo', arguments: { parameters: [{ name: 'm', value: '{{inputs.parameters.message}}' }] } };
    const memostep: Template = {
      name: 'memostep', inputs: { parameters: [{ name: 'message' }] },
      memoize: { key: '{{inputs.parameters.message}}', maxAge: '10s', cache: { configMap: { name: 'my-config-memo' } } },
      ...(kind === 'steps' ? { steps: [[call]] } : { dag: { tasks: [call] } }),
      // upstream's own test writes `Parameter` (Go decodes JSON field names without regard to case)
      outputs: { parameters: [{ name: 'output', valueFrom: { Parameter: `{{${kind === 'steps' ? 'steps' : 'tasks'}.cache.outputs.result}}` } as never }] },
    };
    const w = wf('memo', { entrypoint: 'h', templates: [{ name: 'h', steps: [[{ name: 'hello1', template: 'memostep', arguments: { parameters: [{ name: 'message', value: 'hello1' }] } }], [{ name: 'hello2a', template: 'memostep', arguments: { parameters: [{ name: 'message', value: 'hello1' }] } }]] }, memostep, echo] });
    const configMaps: Record<string, Record<string, string>> = {};
    const r = simulate(w, { configMaps, run: () => ({ phase: 'Succeeded', exitCode: 0, outputs: { result: 'hi' } }) });
    assert.equal(r.workflow.status!.phase, 'Succeeded', kind);
    assert.equal(r.pods.length, 1, `${kind}: the second call ran nothing`);
    const n = byName(r.workflow);
    assert.deepEqual(n['memo[0].hello1']!.memoizationStatus, { hit: false, key: 'hello1', cacheName: 'my-config-memo' });
    assert.deepEqual(n['memo[1].hello2a']!.memoizationStatus, { hit: true, key: 'hello1', cacheName: 'my-config-memo' });
    assert.deepEqual(n['memo[1].hello2a']!.outputs?.parameters, [{ name: 'output', value: 'hi' }]);
    // the cache as the ConfigMap holds it answers a new workflow's first call; a stale entry does not
    const again = simulate(w, { configMaps: { 'my-config-memo': configMaps['my-config-memo']! } });
    assert.equal(again.pods.length, 0, kind);
    const stale = simulate(w, { configMaps: { 'my-config-memo': configMaps['my-config-memo']! }, start: new Date('2026-01-01T00:01:00Z') });
    assert.equal(stale.pods.length, 1, `${kind}: maxAge 10s`);
  }
});

test("hook nodes are flagged hooked, retry attempts retried; a Retry node's hooks are not its attempts (TestWorkflowLevelHooksWithRetry)", () => {
  const w = wf('hr', { entrypoint: 'argosay', hooks: { failed: { template: 'hook', expression: 'workflow.status == "Failed"' }, running: { template: 'hook', expression: 'workflow.status == "Running"' } }, templates: [
    { name: 'argosay', retryStrategy: { limit: 1 }, container: { image: 'argoproj/argosay:v2', command: ['/bin/sh', '-c'], args: ['/bin/sleep 1; exit 1'] } },
    { name: 'hook', container: { image: 'argoproj/argosay:v2', command: ['/bin/sh', '-c'], args: ['/argosay'] } }] });
  // the attempts run a pass after they are created (the running hook comes in between)
  const r = simulate(w, { run: (p) => (p.templateName === 'hook' ? ok() : { phase: 'Failed', exitCode: 1 }) });
  const n = byName(r.workflow);
  assert.equal(r.workflow.status!.phase, 'Failed', Object.values(n).map((x) => `${x.name}:${x.phase}`).join(' '));
  assert.equal(r.workflow.status!.progress, '2/4');
  assert.equal(n.hr!.type, 'Retry');
  assert.equal(n.hr!.phase, 'Failed');
  assert.equal(n.hr!.nodeFlag, undefined);
  assert.deepEqual([n['hr(0)']!.nodeFlag, n['hr(1)']!.nodeFlag], [{ retried: true }, { retried: true }]);
  assert.deepEqual([n['hr.hooks.running']!.nodeFlag, n['hr.hooks.failed']!.nodeFlag], [{ hooked: true }, { hooked: true }]);
  assert.deepEqual([n['hr.hooks.running']!.phase, n['hr.hooks.failed']!.phase], ['Succeeded', 'Succeeded']);
});

test("a daemoned task whose pod fails is retried while its dependents run, and the new attempt is stopped with the DAG (TestDaemonPodRetry)", () => {
  const w = wf('dr', { entrypoint: 'main', templates: [
    { name: 'main', dag: { tasks: [{ name: 'daemoned', template: 'daemoned' }, { name: 'whale', dependencies: ['daemoned'], template: 'echo' }] } },
    { name: 'daemoned', retryStrategy: { limit: 2 }, daemon: true, container: { image: 'busybox', command: ['sh', '-c', 'sleep 5 && exit 1'] } }, echo] });
  const id = (n: string) => nodeId('dr', n);
  let cur = applyPlan(w, operate({ workflow: w, now: at(0) }));
  cur = applyPlan(cur, operate({ workflow: cur, pods: { [id('dr.daemoned(0)')]: { phase: 'Running' } }, now: at(1) }));
  assert.ok(byName(cur)['dr.whale'], 'the dependent starts once the daemon is up');
  const p3 = operate({ workflow: cur, pods: { [id('dr.daemoned(0)')]: { phase: 'Failed', exitCode: 1 }, [id('dr.whale')]: { phase: 'Running' } }, now: at(6) });
  cur = applyPlan(cur, p3);
  assert.equal(byName(cur)['dr.daemoned(0)']!.phase, 'Failed', 'the daemon pod that ended is seen');
  assert.deepEqual(p3.podsToCreate.map((p) => p.nodeName), ['dr.daemoned(1)'], 'and retried');
  const p4 = operate({ workflow: cur, pods: { [id('dr.daemoned(0)')]: { phase: 'Failed', exitCode: 1 }, [id('dr.daemoned(1)')]: { phase: 'Running' }, [id('dr.whale')]: { phase: 'Succeeded', exitCode: 0 } }, now: at(16) });
  cur = applyPlan(cur, p4);
  assert.equal(p4.phase, 'Succeeded');
  assert.equal(byName(cur)['dr.daemoned(1)']!.phase, 'Succeeded', 'the running attempt ends with the DAG');
});

test("terminate runs no exit handler and makes no node for one; stop runs both the task's and the workflow's (TestStopBehavior / TestTerminateBehavior)", () => {
  const exit: Template = { name: 'exit', container: { image: 'argoproj/argosay:v2', command: ['/argosay'] } };
  for (const strategy of ['Stop', 'Terminate'] as const) {
    const w = wf('st', { entrypoint: 'diamond', onExit: 'exit', templates: [{ name: 'diamond', dag: { tasks: [{ name: 'A', template: 'echo', onExit: 'exit' }] } }, echo, exit] });
    let cur = applyPlan(w, operate({ workflow: w, now: at(0) }));
    const a = nodeId('st', 'st.A');
    cur = applyPlan(cur, operate({ workflow: cur, pods: { [a]: { phase: 'Running' } }, now: at(1) }));
    cur = { ...cur, spec: { ...cur.spec, shutdown: strategy } };
    const pods: Record<string, PodObservation> = { [a]: { phase: 'Running' } };
    for (let i = 2; i < 10 && !['Failed', 'Error'].includes(cur.status!.phase ?? ''); i++) {
      const p = operate({ workflow: cur, pods, now: at(i) });
      for (const c of p.podsToCreate) pods[c.nodeId] = ok();
      cur = applyPlan(cur, p);
    }
    const n = byName(cur);
    assert.equal(cur.status!.phase, 'Failed', strategy);
    assert.equal(n['st.A']!.phase, 'Failed', strategy);
    if (strategy === 'Stop') assert.deepEqual([n['st.A.onExit']?.phase, n['st.onExit']?.phase], ['Succeeded', 'Succeeded']);
    else assert.deepEqual(Object.keys(n).filter((k) => k.endsWith('.onExit')), [], 'terminated: no exit handler node');
  }
});

test("workflowMetadata's labels (a WorkflowTemplate's too) and workflowDefaults' metadata are the workflow's labels and {{workflow.labels.*}} (TestSubmitWorkflowTemplateWorkflowMetadataSubstitution)", () => {
  const tmpl = { apiVersion: 'argoproj.io/v1alpha1', kind: 'WorkflowTemplate', metadata: { name: 'workflow-template-submittable' }, spec: {
    entrypoint: 'whalesay-template', workflowMetadata: { labels: { 'arg-name': 'myLabelArg' } },
    templates: [{ name: 'whalesay-template', container: { image: 'argoproj/argosay:v2', command: ['/argosay'], args: ['echo', '{{workflow.labels.arg-name}}', '{{workflow.labels.default-label}}'] } }] } };
  const w = wf('sub', { workflowTemplateRef: { name: 'workflow-template-submittable' } });
  w.metadata.labels = { own: 'mine', 'default-label': 'x' };
  const defaults = { metadata: { labels: { 'default-label': 'thisLabelIsFromWorkflowDefaults', other: 'fromDefaults' } } };
  const p = operate({ workflow: w, now: T0, templates: { 'workflow-template-submittable': tmpl as never }, config: { workflowDefaults: defaults } });
  assert.deepEqual(p.podsToCreate[0]!.template.container?.args, ['echo', 'myLabelArg', 'x'], "the workflow's own label wins over a default");
  assert.deepEqual(p.metadata?.labels, { other: 'fromDefaults', 'arg-name': 'myLabelArg' });
  delete w.metadata.labels;
  const q = operate({ workflow: w, now: T0, templates: { 'workflow-template-submittable': tmpl as never }, config: { workflowDefaults: defaults } });
  assert.deepEqual(q.podsToCreate[0]!.template.container?.args, ['echo', 'myLabelArg', 'thisLabelIsFromWorkflowDefaults']);
});

test('a malformed spec (a map where a list belongs) fails saying where; a reference to a malformed (Cluster)WorkflowTemplate is an Error naming it (TestMalformedResources)', () => {
  const bad = { arguments: { parameters: { someParam: 'Hello, world!' } } } as unknown as WorkflowSpec;
  const p = operate({ workflow: wf('malformed', bad), now: T0 });
  assert.deepEqual([p.phase, p.message], ['Failed', 'malformed workflow: spec.arguments.parameters: expected a list, got a map']);
  for (const cluster of [false, true]) {
    const r = operate({ workflow: wf('wellformed', { workflowTemplateRef: { name: 'malformed', clusterScope: cluster } }), now: T0, templates: { [cluster ? 'cluster/malformed' : 'malformed']: { metadata: { name: 'malformed' }, spec: bad } as never } });
    assert.equal(r.phase, 'Error');
    assert.match(r.message ?? '', cluster ? /^malformed cluster workflow template 'malformed': spec\.arguments\.parameters: expected a list/ : /^malformed workflow template 'malformed': /);
  }
  // other shapes it knows
  const steps = operate({ workflow: wf('s', { entrypoint: 'main', templates: [{ name: 'main', steps: [{ name: 'a', template: 'main' }] } as never] }), now: T0 });
  assert.equal(steps.message, 'malformed workflow: spec.templates[0].steps[0]: expected a list, got a map');
  const args = operate({ workflow: wf('c', { entrypoint: 'main', templates: [{ name: 'main', container: { image: 'busybox', args: 'echo hi' } } as never] }), now: T0 });
  assert.equal(args.message, 'malformed workflow: spec.templates[0].container.args: expected a list, got a string');
});

test("an input's configMapKeyRef name and key may be variables (upstream's ConfigMapKeySelector substitution tests)", () => {
  const mk = (ref: { name: string; key: string }, params: { name: string; value: string }[]) => wf('c', { entrypoint: 'say', arguments: { parameters: params }, templates: [{ name: 'say', inputs: { parameters: [{ name: 'message', valueFrom: { configMapKeyRef: ref } }] }, container: { image: 'busybox', command: ['echo', '{{inputs.parameters.message}}'] } }] });
  const configMaps = { 'cmref-parameters': { msg: 'hello world' } };
  const byName = simulate(mk({ name: '{{ workflow.parameters.cm-name}}', key: 'msg' }, [{ name: 'cm-name', value: 'cmref-parameters' }]), { configMaps });
  assert.equal(byName.workflow.status!.phase, 'Succeeded');
  assert.deepEqual(byName.pods[0]!.template.container?.command, ['echo', 'hello world']);
  const byKey = simulate(mk({ name: 'cmref-parameters', key: '{{workflow.parameters.k}}' }, [{ name: 'k', value: 'msg' }]), { configMaps });
  assert.deepEqual(byKey.pods[0]!.template.container?.command, ['echo', 'hello world']);
  const broken = simulate(mk({ name: '{{ workflow.parameters.cm-name}', key: 'msg' }, [{ name: 'cm-name', value: 'cmref-parameters' }]), { configMaps });
  assert.equal(broken.workflow.status!.phase, 'Error');
});

test("a suspend node counts in progress; when its duration is up, an output to be supplied takes its default, and one with no default fails it (upstream's suspend tests)", () => {
  const mk = (valueFrom: Record<string, unknown>) => wf('sn', { entrypoint: 'suspend', templates: [
    { name: 'suspend', steps: [[{ name: 'approve', template: 'approve' }], [{ name: 'release', template: 'echo', arguments: { parameters: [{ name: 'm', value: '{{steps.approve.outputs.parameters.message}}' }] } }]] },
    { name: 'approve', suspend: { duration: '5s' }, outputs: { parameters: [{ name: 'message', valueFrom }] } }, echo] });
  const ok = simulate(mk({ default: 'default message', supplied: {} }));
  const n = byName(ok.workflow);
  assert.equal(ok.workflow.status!.phase, 'Succeeded');
  assert.equal(ok.workflow.status!.progress, '2/2');
  assert.deepEqual(n['sn[0].approve']!.outputs?.parameters, [{ name: 'message', value: 'default message' }]);
  assert.deepEqual(n['sn[1].release']!.inputs?.parameters, [{ name: 'm', value: 'default message' }]);
  const bad = simulate(mk({ supplied: {} }));
  assert.equal(bad.workflow.status!.phase, 'Failed');
  assert.equal(byName(bad.workflow)['sn[0].approve']!.message, "raw output parameter 'message' has not been set and does not have a default value");
});

test('argo retry reruns only the failed nodes; suspend/resume', () => {
  const w = wf('rt', { entrypoint: 'main', onExit: 'echo', templates: [{ name: 'main', dag: { tasks: [
    { name: 'A', template: 'echo' }, { name: 'B', template: 'echo' }, { name: 'C', depends: 'A && B', template: 'echo' }] } }, echo] });
  let failB = true;
  const run = (p: PodToCreate): PodObservation => (p.nodeName === 'rt.B' && failB ? { phase: 'Failed', exitCode: 1 } : ok());
  const r = simulate(w, { run });
  assert.equal(r.workflow.status!.phase, 'Failed');
  assert.equal(byName(r.workflow)['rt.C']!.phase, 'Omitted');
  assert.throws(() => retryWorkflow(applyPlan(w, operate({ workflow: w, now: T0 }))), /must be Failed\/Error/);
  const { workflow: again, podsToDelete } = retryWorkflow(r.workflow);
  assert.deepEqual(podsToDelete.sort(), [podName('rt', 'rt.B', 'echo'), podName('rt', 'rt.onExit', 'echo')].sort());
  assert.equal(again.status!.phase, 'Running');
  assert.equal(byName(again)['rt.A']!.phase, 'Succeeded');
  assert.equal(byName(again).rt!.phase, 'Running');
  failB = false;
  const r2 = simulate(again, { run, start: at(100) });
  assert.equal(r2.workflow.status!.phase, 'Succeeded');
  assert.deepEqual(r2.pods.map((p) => p.nodeName), ['rt.B', 'rt.C', 'rt.onExit'], 'A is not run again');

  const s = wf('su', { entrypoint: 'main', templates: [{ name: 'main', steps: [[{ name: 'approve', template: 'approve' }], [{ name: 'use', template: 'echo', arguments: { parameters: [{ name: 'm', value: '{{steps.approve.outputs.parameters.ok}}' }] } }]] },
    { name: 'approve', suspend: {}, outputs: { parameters: [{ name: 'ok', valueFrom: { supplied: {} } }] } }, echo] });
  const s1 = applyPlan(s, operate({ workflow: s, now: T0 }));
  const resumed = resumeWorkflow(s1, { outputParameters: { ok: 'yes' }, now: at(5) });
  const p2 = operate({ workflow: resumed, now: at(6) });
  assert.deepEqual(p2.podsToCreate.map((p) => p.template.container!.command), [['echo', 'yes']]);
  const paused = suspendWorkflow(resumed);
  assert.equal(operate({ workflow: paused, now: at(6) }).podsToCreate.length, 0, 'a suspended workflow starts nothing');
});

test('workflowDefaults and templateDefaults merge under the workflow; template timeout', () => {
  const w = wf('df', { entrypoint: 'main', templateDefaults: { timeout: '30s', container: { image: 'default-img', env: [{ name: 'A', value: '1' }] } },
    templates: [{ name: 'main', container: { command: ['true'] } }, { name: 'unused', steps: [] }] });
  const p = operate({ workflow: w, now: T0, config: { workflowDefaults: { spec: { serviceAccountName: 'wf-sa', parallelism: 7, activeDeadlineSeconds: 600 } } } });
  const pod = p.podsToCreate[0]!;
  assert.equal(pod.serviceAccountName, 'wf-sa');
  assert.deepEqual(pod.template.container, { image: 'default-img', env: [{ name: 'A', value: '1' }], command: ['true'] });
  assert.equal(pod.activeDeadlineSeconds, 30);
  const own = wf('do', { entrypoint: 'main', serviceAccountName: 'mine', templates: [{ name: 'main', container: { image: 'x' } }] });
  assert.equal(operate({ workflow: own, now: T0, config: { workflowDefaults: { spec: { serviceAccountName: 'wf-sa' } } } }).podsToCreate[0]!.serviceAccountName, 'mine');
  const q = operate({ workflow: applyPlan(w, p), pods: { df: { phase: 'Pending' } }, now: at(31) });
  assert.deepEqual([q.phase, q.message], ['Failed', 'Step exceeded its deadline']);
});

test("a template's own input artifact and the workflow's podSpecPatch are substituted (upstream's map-reduce and pod-spec-yaml-patch)", () => {
  const w = wf('mr', {
    entrypoint: 'main',
    arguments: { parameters: [{ name: 'mem', value: '100Mi' }] },
    podSpecPatch: 'containers:\n  - name: main\n    resources: {limits: {memory: "{{workflow.parameters.mem}}"}}\n',
    templates: [
      { name: 'main', steps: [[{ name: 'reduce', template: 'reduce', arguments: { parameters: [{ name: 'part', value: '7' }] } }]] },
      { name: 'reduce', inputs: { parameters: [{ name: 'part' }], artifacts: [{ name: 'results', path: '/mnt/in', s3: { key: '{{workflow.name}}/results/{{inputs.parameters.part}}' } }] }, container: { image: 'busybox', command: ['ls', '/mnt/in'] } },
    ],
  });
  const p = operate({ workflow: w, now: T0 });
  assert.equal(p.podsToCreate.length, 1);
  assert.deepEqual(p.podsToCreate[0]!.inputs?.artifacts?.[0]?.s3, { key: 'mr/results/7' });
  assert.match(p.podsToCreate[0]!.podSpecPatch ?? '', /memory: "100Mi"/);
});

test("a steps template forwards its own input artifact with from: \"{{inputs.artifacts.NAME}}\" (upstream's variables-showcase)", () => {
  const w = wf('fw', {
    entrypoint: 'main',
    arguments: { artifacts: [{ name: 'seed', raw: { data: 'seed-content' } }] },
    templates: [
      { name: 'main', inputs: { artifacts: [{ name: 'seed' }] }, steps: [[{ name: 'use', template: 'cat', arguments: { artifacts: [{ name: 'seed-art', from: '{{inputs.artifacts.seed}}' }] } }]] },
      { name: 'cat', inputs: { artifacts: [{ name: 'seed-art', path: '/tmp/seed.txt' }] }, container: { image: 'busybox', command: ['cat', '/tmp/seed.txt'] } },
    ],
  });
  const p = operate({ workflow: w, now: T0 });
  assert.equal(p.podsToCreate.length, 1, JSON.stringify(Object.values(p.nodes).map((n) => n.message)));
  assert.deepEqual(p.podsToCreate[0]!.inputs?.artifacts, [{ name: 'seed-art', path: '/tmp/seed.txt', raw: { data: 'seed-content' } }]);
});

test("a template that cannot be executed ends the workflow in Error: upstream's \"error in entry/exit template execution\"", () => {
  // upstream's TestWorkflowTemplateInvalidOnExit: the WorkflowTemplate's exit handler has no template type. The controller
  // checks the templates the entrypoint reaches; the exit handler fails when it is executed
  const tmpl = { metadata: { name: 'invalid-onexit' }, spec: { entrypoint: 'whalesay', onExit: 'notify', templates: [{ name: 'whalesay', container: { image: 'busybox', command: ['echo', 'hello'] } }, { name: 'notify' } as Template] } };
  const r = simulate(wf('x', { workflowTemplateRef: { name: 'invalid-onexit' } }), { templates: { 'invalid-onexit': tmpl } as never });
  assert.equal(r.workflow.status?.phase, 'Error');
  assert.match(r.workflow.status?.message ?? '', /^error in exit template execution: template 'notify' must specify exactly one of container, script/);
  assert.equal(byName(r.workflow)['x']?.phase, 'Succeeded', 'the entrypoint ran');
  // the workflow's own templates are still checked before anything runs
  const own = simulate(wf('y', { workflowTemplateRef: { name: 'invalid-onexit' }, templates: [{ name: 'extra' } as Template] }), { templates: { 'invalid-onexit': tmpl } as never });
  assert.match(own.workflow.status?.message ?? '', /^invalid spec: templates\.extra: template must specify exactly one/);
  // (the entrypoint's case, a pod the API server refuses, is in controller.test.ts)
});

test('template-level synchronization: a node waits, Pending with the lock named, until it holds its mutex or semaphore slot', () => {
  // upstream's TestTemplateLevelMutex / TestTemplateLevelSemaphore, with a lock table standing in for the controller's
  const table = new Map<string, Set<string>>();
  const acquireLock = (l: { name: string; limit: number }, id: string) => {
    const h = table.get(l.name) ?? new Set<string>();
    table.set(l.name, h);
    if (h.has(id)) return { ok: true, held: h.size };
    if (h.size >= l.limit) return { ok: false, held: h.size };
    h.add(id);
    return { ok: true, held: h.size };
  };
  const mutex = (name: string): Template => ({ name, synchronization: { mutex: { name } }, container: { image: 'busybox', command: ['true'] } });
  const sem: Template = { name: 'sem', synchronization: { semaphore: { configMapKeyRef: { name: 'my-config', key: 'template' } } }, container: { image: 'busybox', command: ['true'] } };
  const w = wf('tl', { entrypoint: 'main', templates: [
    { name: 'main', steps: [[{ name: 'a1', template: 'a' }, { name: 'a2', template: 'a' }, { name: 'b1', template: 'b' }, { name: 'b2', template: 'b' }, { name: 's1', template: 'sem' }, { name: 's2', template: 'sem' }]] },
    mutex('a'), mutex('b'), sem,
  ] });
  const waiting: string[] = [];
  let maxHolding = 0;
  const r = simulate(w, {
    configMaps: { 'my-config': { template: '1' } }, acquireLock,
    onPass: (_in, p) => {
      // the controller's side: what no node holds any more is released
      const keep = new Set(p.locks!.holding.map((l) => `${l.lock} ${l.nodeId}`));
      for (const [lock, hs] of table) for (const h of hs) if (!keep.has(`${lock} ${h}`)) hs.delete(h);
      for (const n of Object.values(p.nodes)) if (n.phase === 'Pending' && n.message?.startsWith('Waiting for ')) waiting.push(`${n.displayName}: ${n.message}`);
      maxHolding = Math.max(maxHolding, p.locks!.holding.length);
    },
  });
  assert.equal(r.workflow.status?.phase, 'Succeeded');
  assert.equal(r.pods.length, 6);
  assert.equal(maxHolding, 3, 'one holder per lock at a time');
  for (const want of [/^a2: Waiting for argo\/Mutex\/a lock\. Lock status: 0\/1$/, /^b2: Waiting for argo\/Mutex\/b lock\. Lock status: 0\/1$/, /^s2: Waiting for argo\/ConfigMap\/my-config\/template lock\. Lock status: 0\/1$/]) {
    assert.ok(waiting.some((x) => want.test(x)), `${want}: ${waiting.join('; ')}`);
  }
  // the first pass: three pods, one per lock; the others wait
  const first = r.plans[0]!;
  assert.equal(first.podsToCreate.length, 3);
  assert.deepEqual(first.locks!.waiting.map((l) => l.lock).sort(), ['argo/ConfigMap/my-config/template', 'argo/Mutex/a', 'argo/Mutex/b']);
  assert.ok(Object.values(r.workflow.status?.nodes ?? {}).every((n) => !n.message?.includes('Waiting for')), 'no node is left waiting');
  // a missing ConfigMap: the node waits saying so, nothing runs
  const miss = simulate(wf('m', { entrypoint: 'sem', templates: [sem] }), { configMaps: {}, acquireLock, maxSteps: 3 });
  assert.equal(miss.pods.length, 0);
  assert.match(Object.values(miss.workflow.status?.nodes ?? {})[0]?.message ?? '', /configmap argo\/my-config not found/);
});

test('estimatedDuration: from the most recent Succeeded run of the same WorkflowTemplate, the workflow and each node by name', async () => {
  const { estimate, originLabel } = await import('../estimate.js');
  const tmplRef = (name: string): Workflow => ({ ...wf(name, { workflowTemplateRef: { name: 'basic' } }) });
  const done = (name: string, secs: number, finished: string, phase = 'Succeeded'): Workflow => ({
    ...tmplRef(name),
    status: { phase: phase as 'Succeeded', startedAt: new Date(Date.parse(finished) - secs * 1000).toISOString(), finishedAt: finished, progress: '1/1', nodes: {
      [name]: { id: name, name, displayName: name, type: 'Steps', phase: 'Succeeded', startedAt: new Date(Date.parse(finished) - secs * 1000).toISOString(), finishedAt: finished },
      [`${name}-1`]: { id: `${name}-1`, name: `${name}[0].a`, displayName: 'a', type: 'Pod', phase: 'Succeeded', startedAt: new Date(Date.parse(finished) - 4000).toISOString(), finishedAt: finished },
    } },
  });
  const runs = [done('old', 30, '2026-01-01T00:10:00Z'), done('recent', 12, '2026-01-01T00:20:00Z'), done('failed', 99, '2026-01-01T00:30:00Z', 'Failed'), { ...done('other', 50, '2026-01-01T00:40:00Z'), spec: { workflowTemplateRef: { name: 'else' } } }];
  assert.deepEqual(originLabel(tmplRef('x')), ['workflows.argoproj.io/workflow-template', 'basic']);
  const e = estimate(tmplRef('new'), runs)!;
  assert.deepEqual(e, { workflow: 12, nodes: { new: 12, 'new[0].a': 4 } });
  assert.equal(estimate(wf('plain', { entrypoint: 'main', templates: [echo] }), runs), undefined, 'no template, no estimate');
  // operate sets them: status.estimatedDuration once, a node's when it is made
  const tmpl = { metadata: { name: 'basic' }, spec: { entrypoint: 'main', templates: [{ name: 'main', steps: [[{ name: 'a', template: 'echo' }]] }, echo] } };
  const p1 = operate({ workflow: tmplRef('new'), templates: { basic: tmpl } as never, now: T0, estimates: e });
  const w1 = applyPlan(tmplRef('new'), p1);
  assert.equal(w1.status?.estimatedDuration, 12);
  assert.equal(byName(w1)['new']?.estimatedDuration, 12);
  assert.equal(byName(w1)['new[0].a']?.estimatedDuration, 4);
});

test("a pod's reported progress (N/M) is its node's, summed up the tree; complete once it Succeeded (upstream's TestLoggedProgress)", () => {
  const w = wf('pg', { entrypoint: 'main', templates: [{ name: 'main', dag: { tasks: [{ name: 'progress', template: 'echo' }, { name: 'other', template: 'echo' }] } }, echo] });
  const p1 = operate({ workflow: w, now: T0 });
  const ids = Object.fromEntries(p1.podsToCreate.map((c) => [c.nodeName, c.nodeId]));
  const w1 = applyPlan(w, p1);
  const p2 = operate({ workflow: w1, pods: { [ids['pg.progress']!]: { phase: 'Running', progress: '50/100' }, [ids['pg.other']!]: { phase: 'Running' } }, now: at(5) });
  assert.deepEqual([p2.nodes[ids['pg.progress']!]!.progress, p2.nodes.pg!.progress, p2.progress], ['50/100', '50/101', '50/101']);
  const p3 = operate({ workflow: applyPlan(w1, p2), pods: { [ids['pg.progress']!]: { phase: 'Succeeded', exitCode: 0, progress: '50/100' }, [ids['pg.other']!]: { phase: 'Succeeded', exitCode: 0 } }, now: at(10) });
  assert.deepEqual([p3.nodes[ids['pg.progress']!]!.progress, p3.nodes.pg!.progress, p3.progress, p3.phase], ['100/100', '101/101', '101/101', 'Succeeded']);
});

test("a pod captures its stdout as outputs.result only when its steps/DAG template references it (upstream's TestIncludeScriptResult)", () => {
  const pod0: Template = { name: 'pod-0', inputs: { parameters: [{ name: 'p-0' }] }, container: { image: 'busybox', command: ['echo', '{{inputs.parameters.p-0}}'] } };
  const w = wf('res', { entrypoint: 'main', templates: [{ name: 'main', dag: { tasks: [
    { name: 'a', template: 'pod-0', arguments: { parameters: [{ name: 'p-0', value: 'foo' }] } },
    { name: 'b', template: 'pod-0', dependencies: ['a'], arguments: { parameters: [{ name: 'p-0', value: '{{tasks.a.outputs.result}}' }] } },
  ] } }, pod0] });
  const r = simulate(w, { run: (p) => ({ phase: 'Succeeded', exitCode: 0, outputs: p.includeScriptOutput ? { result: 'foo' } : {} }) });
  assert.deepEqual(r.pods.map((p) => [p.nodeName, !!p.includeScriptOutput]), [['res.a', true], ['res.b', false]]);
  assert.equal(byName(r.workflow)['res.b']?.inputs?.parameters?.[0]?.value, 'foo');
  // the expression forms count too; a steps template the same way
  const s = wf('st', { entrypoint: 'main', templates: [{ name: 'main', steps: [[{ name: 'gen', template: 'pod-0', arguments: { parameters: [{ name: 'p-0', value: 'x' }] } }], [{ name: 'use', template: 'pod-0', arguments: { parameters: [{ name: 'p-0', value: "{{=steps['gen'].outputs.result}}" }] } }]] }, pod0] });
  assert.deepEqual(simulate(s).pods.map((p) => [p.nodeName, !!p.includeScriptOutput]), [['st[0].gen', true], ['st[1].use', false]]);
});

test('referencedResults finds every form of a step/task result reference in one scan of the template JSON', () => {
  const t: Template = { name: 'main', steps: [[{ name: 'use', template: 'x', arguments: { parameters: [
    { name: 'a', value: '{{steps.gen-1.outputs.result}}' },
    { name: 'b', value: "{{=steps['gen 2'].outputs.result}}" },
    { name: 'c', value: '{{=tasks["t.3"].outputs.result + sprig.trim(tasks.four.outputs.result)}}' },
    { name: 'd', value: '{{steps.other.outputs.parameters.result}} {{steps.ids.outputs.resultx}} {{mysteps.z.outputs.result}}' },
  ] } }]] };
  assert.deepEqual([...referencedResults(JSON.stringify(t))].sort(), ['steps.gen 2', 'steps.gen-1', 'tasks.four', 'tasks.t.3']);
  assert.equal(resultWanted(t, 'steps', 'gen-1'), true);
  assert.equal(resultWanted(t, 'steps', 'use'), false);
  assert.equal(resultWanted(t, 'tasks', 'gen-1'), false);
});

test('resultWanted serializes a steps/DAG template once, however many of its tasks ask (a 200-task DAG was quadratic)', () => {
  const tasks = Array.from({ length: 200 }, (_, i) => ({ name: `t${i}`, template: 'x', ...(i ? { arguments: { parameters: [{ name: 'p', value: `{{tasks.t${i - 1}.outputs.result}}` }] } } : {}) }));
  const t: Template = { name: 'main', dag: { tasks } };
  const real = JSON.stringify;
  let calls = 0;
  JSON.stringify = ((...a: Parameters<typeof real>) => { calls++; return real(...a); }) as typeof real;
  let wanted: boolean[];
  try {
    wanted = tasks.map((x) => resultWanted(t, 'tasks', x.name));
  } finally {
    JSON.stringify = real;
  }
  assert.equal(calls, 1);
  assert.deepEqual([wanted[0], wanted[198], wanted[199]], [true, true, false]);
});
