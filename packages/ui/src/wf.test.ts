/** The Workflows and Events sections' pure parts: a workflow's graph from its status, pod names, durations, actions; the event flow graph. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nodeId, podName } from '@flotilla/workflows-controller/ids';
import { buildWorkflowGraph, templateKind, duration, nodeContainers, ioRows, matchesLabels, shownLabels, podNameOf, templateParameters, workflowActions, type WfNodeStatus } from './lib/wfgraph.js';
import { buildEventsGraph, readiness, sourceEvents, triggerTarget, triggeredBy } from './lib/events.js';
import { layoutGraph } from './lib/layout.js';
import { layeredLayout } from './lib/layered.js';
import { nextRuns } from './lib/cron.js';

/** A workflow status as the controller writes it: node ids and names derived with its own functions. */
function dagStatus(wf: string, tasks: { name: string; deps: string[]; phase: string }[]): Record<string, WfNodeStatus> {
  const nodes: Record<string, WfNodeStatus> = {};
  const root = nodeId(wf, wf);
  nodes[root] = { id: root, name: wf, displayName: wf, type: 'DAG', phase: 'Running', templateName: 'main', children: [] };
  for (const t of tasks) {
    const id = nodeId(wf, `${wf}.${t.name}`);
    nodes[id] = { id, name: `${wf}.${t.name}`, displayName: t.name, type: 'Pod', phase: t.phase, templateName: 'echo', boundaryID: root, children: [], startedAt: '2026-01-01T00:00:00Z', finishedAt: t.phase === 'Succeeded' ? '2026-01-01T00:01:05Z' : undefined };
    if (!t.deps.length) nodes[root]!.children!.push(id);
    for (const d of t.deps) nodes[nodeId(wf, `${wf}.${d}`)]!.children!.push(id);
  }
  return nodes;
}

test('workflow graph: a DAG diamond from status.nodes — nodes with phases, edges parent → child, the root marked', () => {
  const nodes = dagStatus('diamond-x1', [{ name: 'A', deps: [], phase: 'Succeeded' }, { name: 'B', deps: ['A'], phase: 'Succeeded' }, { name: 'C', deps: ['A'], phase: 'Running' }, { name: 'D', deps: ['B', 'C'], phase: 'Pending' }]);
  const g = buildWorkflowGraph({ metadata: { name: 'diamond-x1' }, status: { nodes } });
  assert.deepEqual(g.nodes.map((n) => `${n.label}:${n.phase}`).sort(), ['A:Succeeded', 'B:Succeeded', 'C:Running', 'D:Pending', 'diamond-x1:Running']);
  const byLabel = new Map(g.nodes.map((n) => [n.id, n.label]));
  assert.deepEqual(g.edges.map((e) => `${byLabel.get(e.from)}>${byLabel.get(e.to)}`).sort(), ['A>B', 'A>C', 'B>D', 'C>D', 'diamond-x1>A']);
  assert.equal(g.nodes.find((n) => n.root)?.label, 'diamond-x1');
  assert.deepEqual(buildWorkflowGraph({ metadata: { name: 'x' } }), { nodes: [], edges: [] }, 'no status yet: an empty graph');
});

test('workflow graph: a fan-out past the limit collapses into "+N more" (its phase), expanding shows all; what follows stays linked', () => {
  const wf = 'fan';
  const nodes: Record<string, WfNodeStatus> = {};
  nodes[wf] = { id: wf, name: wf, type: 'Steps', phase: 'Running', children: [] };
  const join = nodeId(wf, `${wf}[1]`);
  nodes[join] = { id: join, name: `${wf}[1]`, displayName: '[1]', type: 'StepGroup', phase: 'Pending', children: [] };
  for (let i = 0; i < 30; i++) {
    const id = nodeId(wf, `${wf}[0].work(${i}:${i})`);
    nodes[id] = { id, name: `${wf}[0].work(${i}:${i})`, displayName: `work(${i}:${i})`, type: 'Pod', phase: 'Succeeded', children: [join] };
    nodes[wf]!.children!.push(id);
  }
  const g = buildWorkflowGraph({ metadata: { name: wf }, status: { nodes } }, { fanout: 10 });
  const more = g.nodes.find((n) => n.type === 'Collapsed')!;
  assert.equal(more.label, '+21 more');
  assert.equal(more.collapsed, 21);
  assert.equal(more.phase, 'Succeeded');
  assert.equal(g.nodes.length, 1 + 9 + 1 + 1);
  assert.ok(g.edges.some((e) => e.from === more.id && e.to === join), 'the placeholder leads on to the next group');
  const all = buildWorkflowGraph({ metadata: { name: wf }, status: { nodes } }, { fanout: 10, expanded: new Set([wf]) });
  assert.equal(all.nodes.length, 32);
  assert.equal(all.edges.filter((e) => e.to === join).length, 30);
});

