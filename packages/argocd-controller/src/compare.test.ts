/**
 * compareApp with the real engine (settings, diff, health): per-resource verdicts, the app's sync
 * status and health, hooks kept apart, extraneous and IgnoreExtraneous objects, project
 * permissions, orphaned resources, images.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '@flotilla/apimachinery';
import type { AppProject, Application } from '@flotilla/argocd-engine';
import { parseSettings } from '@flotilla/argocd-engine/settings';
import { compareApp, normalizeTarget, resourceStatuses, type CompareInput } from './compare.js';

const settings = parseSettings({});
const app: Application = {
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Application',
  metadata: { name: 'gb', namespace: 'argocd' },
  spec: { project: 'default', source: { repoURL: 'r', path: 'p' }, destination: { server: 'https://kubernetes.default.svc', namespace: 'ns' } },
};
const project = (spec: AppProject['spec'] = { sourceRepos: ['*'], destinations: [{ server: '*', namespace: '*' }], clusterResourceWhitelist: [{ group: '*', kind: '*' }] }): AppProject => ({ apiVersion: 'argoproj.io/v1alpha1', kind: 'AppProject', metadata: { name: 'default' }, spec });
const cm = (name: string, data: Record<string, string>, extra: Record<string, unknown> = {}): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...extra }, data } as KubeObject);
const live = (o: KubeObject, more: Record<string, unknown> = {}): KubeObject =>
  ({ ...o, metadata: { ...o.metadata, namespace: 'ns', uid: `uid-${o.metadata?.name}`, resourceVersion: '1', creationTimestamp: '2026-01-01T00:00:00Z', labels: { ...(o.metadata?.labels ?? {}), 'app.kubernetes.io/instance': 'gb' }, ...more } }) as KubeObject;
const deploy = (ready: number): KubeObject =>
  ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'ns', generation: 1, labels: { 'app.kubernetes.io/instance': 'gb' } },
    spec: { replicas: 1, selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'nginx:1' }] } } },
    status: { observedGeneration: 1, replicas: 1, updatedReplicas: 1, readyReplicas: ready, availableReplicas: ready },
  }) as KubeObject;

function input(targets: KubeObject[], lives: KubeObject[], o: Partial<CompareInput> = {}): CompareInput {
  const byKey = new Map(lives.map((l) => [`${(l.apiVersion ?? '').includes('/') ? l.apiVersion!.split('/')[0] : ''}/${l.kind}/${l.metadata?.namespace ?? ''}/${l.metadata?.name}`, l]));
  return {
    app,
    project: project(),
    targets,
    live: (g, k, ns, n) => byKey.get(`${g}/${k}/${ns ?? ''}/${n}`),
    tracked: lives,
    kindInfo: (g, k) => ({ namespaced: k !== 'Namespace' && k !== 'ClusterRole', version: 'v1' }),
    settings,
    server: 'https://kubernetes.default.svc',
    controllerNamespace: 'argocd',
    ...o,
  };
}

test('normalizeTarget: destination namespace for namespaced kinds, none for cluster-scoped', () => {
  assert.equal(normalizeTarget(cm('a', {}), 'ns', { namespaced: true, version: 'v1' }).metadata?.namespace, 'ns');
  assert.equal(normalizeTarget(cm('a', {}, { namespace: 'other' }), 'ns', { namespaced: true, version: 'v1' }).metadata?.namespace, 'other');
  assert.equal(normalizeTarget({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x', namespace: 'ns' } }, 'ns', { namespaced: false, version: 'v1' }).metadata?.namespace, undefined);
});

test('verdicts: synced, modified, missing; app status is the worst', async () => {
  const a = cm('a', { k: '1' });
  const b = cm('b', { k: '1' });
  const rows: [KubeObject[], KubeObject[], string, string[]][] = [
    [[a], [live(a)], 'Synced', ['ConfigMap/a:Synced']],
    [[a], [live(cm('a', { k: '2' }))], 'OutOfSync', ['ConfigMap/a:OutOfSync']],
    [[a, b], [live(a)], 'OutOfSync', ['ConfigMap/a:Synced', 'ConfigMap/b:OutOfSync']],
  ];
  for (const [targets, lives, want, res] of rows) {
    const c = await compareApp(input(targets, lives));
    assert.equal(c.syncStatus, want);
    assert.deepEqual(c.resources.map((r) => `${r.kind}/${r.name}:${r.status}`).sort(), res);
  }
  const missing = await compareApp(input([a, b], [live(a)]));
  assert.equal(missing.health.status, 'Missing');
});

test('health: the worst resource health; extraneous resources do not count', async () => {
  const d = deploy(0);
  const c = await compareApp(input([{ ...d, status: undefined } as KubeObject], [d]));
  assert.equal(c.health.status, 'Progressing');
  const ok = await compareApp(input([{ ...deploy(1), status: undefined } as KubeObject], [deploy(1), live(cm('old', {}))]));
  assert.equal(ok.health.status, 'Healthy');
  assert.deepEqual(ok.images, ['nginx:1']);
  const st = resourceStatuses(ok, () => ({ namespaced: true, version: 'v1' }));
  assert.deepEqual(st.map((s) => [s.group ?? '', s.kind, s.status, s.requiresPruning ?? false]), [['', 'ConfigMap', 'OutOfSync', true], ['apps', 'Deployment', 'Synced', false]]);
});

test('extraneous objects make the app OutOfSync unless IgnoreExtraneous', async () => {
  const a = cm('a', { k: '1' });
  const extra = await compareApp(input([a], [live(a), live(cm('x', {}))]));
  assert.equal(extra.syncStatus, 'OutOfSync');
  assert.equal(extra.resources.find((r) => r.name === 'x')?.requiresPruning, true);
  const ignored = await compareApp(input([a], [live(a), live(cm('x', {}), { annotations: { 'argocd.argoproj.io/compare-options': 'IgnoreExtraneous' } })]));
  assert.equal(ignored.syncStatus, 'Synced');
});

test('hooks are kept apart (generateName too) and are not compared', async () => {
  const job = { apiVersion: 'batch/v1', kind: 'Job', metadata: { generateName: 'pre-', annotations: { 'argocd.argoproj.io/hook': 'PreSync' } }, spec: {} } as KubeObject;
  const helm = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'h', annotations: { 'helm.sh/hook': 'post-install' } }, spec: {} } as KubeObject;
  const c = await compareApp(input([cm('a', {}), job, helm], [live(cm('a', {}))]));
  assert.equal(c.hooks.length, 2);
  assert.equal(c.resources.length, 1);
  assert.equal(c.syncStatus, 'Synced');
});

test('project rules: kinds outside the allow lists are an InvalidSpecError', async () => {
  const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x' } } as KubeObject;
  const c = await compareApp(input([ns, cm('a', {})], [], { project: project({ sourceRepos: ['*'], destinations: [{ server: '*', namespace: '*' }], namespaceResourceBlacklist: [{ group: '', kind: 'ConfigMap' }] }) }));
  const cond = c.conditions.find((x) => x.type === 'InvalidSpecError');
  assert.ok(cond);
  assert.match(cond!.message, /\/Namespace x, \/ConfigMap a not permitted in project default/);
});

test('orphaned resources warn when the project asks', async () => {
  const a = cm('a', {});
  const orphan = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'stray', namespace: 'ns' } } as KubeObject;
  const rootCa = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kube-root-ca.crt', namespace: 'ns' } } as KubeObject;
  const p = project({ sourceRepos: ['*'], destinations: [{ server: '*', namespace: '*' }], orphanedResources: { warn: true } });
  const c = await compareApp(input([a], [live(a)], { project: p, namespaceObjects: [live(a), orphan, rootCa] }));
  assert.deepEqual(c.conditions.map((x) => x.message), ['Application has 1 orphaned resources']);
  const ignored = await compareApp(input([a], [live(a)], { project: { ...p, spec: { ...p.spec, orphanedResources: { warn: true, ignore: [{ kind: 'ConfigMap', name: 'stray' }] } } }, namespaceObjects: [orphan] }));
  assert.equal(ignored.conditions.length, 0);
});

test('a repeated resource is reported once with a warning', async () => {
  const c = await compareApp(input([cm('a', {}), cm('a', {})], []));
  assert.equal(c.resources.length, 1);
  assert.equal(c.conditions[0].type, 'RepeatedResourceWarning');
});
