/**
 * The pipeline view's pure part (`src/lib/pipeline.ts`) on the demo's own objects: the EventSource,
 * Sensor and Application of `examples/pipeline/`, the Rollout of its seeded `deploy` repository, and
 * Workflows as the Sensor's k8s trigger creates them (its labels, the commit in parameter 0) with the
 * statuses the controllers write.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';
import { buildPipeline, canaryWeight, eventValue, rolloutState, workflowTrigger, type Chain } from './lib/pipeline.js';

const DIR = fileURLToPath(new URL('../../../examples/pipeline/', import.meta.url));
const docs = (f: string) => parseAllDocuments(readFileSync(DIR + f, 'utf8')).map((d) => d.toJS());
const events = docs('30-events.yaml');
const ready = { conditions: [{ type: 'Deployed', status: 'True' }, { type: 'SourcesProvided', status: 'True' }] };
const eventSource = { ...events.find((o) => o.kind === 'EventSource'), status: ready };
const sensor = { ...events.find((o) => o.kind === 'Sensor'), status: ready };
const appManifest = docs('40-argocd.yaml').find((o) => o.kind === 'Application');
const seed = docs('10-git-server.yaml').find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'git-seed');
const rolloutManifest = { ...parse(seed.data['deploy.rollout.yaml']), metadata: { name: 'rollouts-demo', namespace: 'flotilla-demo', generation: 2 } };

const C1 = 'a6adef20c0ffee00000000000000000000000001';
const C2 = 'b7bdef20c0ffee00000000000000000000000002';
const R1 = '0250b27b00000000000000000000000000000001';
const R2 = '1350b27b00000000000000000000000000000002';

/** A Workflow as the Sensor `ci` creates it (its trigger's labels, the pushed commit in parameter 0), with steps and outputs. */
function workflow(name: string, commit: string, created: string, phase: string | undefined, steps: [string, string, Record<string, string>?][] = []) {
  const resource = structuredClone(sensor.spec.triggers[0].template.k8s.source.resource);
  resource.metadata = { ...resource.metadata, name, creationTimestamp: created, labels: { ...resource.metadata.labels, 'events.argoproj.io/sensor': 'ci', 'events.argoproj.io/trigger': 'submit-ci' } };
  resource.spec.arguments.parameters[0].value = commit;
  const nodes: Record<string, unknown> = { [name]: { id: name, name, displayName: name, type: 'Steps', phase } };
  steps.forEach(([step, p, outs], i) => (nodes[`${name}-${i}`] = { id: `${name}-${i}`, name: `${name}[${i}].${step}`, displayName: step, type: 'Pod', phase: p, startedAt: `2026-01-01T00:00:0${i}Z`, outputs: outs ? { parameters: Object.entries(outs).map(([k, value]) => ({ name: k, value: `${value}\n` })) } : undefined }));
  return { ...resource, status: phase ? { phase, nodes } : {} };
}
const app = (status: unknown) => ({ ...appManifest, metadata: { ...appManifest.metadata, namespace: 'argocd' }, status });
const rollout = (image: string, status: unknown) => {
  const r = structuredClone(rolloutManifest);
  r.spec.template.spec.containers[0].image = image;
  return { ...r, status };
};
const ROREF = [{ group: 'argoproj.io', version: 'v1alpha1', kind: 'Rollout', namespace: 'flotilla-demo', name: 'rollouts-demo', status: 'Synced' }];
const by = (c: Chain) => Object.fromEntries(c.stages.map((s) => [s.id, `${s.state}: ${s.status}`]));

const done = workflow('ci-aaaaa', C1, '2026-01-01T00:00:00Z', 'Succeeded', [['test', 'Succeeded'], ['build', 'Succeeded', { image: 'argoproj/rollouts-demo:yellow' }], ['deploy', 'Succeeded', { revision: R1 }]]);

test('pipeline: the demo sensor creates Workflows; the pushed commit is read back through its trigger parameters', () => {
  const t = workflowTrigger(sensor);
  assert.equal(t?.name, 'submit-ci');
  assert.deepEqual(eventValue(done, t), { key: 'body.after', value: C1 });
  assert.equal(workflowTrigger({ metadata: { name: 'log' }, spec: { triggers: [{ template: { name: 'log', log: {} } }] } }), undefined, 'a log trigger creates no Workflow');
  assert.equal(canaryWeight(rolloutManifest.spec.strategy.canary.steps, 1), 20);
  assert.equal(canaryWeight(rolloutManifest.spec.strategy.canary.steps, 3), 50);
  assert.equal(canaryWeight(rolloutManifest.spec.strategy.canary.steps, 5), 100);
});