test('podNameOf: the pod name the controller gives a node (v2 naming, long names cut), none for non-pod nodes', () => {
  for (const [wf, node, tmpl] of [['hello-abc12', 'hello-abc12.A', 'echo'], ['dag-diamond-7zq', 'dag-diamond-7zq.task-with-a-name', 'a-very-long-template-name-that-does-not-fit-in-sixty-three'], ['s', 's[0].step', 'whalesay']] as const) {
    const id = nodeId(wf, node);
    assert.equal(podNameOf(wf, { id, name: node, templateName: tmpl, type: 'Pod' }), podName(wf, node, tmpl), `${wf} ${node}`);
  }
  assert.equal(podNameOf('hello', { id: 'hello', name: 'hello', templateName: 'main', type: 'Pod' }), 'hello', 'the root pod is named after the workflow');
  assert.equal(podNameOf('hello', { id: 'hello', name: 'hello', templateName: 'main', type: 'DAG' }), undefined);
});

test('duration, inputs/outputs rows, template parameters, which actions a phase offers', () => {
  assert.equal(duration('2026-01-01T00:00:00Z', '2026-01-01T00:01:05Z'), '1m5s');
  assert.equal(duration('2026-01-01T00:00:00Z', '2026-01-01T02:03:00Z'), '2h3m');
  assert.equal(duration('2026-01-01T00:00:00Z', undefined, Date.parse('2026-01-01T00:00:07Z')), '7s');
  assert.equal(duration(undefined), '');
  assert.deepEqual(ioRows({ id: 'x', name: 'x', type: 'Pod', inputs: { parameters: [{ name: 'message', value: 'hi' }] }, outputs: { artifacts: [{ name: 'out', path: '/tmp/out' }], result: 'heads', exitCode: '0' } }), [
    { dir: 'input', kind: 'parameter', name: 'message', value: 'hi' },
    { dir: 'output', kind: 'artifact', name: 'out', value: '/tmp/out' },
    { dir: 'output', kind: 'result', name: 'result', value: 'heads' },
    { dir: 'output', kind: 'exit code', name: 'exitCode', value: '0' },
  ]);
  assert.deepEqual(templateParameters({ spec: { arguments: { parameters: [{ name: 'a', value: '1' }, { name: 'b', enum: ['x', 'y'], default: 'y' }, { name: 'c' }] } } }), [{ name: 'a', value: '1', enum: undefined, description: undefined }, { name: 'b', value: 'y', enum: ['x', 'y'], description: undefined }, { name: 'c', value: '', enum: undefined, description: undefined }]);
  const running = workflowActions({ status: { phase: 'Running' } });
  assert.deepEqual([running.suspend, running.resume, running.stop, running.terminate, running.retry], [true, false, true, true, false]);
  const paused = workflowActions({ status: { phase: 'Running', nodes: { s: { id: 's', name: 's', type: 'Suspend', phase: 'Running' } } } });
  assert.deepEqual([paused.suspend, paused.resume], [false, true], 'a running suspend node: RESUME');
  const lab = { team: 'a', 'workflows.argoproj.io/workflow-template': 'diamond', 'workflows.argoproj.io/phase': 'Succeeded' };
  assert.ok(matchesLabels(lab, 'team=a, workflows.argoproj.io/workflow-template=diamond'));
  assert.ok(matchesLabels(lab, 'team'));
  assert.ok(matchesLabels(undefined, ''));
  assert.ok(!matchesLabels(lab, 'team=b'));
  assert.ok(!matchesLabels(undefined, 'team'));
  assert.deepEqual(shownLabels(lab), ['team=a', 'workflow-template=diamond'], 'the controller\'s bookkeeping labels hidden');
  const failed = workflowActions({ status: { phase: 'Failed' } });
  assert.deepEqual([failed.retry, failed.stop, failed.resubmit, failed.delete], [true, false, true, true]);
});

