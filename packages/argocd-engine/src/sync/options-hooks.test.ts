// Table tests: sync options, hook mapping (Argo CD and Helm), delete policies, waves, kind order.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { KubeObject } from '../types.js';
import { compareKinds, DEFAULT_SYNC_OPTIONS, hookDeletePolicies, hookInfo, isHook, kindOrder, KIND_ORDER, parseSyncOptions, syncWave } from './index.js';

const obj = (annotations: Record<string, string> = {}, kind = 'Job'): KubeObject => ({ apiVersion: 'batch/v1', kind, metadata: { name: 'x', annotations } });

describe('parseSyncOptions', () => {
  test('defaults', () => assert.deepEqual(parseSyncOptions(), { options: { ...DEFAULT_SYNC_OPTIONS }, errors: [] }));
  const table: [string, string[], Partial<typeof DEFAULT_SYNC_OPTIONS>][] = [
    ['CreateNamespace=true', ['CreateNamespace=true'], { createNamespace: true }],
    ['Prune=false', ['Prune=false'], { prune: false }],
    ['Prune=confirm', ['Prune=confirm'], { pruneConfirm: true }],
    ['PruneLast=true', ['PruneLast=true'], { pruneLast: true }],
    ['Validate=false', ['Validate=false'], { validate: false }],
    ['ApplyOutOfSyncOnly=true', ['ApplyOutOfSyncOnly=true'], { applyOutOfSyncOnly: true }],
    ['ServerSideApply=true', ['ServerSideApply=true'], { serverSideApply: true }],
    ['Replace=true', ['Replace=true'], { replace: true }],
    ['Force=true', ['Force=true'], { force: true }],
    ['PrunePropagationPolicy=background', ['PrunePropagationPolicy=background'], { prunePropagationPolicy: 'background' }],
    ['PrunePropagationPolicy=orphan', ['PrunePropagationPolicy=orphan'], { prunePropagationPolicy: 'orphan' }],
    ['RespectIgnoreDifferences=true', ['RespectIgnoreDifferences=true'], { respectIgnoreDifferences: true }],
    ['FailOnSharedResource=true', ['FailOnSharedResource=true'], { failOnSharedResource: true }],
    ['Delete=false', ['Delete=false'], { delete: false }],
    ['Delete=confirm', ['Delete=confirm'], { deleteConfirm: true }],
    ['SkipDryRunOnMissingResource=true', ['SkipDryRunOnMissingResource=true'], { skipDryRunOnMissingResource: true }],
    ['several, with spaces', [' Prune=false ', 'Replace=true'], { prune: false, replace: true }],
  ];
  for (const [name, list, want] of table) test(name, () => assert.deepEqual(parseSyncOptions(list), { options: { ...DEFAULT_SYNC_OPTIONS, ...want }, errors: [] }));
  test('later lists win: app policy, then operation, then the resource annotation (a string)', () => {
    const r = parseSyncOptions(['Prune=false', 'Validate=false'], ['Validate=true'], 'Prune=true,Replace=true');
    assert.equal(r.options.prune, true);
    assert.equal(r.options.validate, true);
    assert.equal(r.options.replace, true);
  });
  test('bad options are named, the rest applies', () => {
    const r = parseSyncOptions(['Prune=maybe', 'Bogus=true', 'PrunePropagationPolicy=sideways', 'CreateNamespace=true']);
    assert.deepEqual(r.errors, ['invalid sync option "Prune=maybe"', 'unknown sync option "Bogus=true"', 'invalid sync option "PrunePropagationPolicy=sideways"']);
    assert.equal(r.options.createNamespace, true);
    assert.equal(r.options.prune, true);
  });
});