test('pipeline: a new push while the workflow runs — the chain shows the new commit, Argo CD and the Rollout still on the previous run', () => {
  const running = workflow('ci-bbbbb', C2, '2026-01-01T00:05:00Z', 'Running', [['test', 'Succeeded'], ['build', 'Running']]);
  const c = buildPipeline({
    ns: 'flotilla-demo', eventSources: [eventSource], sensors: [sensor], workflows: [done, running],
    applications: [app({ sync: { status: 'Synced', revision: R1 }, health: { status: 'Healthy' }, resources: ROREF, operationState: { phase: 'Succeeded', syncResult: { revision: R1 } } })],
    rollouts: { 'flotilla-demo/rollouts-demo': rollout('argoproj/rollouts-demo:yellow', { phase: 'Healthy', currentStepIndex: 5, currentPodHash: 'h1', stableRS: 'h1' }) },
  });
  assert.deepEqual(c.stages.map((s) => s.kind), ['git push', 'EventSource', 'Sensor', 'Workflow', 'Application', 'Rollout']);
  assert.deepEqual(by(c), {
    push: 'ok: commit b7bdef20',
    eventsource: 'ok: Ready',
    sensor: 'ok: Ready',
    workflow: 'running: Running',
    application: `waiting: waiting for the workflow (at 0250b27b)`,
    rollout: 'waiting: runs argoproj/rollouts-demo:yellow (this run has not built yet)',
  });
  assert.equal(c.stages[1]!.name, 'git-push');
  assert.equal(c.stages[2]!.name, 'ci');
  assert.equal(c.stages[3]!.route, 'workflows/flotilla-demo/ci-bbbbb');
  assert.deepEqual(c.stages[3]!.details, ['test: Succeeded', 'build: Running']);
  assert.deepEqual(c.links.slice(0, 3), ['POST :12000/push', 'dependency push', 'trigger submit-ci']);
  assert.deepEqual(c.runs.map((r) => `${r.name} ${r.phase} ${r.event?.slice(0, 8)}`), ['ci-bbbbb Running b7bdef20', 'ci-aaaaa Succeeded a6adef20'], 'newest first');
  assert.equal(c.run, 'ci-bbbbb');
  // the previous run, chosen: all done
  const prev = buildPipeline({ ns: 'flotilla-demo', eventSources: [eventSource], sensors: [sensor], workflows: [done, running], run: 'ci-aaaaa', applications: [app({ sync: { status: 'Synced', revision: R1 }, resources: ROREF })], rollouts: { 'flotilla-demo/rollouts-demo': rollout('argoproj/rollouts-demo:yellow', { phase: 'Healthy', currentStepIndex: 5 }) } });
  assert.deepEqual(by(prev), { push: 'ok: commit a6adef20', eventsource: 'ok: Ready', sensor: 'ok: Ready', workflow: 'ok: Succeeded', application: 'ok: Synced to 0250b27b', rollout: 'ok: Healthy, weight 100 %' });
  assert.deepEqual(prev.links, ['POST :12000/push', 'dependency push', 'trigger submit-ci', 'commit 0250b27b', 'image argoproj/rollouts-demo:yellow']);
  assert.equal(prev.stages[4]!.route, 'applications/argocd/pipeline-demo');
});

test('pipeline: workflow done → Argo CD syncing its commit → the canary paused at 20 % → aborted', () => {
  const base = { ns: 'flotilla-demo', eventSources: [eventSource], sensors: [sensor], workflows: [done] };
  const old = rollout('argoproj/rollouts-demo:blue', { phase: 'Healthy', currentStepIndex: 5 });
  let c = buildPipeline({ ...base, applications: [app({ sync: { status: 'OutOfSync', revision: R2.replace('13', '00') }, resources: ROREF })], rollouts: { 'flotilla-demo/rollouts-demo': old } });
  assert.equal(by(c).application, 'running: waiting to sync 0250b27b (at 0050b27b)');
  assert.equal(by(c).rollout, "waiting: runs argoproj/rollouts-demo:blue, not this run's argoproj/rollouts-demo:yellow");
  c = buildPipeline({ ...base, applications: [app({ sync: { status: 'OutOfSync' }, resources: ROREF, operationState: { phase: 'Running', operation: { sync: { revision: R1 } } } })], rollouts: { 'flotilla-demo/rollouts-demo': old } });
  assert.equal(by(c).application, 'running: Syncing to 0250b27b');
  const synced = app({ sync: { status: 'Synced', revision: R1 }, resources: ROREF, operationState: { phase: 'Succeeded' } });
  c = buildPipeline({ ...base, applications: [synced], rollouts: { 'flotilla-demo/rollouts-demo': rollout('argoproj/rollouts-demo:yellow', { phase: 'Paused', currentStepIndex: 1, message: 'CanaryPauseStep' }) } });
  assert.equal(by(c).rollout, 'running: Paused, step 1/5, weight 20 %');
  assert.ok(c.stages[5]!.details.includes('message: CanaryPauseStep'));
  c = buildPipeline({ ...base, applications: [synced], rollouts: { 'flotilla-demo/rollouts-demo': rollout('argoproj/rollouts-demo:yellow', { phase: 'Progressing', currentStepIndex: 3, canary: { weights: { canary: { weight: 60 } } } }) } });
  assert.equal(by(c).rollout, 'running: Progressing, step 3/5, weight 60 %', "the controller's weight wins over the step's");
  c = buildPipeline({ ...base, applications: [synced], rollouts: { 'flotilla-demo/rollouts-demo': rollout('argoproj/rollouts-demo:yellow', { phase: 'Degraded', abort: true, currentStepIndex: 1, message: 'RolloutAborted: metric "error-rate" assessed Failed' }) } });
  assert.equal(by(c).rollout, 'failed: Aborted at step 1/5: the stable version keeps serving');
  // a later sync of another commit: this run's commit is in the history
  c = buildPipeline({ ...base, applications: [app({ sync: { status: 'Synced', revision: R2 }, history: [{ id: 0, revision: R1 }, { id: 1, revision: R2 }], resources: ROREF })], rollouts: {} });
  assert.equal(by(c).application, 'ok: Synced 0250b27b (now at 1350b27b)');
  assert.equal(by(c).rollout, 'unknown: not found in the cluster');
  // a failed sync
  c = buildPipeline({ ...base, applications: [app({ sync: { status: 'OutOfSync' }, operationState: { phase: 'Failed', message: 'one or more objects failed to apply' } })] });
  assert.equal(by(c).application, 'failed: Sync Failed');
  assert.equal(by(c).rollout, 'unknown: the Application has no Rollout');
});