test('events graph: event source events → sensor (edge named after the dependency) → triggers with their targets; missing sources and readiness', () => {
  const es = { metadata: { name: 'webhook', namespace: 'argo-events' }, spec: { service: { ports: [{ port: 12000 }] }, webhook: { example: { port: '12000', endpoint: '/example' }, other: { port: '12000', endpoint: '/other' } } }, status: { conditions: [{ type: 'SourcesProvided', status: 'True' }, { type: 'Deployed', status: 'True' }] } };
  const sensor = {
    metadata: { name: 'webhook', namespace: 'argo-events' },
    spec: {
      dependencies: [{ name: 'test-dep', eventSourceName: 'webhook', eventName: 'example' }, { name: 'gone', eventSourceName: 'calendar', eventName: 'tick' }],
      triggers: [{ template: { name: 'webhook-workflow-trigger', k8s: { operation: 'create', source: { resource: { kind: 'Workflow' } } } } }, { template: { name: 'notify', http: { url: 'http://x/hook', method: 'POST' } } }],
    },
    status: { conditions: [{ type: 'DependenciesProvided', status: 'True' }, { type: 'Deployed', status: 'False', reason: 'DeployFailed', message: 'no eventbus' }] },
  };
  assert.deepEqual(sourceEvents(es), [{ type: 'webhook', name: 'example' }, { type: 'webhook', name: 'other' }], 'service is not an event type');
  const g = buildEventsGraph([es], [sensor]);
  const label = (id: string) => { const n = g.nodes.find((x) => x.id === id)!; return `${n.kind}:${n.name}:${n.detail}`; };
  assert.deepEqual(g.edges.map((e) => `${label(e.from)} -${e.label ?? ''}-> ${label(e.to)}`).sort(), [
    'EventSource:calendar:tick (not found) -gone-> Sensor:webhook:2 dependencies',
    'EventSource:webhook:webhook: example -test-dep-> Sensor:webhook:2 dependencies',
    'Sensor:webhook:2 dependencies --> Trigger:notify:http POST http://x/hook',
    'Sensor:webhook:2 dependencies --> Trigger:webhook-workflow-trigger:k8s Workflow create',
  ]);
  assert.equal(g.nodes.filter((n) => n.kind === 'EventSource' && n.name === 'webhook').length, 2, 'one node per declared event');
  assert.equal(g.nodes.find((n) => n.detail.includes('not found'))!.status, 'Missing');
  assert.deepEqual(readiness(es), { status: 'Ready' });
  assert.deepEqual(readiness(sensor), { status: 'NotReady', message: 'Deployed: DeployFailed — no eventbus' });
  assert.deepEqual(readiness({ metadata: { name: 'x' } }), { status: 'Unknown' });
  assert.equal(triggerTarget({ template: { argoWorkflow: { operation: 'submit' } } }), 'argoWorkflow submit');
  assert.equal(triggerTarget({ template: { name: 'l', log: {} } }), 'log');
});

test('events graph: the workflows a trigger created (upstream\'s sensor/trigger labels) hang off the trigger, newest first, at most max', () => {
  const sensor = { metadata: { name: 'webhook', namespace: 'ev' }, spec: { dependencies: [], triggers: [{ template: { name: 't1', k8s: { operation: 'create', source: { resource: { kind: 'Workflow' } } } } }, { template: { name: 't2', log: {} } }] } };
  const wf = (name: string, trigger: string, ts: number, phase?: string) => ({ metadata: { name, namespace: 'ev', labels: { 'events.argoproj.io/sensor': 'webhook', 'events.argoproj.io/trigger': trigger, 'events.argoproj.io/action-timestamp': String(ts) } }, status: { phase } });
  const wfs = [wf('w-old', 't1', 1000, 'Succeeded'), wf('w-new', 't1', 3000), wf('w-mid', 't1', 2000, 'Running'), wf('w-other', 't2', 5000, 'Failed'), { metadata: { name: 'unlabelled', namespace: 'ev' } }, wf('w-elsewhere', 'nope', 9000)];
  assert.deepEqual(triggeredBy(wfs, 2).get('webhook/t1')!.map((w) => w.metadata.name), ['w-new', 'w-mid']);
  const g = buildEventsGraph([], [sensor], wfs, 2);
  const out = (from: string) => g.edges.filter((e) => e.from === from).map((e) => { const n = g.nodes.find((x) => x.id === e.to)!; return `${n.kind}:${n.name}:${n.status}`; });
  assert.deepEqual(out('sensor/ev/webhook/trigger/t1'), ['Workflow:w-new:Pending', 'Workflow:w-mid:Running']);
  assert.deepEqual(out('sensor/ev/webhook/trigger/t2'), ['Workflow:w-other:Failed']);
  assert.equal(g.nodes.filter((n) => n.kind === 'Workflow').length, 3, 'unlabelled workflows and unknown triggers are left out');
});

