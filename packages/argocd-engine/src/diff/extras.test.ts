// Table tests: server-side diff choice, RespectIgnoreDifferences, ignoreResourceUpdates, aggregated roles.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseSettings } from '../settings/index.js';
import type { KubeObject } from '../types.js';
import { diffResource, isIgnorableUpdate, respectIgnoreDifferences, wantsServerSideDiff } from './index.js';

const dep = (replicas: number, image = 'nginx', ann: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'demo', annotations: ann },
  spec: { replicas, template: { spec: { containers: [{ name: 'web', image }, { name: 'side', image: 'envoy' }] } } },
});

describe('wantsServerSideDiff', () => {
  const on = parseSettings({}, { 'controller.diff.server.side': 'true' });
  const off = parseSettings({});
  const table: [string, KubeObject | null, ArgoSettingsLike, boolean][] = [
    ['default off', dep(1), off, false],
    ['controller.diff.server.side', dep(1), on, true],
    ['annotation true wins', dep(1, 'nginx', { 'argocd.argoproj.io/compare-options': 'ServerSideDiff=true' }), off, true],
    ['annotation false wins', dep(1, 'nginx', { 'argocd.argoproj.io/compare-options': 'IgnoreExtraneous,ServerSideDiff=false' }), on, false],
  ];
  type ArgoSettingsLike = ReturnType<typeof parseSettings>;
  for (const [name, t, s, want] of table) test(name, () => assert.equal(wantsServerSideDiff(t, null, s), want));
});

describe('respectIgnoreDifferences', () => {
  test('ignored fields take their live values; others are the target', () => {
    const out = respectIgnoreDifferences(dep(1, 'nginx:2'), dep(5, 'nginx:1'), [{ group: 'apps', kind: 'Deployment', jsonPointers: ['/spec/replicas'], jqPathExpressions: ['.spec.template.spec.containers[] | select(.name == "side").image'] }]);
    assert.equal((out.spec as { replicas: number }).replicas, 5);
    const cs = (out.spec as { template: { spec: { containers: { name: string; image: string }[] } } }).template.spec.containers;
    assert.equal(cs[0].image, 'nginx:2');
    assert.equal(cs[1].image, 'envoy');
  });
  test('an ignored field absent live is left out', () => {
    const live = dep(1);
    delete (live.spec as { replicas?: number }).replicas;
    const out = respectIgnoreDifferences(dep(3), live, [{ group: 'apps', kind: 'Deployment', jsonPointers: ['/spec/replicas'] }]);
    assert.equal('replicas' in (out.spec as object), false);
  });
  test('no live object: the target as is', () => {
    assert.deepEqual(respectIgnoreDifferences(dep(3), null, [{ group: 'apps', kind: 'Deployment', jsonPointers: ['/spec/replicas'] }]), dep(3));
  });
  test('argocd-cm rules count too', () => {
    const s = parseSettings({ 'resource.customizations.ignoreDifferences.apps_Deployment': 'jsonPointers: [/spec/replicas]' });
    assert.equal((respectIgnoreDifferences(dep(1), dep(4), undefined, s).spec as { replicas: number }).replicas, 4);
  });
});

describe('isIgnorableUpdate', () => {
  const s = parseSettings({
    'resource.customizations.ignoreResourceUpdates.all': 'jsonPointers: [/status]',
    'resource.customizations.ignoreResourceUpdates.apps_ReplicaSet': `jqPathExpressions: ['.metadata.annotations."deployment.kubernetes.io/desired-replicas"']`,
    'resource.customizations.ignoreDifferences.apps_Deployment': 'jsonPointers: [/spec/replicas]',
  });
  const rs = (desired: string, replicas: number, rv: string): KubeObject => ({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'r', resourceVersion: rv, annotations: { 'deployment.kubernetes.io/desired-replicas': desired } }, spec: { replicas }, status: { readyReplicas: Number(desired) } });
  test('only ignored fields and resourceVersion changed', () => assert.equal(isIgnorableUpdate(rs('1', 1, '1'), rs('2', 1, '2'), s), true));
  test('a spec change is not ignorable', () => assert.equal(isIgnorableUpdate(rs('1', 1, '1'), rs('1', 2, '2'), s), false));
  test('ignoreDifferences count when ignoreDifferencesOnResourceUpdates is on (default)', () => {
    assert.equal(isIgnorableUpdate(dep(1), dep(2), s), true);
    const off = parseSettings({ 'resource.customizations.ignoreDifferences.apps_Deployment': 'jsonPointers: [/spec/replicas]', 'resource.compareoptions': 'ignoreDifferencesOnResourceUpdates: false' });
    assert.equal(isIgnorableUpdate(dep(1), dep(2), off), false);
  });
});

describe('ignoreAggregatedRoles', () => {
  const role = (rules: unknown[]): KubeObject => ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'agg' }, aggregationRule: { clusterRoleSelectors: [{ matchLabels: { a: 'b' } }] }, rules });
  test('rules filled by the aggregator are no difference when the option is on', () => {
    const live = role([{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }]);
    assert.equal(diffResource(role([]), live, { settings: parseSettings({ 'resource.compareoptions': 'ignoreAggregatedRoles: true' }) }).modified, false);
    assert.equal(diffResource(role([]), live, { settings: parseSettings({}) }).modified, true);
  });
});

describe('sync status', async () => {
  const { appSyncStatus, resourceSyncStatus, requiresPruning } = await import('./index.js');
  test('per resource and per app', () => {
    assert.equal(resourceSyncStatus({ modified: false }), 'Synced');
    assert.equal(resourceSyncStatus({ modified: true }), 'OutOfSync');
    assert.equal(requiresPruning({ mode: 'prune' }), true);
    assert.equal(requiresPruning({ mode: 'three-way' }), false);
    assert.equal(appSyncStatus([]), 'Synced');
    assert.equal(appSyncStatus([{ modified: false, mode: 'two-way', ignoreExtraneous: false }, { modified: true, mode: 'prune', ignoreExtraneous: true }]), 'Synced');
    assert.equal(appSyncStatus([{ modified: true, mode: 'prune', ignoreExtraneous: false }]), 'OutOfSync');
    assert.equal(appSyncStatus([{ modified: true, mode: 'three-way', ignoreExtraneous: true }]), 'OutOfSync', 'IgnoreExtraneous only covers extraneous objects');
  });
});

describe('malformed objects do not crash the comparison or the planner', async () => {
  const { planSync } = await import('../sync/index.js');
  const weird = [
    {},
    { kind: 'Secret', apiVersion: 'v1', data: null },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: null },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { annotations: null, labels: 'x' } },
    { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'a', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{bad' } }, spec: [1, 2] },
    { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'a', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '[1]' } }, spec: { template: { spec: { containers: 'x' } } } },
    { apiVersion: 'v1', kind: 'Secret', stringData: { a: 1 }, data: 'x' },
  ] as unknown as KubeObject[];
  const annotation = parseSettings({ 'application.resourceTrackingMethod': 'annotation' });
  test('every pair compares', () => {
    for (const a of weird) for (const b of weird) {
      assert.doesNotThrow(() => diffResource(a, b, { appName: 'x', settings: annotation }));
      assert.doesNotThrow(() => diffResource(a, b, { ignoreDifferences: [{ kind: '*', jsonPointers: ['/spec/0'], jqPathExpressions: ['.spec[]?'] }] }));
    }
  });
  test('every object plans', () => {
    for (const a of weird) assert.doesNotThrow(() => planSync({ targets: [a], live: weird, operation: { prune: true } }));
  });
});