test('pipeline: a failed workflow; no event yet; the other server not reachable; no Application for the namespace', () => {
  const failed = workflow('ci-ccccc', 'f00d', '2026-01-01T00:00:00Z', 'Failed', [['test', 'Failed']]);
  let c = buildPipeline({ ns: 'flotilla-demo', eventSources: [eventSource], sensors: [sensor], workflows: [failed], applications: [app({ sync: { status: 'Synced', revision: R1 } })] });
  assert.equal(by(c).workflow, 'failed: Failed');
  assert.equal(by(c).push, 'ok: body.after f00d', 'not a commit: named by its data key');
  assert.equal(c.stages[0]!.kind, 'event');
  c = buildPipeline({ ns: 'flotilla-demo', eventSources: [], sensors: [sensor], workflows: [] });
  assert.equal(by(c).push, 'waiting: no event yet');
  assert.equal(by(c).eventsource, 'unknown: not found');
  assert.equal(by(c).workflow, 'waiting: not triggered yet');
  assert.equal(by(c).application, 'unreachable: argocd-server not reachable from this page');
  assert.equal(by(c).rollout, 'unreachable: argocd-server not reachable from this page');
  c = buildPipeline({ ns: 'flotilla-demo', applications: [app({ sync: { status: 'Synced', revision: R1 }, resources: ROREF })], rollouts: { 'flotilla-demo/rollouts-demo': rollout('argoproj/rollouts-demo:blue', { phase: 'Healthy', currentStepIndex: 5 }) }, argoServerNote: 'argo-server URL not set' });
  assert.deepEqual(by(c), { push: 'unreachable: argo-server not reachable from this page', eventsource: 'unreachable: argo-server not reachable from this page', sensor: 'unreachable: argo-server not reachable from this page', workflow: 'unreachable: argo-server not reachable from this page', application: 'ok: Synced to 0250b27b', rollout: 'ok: Healthy, weight 100 %' });
  assert.deepEqual(c.stages[0]!.details, ['argo-server URL not set']);
  c = buildPipeline({ ns: 'elsewhere', eventSources: [], sensors: [], workflows: [], applications: [app({})] });
  assert.equal(by(c).sensor, 'unknown: no sensor creates Workflows here');
  assert.equal(by(c).application, 'unknown: no Application deploys into elsewhere');
  assert.equal(by(c).rollout, 'waiting: no Application');
  // workflows of another sensor are not this pipeline's runs
  const other = { ...done, metadata: { ...done.metadata, name: 'other', labels: { 'events.argoproj.io/sensor': 'nightly' } } };
  c = buildPipeline({ ns: 'flotilla-demo', eventSources: [eventSource], sensors: [sensor], workflows: [other] });
  assert.deepEqual(c.runs, []);
  assert.equal(rolloutState(rollout('x:1', { phase: 'Healthy', currentPodHash: 'a', stableRS: 'b' })).done, false, 'healthy but the stable ReplicaSet is not the current one yet');
});

test("argo-server through Argo CD's proxy extension: the namespace's Application names the request", async () => {
  const { namespaceApplication, extensionRequest, ARGO_EXTENSION } = await import('./lib/pipeline.js');
  const other = { metadata: { name: 'elsewhere', namespace: 'argocd' }, spec: { project: 'default', destination: { namespace: 'other' } } };
  const app = namespaceApplication([other, appManifest], 'flotilla-demo');
  assert.equal(app?.metadata.name, 'pipeline-demo');
  assert.equal(namespaceApplication([other], 'flotilla-demo'), undefined);
  assert.equal(ARGO_EXTENSION, 'argo-workflows');
  assert.deepEqual(extensionRequest(app), { prefix: 'extensions/argo-workflows/', headers: { 'Argocd-Application-Name': 'argocd:pipeline-demo', 'Argocd-Project-Name': 'default' } });
  assert.deepEqual(extensionRequest({ metadata: { name: 'x', namespace: 'team' }, spec: {} }).headers, { 'Argocd-Application-Name': 'team:x', 'Argocd-Project-Name': 'default' });
});