function assertLaidOut(laid: { pos: Map<string, { x: number; y: number }> }, edges: { from: string; to: string }[], w: number, h: number) {
  for (const e of edges) assert.ok(laid.pos.get(e.to)!.x > laid.pos.get(e.from)!.x, `${e.from} → ${e.to} runs left to right`);
  const boxes = [...laid.pos.values()].sort((a, b) => a.x - b.x || a.y - b.y);
  for (let i = 1; i < boxes.length; i++) for (let j = i - 1; j >= 0 && boxes[i]!.x - boxes[j]!.x < w; j--) {
    assert.ok(!(Math.abs(boxes[i]!.y - boxes[j]!.y) < h), `nodes overlap at ${JSON.stringify(boxes[i])}`);
  }
}

test('a 300-node workflow DAG (tasks with two dependencies, fan-in) lays out in < 500 ms cold, edges left to right, no overlaps', async () => {
  const tasks = Array.from({ length: 299 }, (_, i) => ({ name: `t${i}`, deps: i < 10 ? [] : i % 7 === 0 ? [`t${i - 10}`, `t${i - 3}`] : [`t${i - 10}`], phase: 'Succeeded' }));
  const g = buildWorkflowGraph({ metadata: { name: 'big' }, status: { nodes: dagStatus('big', tasks) } }, { fanout: 1000 });
  assert.equal(g.nodes.length, 300);
  const laid = await layoutGraph(g, { w: 190, h: 46 });
  assert.equal(laid.pos.size, 300);
  assert.equal(laid.edges.filter((e) => e.d).length, g.edges.length);
  assertLaidOut(laid, g.edges, 190, 46);
  console.log(`# 300-node workflow graph laid out in ${laid.ms.toFixed(1)} ms (cold: the first layout of this process)`);
  assert.ok(laid.ms < 500, `${laid.ms} ms (issue 15's target: 500 ms)`);
});

test('layeredLayout: a small DAG (the diamond) and a graph with a cycle are placed without overlaps', () => {
  const diamond = { nodes: ['r', 'a', 'b', 'c', 'd'].map((id) => ({ id })), edges: [{ from: 'r', to: 'a' }, { from: 'a', to: 'b' }, { from: 'a', to: 'c' }, { from: 'b', to: 'd' }, { from: 'c', to: 'd' }] };
  const l = layeredLayout(diamond, { w: 100, h: 40 });
  assertLaidOut(l, diamond.edges, 100, 40);
  assert.equal(l.pos.get('d')!.x, l.pos.get('b')!.x + 160, 'd one column after b and c');
  assert.equal(l.pos.get('a')!.y, (l.pos.get('b')!.y + l.pos.get('c')!.y) / 2, 'a parent in the middle of its children');
  const cyc = layeredLayout({ nodes: [{ id: 'x' }, { id: 'y' }], edges: [{ from: 'x', to: 'y' }, { from: 'y', to: 'x' }] }, { w: 100, h: 40 });
  assert.equal(cyc.pos.size, 2);
  assert.notDeepEqual(cyc.pos.get('x'), cyc.pos.get('y'));
});

test('a small workflow graph goes through elkjs', async () => {
  const g = buildWorkflowGraph({ metadata: { name: 'd' }, status: { nodes: dagStatus('d', [{ name: 'A', deps: [], phase: 'Succeeded' }, { name: 'B', deps: ['A'], phase: 'Succeeded' }]) } });
  const laid = await layoutGraph(g, { w: 190, h: 46 });
  assertLaidOut(laid, g.edges, 190, 46);
});