describe('hooks', () => {
  const table: [string, Record<string, string>, { hook: boolean; types: string[]; helm: boolean }][] = [
    ['no annotation', {}, { hook: false, types: [], helm: false }],
    ['PreSync', { 'argocd.argoproj.io/hook': 'PreSync' }, { hook: true, types: ['PreSync'], helm: false }],
    ['several', { 'argocd.argoproj.io/hook': 'PreSync, PostSync' }, { hook: true, types: ['PreSync', 'PostSync'], helm: false }],
    ['SyncFail', { 'argocd.argoproj.io/hook': 'SyncFail' }, { hook: true, types: ['SyncFail'], helm: false }],
    ['PostDelete', { 'argocd.argoproj.io/hook': 'PostDelete' }, { hook: true, types: ['PostDelete'], helm: false }],
    ['Skip', { 'argocd.argoproj.io/hook': 'Skip' }, { hook: true, types: ['Skip'], helm: false }],
    ['unknown type is ignored', { 'argocd.argoproj.io/hook': 'Bogus' }, { hook: true, types: [], helm: false }],
    ['helm pre-install → PreSync', { 'helm.sh/hook': 'pre-install' }, { hook: true, types: ['PreSync'], helm: true }],
    ['helm pre-upgrade → PreSync', { 'helm.sh/hook': 'pre-upgrade' }, { hook: true, types: ['PreSync'], helm: true }],
    ['helm pre-install,pre-upgrade → PreSync once', { 'helm.sh/hook': 'pre-install,pre-upgrade' }, { hook: true, types: ['PreSync'], helm: true }],
    ['helm post-install → PostSync', { 'helm.sh/hook': 'post-install' }, { hook: true, types: ['PostSync'], helm: true }],
    ['helm post-upgrade → PostSync', { 'helm.sh/hook': 'post-upgrade' }, { hook: true, types: ['PostSync'], helm: true }],
    ['helm post-delete → PostDelete', { 'helm.sh/hook': 'post-delete' }, { hook: true, types: ['PostDelete'], helm: true }],
    ['helm test-success: unsupported, not synced', { 'helm.sh/hook': 'test-success' }, { hook: true, types: [], helm: true }],
    ['helm pre-delete: unsupported', { 'helm.sh/hook': 'pre-delete' }, { hook: true, types: [], helm: true }],
    ['helm pre-rollback: unsupported', { 'helm.sh/hook': 'pre-rollback' }, { hook: true, types: [], helm: true }],
    ['helm crd-install: an ordinary resource', { 'helm.sh/hook': 'crd-install' }, { hook: false, types: [], helm: true }],
    ['Argo CD annotation wins over Helm', { 'argocd.argoproj.io/hook': 'Sync', 'helm.sh/hook': 'pre-install' }, { hook: true, types: ['Sync'], helm: false }],
  ];
  for (const [name, ann, want] of table) test(name, () => assert.deepEqual(hookInfo(obj(ann)), want));
  test('Skip is not a hook that runs', () => {
    assert.equal(isHook(obj({ 'argocd.argoproj.io/hook': 'Skip' })), false);
    assert.equal(isHook(obj({ 'argocd.argoproj.io/hook': 'PreSync' })), true);
  });
  const policies: [string, Record<string, string>, string[]][] = [
    ['default BeforeHookCreation', { 'argocd.argoproj.io/hook': 'PreSync' }, ['BeforeHookCreation']],
    ['HookSucceeded', { 'argocd.argoproj.io/hook-delete-policy': 'HookSucceeded' }, ['HookSucceeded']],
    ['several', { 'argocd.argoproj.io/hook-delete-policy': 'HookSucceeded,HookFailed' }, ['HookSucceeded', 'HookFailed']],
    ['helm before-hook-creation', { 'helm.sh/hook-delete-policy': 'before-hook-creation' }, ['BeforeHookCreation']],
    ['helm hook-succeeded,hook-failed', { 'helm.sh/hook-delete-policy': 'hook-succeeded,hook-failed' }, ['HookSucceeded', 'HookFailed']],
    ['Argo CD wins over Helm', { 'argocd.argoproj.io/hook-delete-policy': 'HookFailed', 'helm.sh/hook-delete-policy': 'hook-succeeded' }, ['HookFailed']],
    ['unknown only → default', { 'argocd.argoproj.io/hook-delete-policy': 'Never' }, ['BeforeHookCreation']],
  ];
  for (const [name, ann, want] of policies) test(`delete policy: ${name}`, () => assert.deepEqual(hookDeletePolicies(obj(ann)), want));
});

describe('syncWave', () => {
  const table: [string, Record<string, string>, number][] = [
    ['default 0', {}, 0],
    ['annotation', { 'argocd.argoproj.io/sync-wave': '5' }, 5],
    ['negative', { 'argocd.argoproj.io/sync-wave': '-3' }, -3],
    ['garbage → 0', { 'argocd.argoproj.io/sync-wave': 'soon' }, 0],
    ['helm hook-weight of a helm hook', { 'helm.sh/hook': 'pre-install', 'helm.sh/hook-weight': '-2' }, -2],
    ['helm hook-weight without a hook is ignored', { 'helm.sh/hook-weight': '2' }, 0],
    ['sync-wave wins over hook-weight', { 'helm.sh/hook': 'pre-install', 'helm.sh/hook-weight': '-2', 'argocd.argoproj.io/sync-wave': '4' }, 4],
  ];
  for (const [name, ann, want] of table) test(name, () => assert.equal(syncWave(obj(ann)), want));
});

describe('kind order', () => {
  test('the documented order, unknown kinds after APIService', () => {
    const documented = ['Namespace', 'NetworkPolicy', 'ResourceQuota', 'LimitRange', 'PodSecurityPolicy', 'PodDisruptionBudget', 'ServiceAccount', 'Secret', 'SecretList', 'ConfigMap', 'StorageClass', 'PersistentVolume', 'PersistentVolumeClaim', 'CustomResourceDefinition', 'ClusterRole', 'ClusterRoleList', 'ClusterRoleBinding', 'ClusterRoleBindingList', 'Role', 'RoleList', 'RoleBinding', 'RoleBindingList', 'Service', 'DaemonSet', 'Pod', 'ReplicationController', 'ReplicaSet', 'Deployment', 'HorizontalPodAutoscaler', 'StatefulSet', 'Job', 'CronJob', 'IngressClass', 'Ingress', 'APIService'];
    assert.deepEqual([...KIND_ORDER], documented);
    for (let i = 1; i < documented.length; i++) assert.ok(kindOrder(documented[i - 1]) < kindOrder(documented[i]));
    assert.ok(kindOrder('Rollout') > kindOrder('APIService'));
    assert.equal(kindOrder('Rollout'), kindOrder('Application'));
  });
  test('unknown kinds sort alphabetically among themselves', () => {
    assert.deepEqual(['Widget', 'Deployment', 'Application', 'Namespace'].sort(compareKinds), ['Namespace', 'Deployment', 'Application', 'Widget']);
  });
});