test('nextRuns: a cron workflow\'s next runs over its schedules, in its time zone; a bad schedule is named', () => {
  const from = new Date('2026-01-10T12:00:00Z');
  assert.deepEqual(nextRuns({ schedule: '0 3 * * *' }, 3, from).runs.map((d) => d.toISOString()), ['2026-01-11T03:00:00.000Z', '2026-01-12T03:00:00.000Z', '2026-01-13T03:00:00.000Z']);
  assert.deepEqual(nextRuns({ schedule: '0 3 * * *', timezone: 'America/New_York' }, 1, from).runs.map((d) => d.toISOString()), ['2026-01-11T08:00:00.000Z'], 'EST is UTC-5 in January');
  assert.deepEqual(nextRuns({ schedules: ['0 3 * * *', '30 12 * * *'] }, 3, from).runs.map((d) => d.toISOString()), ['2026-01-10T12:30:00.000Z', '2026-01-11T03:00:00.000Z', '2026-01-11T12:30:00.000Z']);
  const bad = nextRuns({ schedule: 'every day' }, 3, from);
  assert.deepEqual(bad.runs, []);
  assert.match(bad.error ?? '', /schedule "every day"/);
  assert.deepEqual(nextRuns(undefined, 3, from), { runs: [] });
});

test('a node\'s containers: from the workflow\'s templates, a templateRef\'s stored template; script, init and sidecars; env values and sources', () => {
  const wf = {
    spec: { templates: [
      { name: 'echo', container: { image: 'busybox', command: ['echo'], args: ['{{inputs.parameters.m}}'], env: [{ name: 'A', value: '1' }, { name: 'T', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }], resources: { requests: { cpu: '100m' } } }, initContainers: [{ name: 'setup', image: 'alpine', command: ['true'] }], sidecars: [{ name: 'db', image: 'postgres:12-alpine' }] },
      { name: 'py', script: { image: 'python:3', command: ['python'], source: 'print(1)' } },
    ] },
    status: { storedTemplates: { 'namespaced/shared/build': { name: 'build', container: { image: 'golang', command: ['go', 'build'] } } } },
  };
  const echo = nodeContainers(wf, { templateName: 'echo' });
  assert.deepEqual(echo.containers.map((c) => `${c.role}:${c.name}:${c.image}`), ['init:setup:alpine', 'main:main:busybox', 'sidecar:db:postgres:12-alpine']);
  assert.deepEqual(echo.containers[1]!.env, [{ name: 'A', value: '1' }, { name: 'T', value: 'from secretKeyRef {"name":"s","key":"k"}' }]);
  assert.deepEqual(echo.containers[1]!.resources, { requests: { cpu: '100m' } });
  assert.equal(nodeContainers(wf, { templateName: 'py' }).containers[0]!.source, 'print(1)');
  assert.deepEqual(nodeContainers(wf, { templateRef: { name: 'shared', template: 'build' } }).containers.map((c) => c.command.join(' ')), ['go build']);
  assert.deepEqual(nodeContainers(wf, { templateName: 'nope' }), { template: 'nope', containers: [] });
});

test('cluster templates page: a template\'s kind and image', () => {
  assert.deepEqual(templateKind({ name: 'a', container: { image: 'busybox' } }), { kind: 'container', image: 'busybox' });
  assert.deepEqual(templateKind({ name: 'b', script: { image: 'python:3', source: 'print(1)' } }), { kind: 'script', image: 'python:3' });
  assert.deepEqual(templateKind({ name: 'c', containerSet: { containers: [{ name: 'x', image: 'a' }, { name: 'y', image: 'b' }] } }), { kind: 'containerSet', image: 'a, b' });
  assert.deepEqual(templateKind({ name: 'd', steps: [[{ name: 's', template: 'a' }]] }), { kind: 'steps', image: '' });
  assert.deepEqual(templateKind({ name: 'e', dag: { tasks: [] } }), { kind: 'dag', image: '' });
  assert.deepEqual(templateKind({ name: 'f', suspend: {} }), { kind: 'suspend', image: '' });
  assert.deepEqual(templateKind({ name: 'g' }), { kind: '-', image: '' });
});
