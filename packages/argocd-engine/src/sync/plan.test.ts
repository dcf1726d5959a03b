// Table tests of planSync and nextStep.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { KubeObject } from '../types.js';
import { cleanupId, MESSAGES, nextStep, planSync, resourceKeyString, type PlanInput, type SyncPlan, type TaskResult } from './index.js';

function o(kind: string, name: string, ann: Record<string, string> = {}, apiVersion?: string, namespace = 'demo'): KubeObject {
  const av = apiVersion ?? ({ Deployment: 'apps/v1', ReplicaSet: 'apps/v1', Job: 'batch/v1', CustomResourceDefinition: 'apiextensions.k8s.io/v1', Widget: 'example.com/v1', Rollout: 'argoproj.io/v1alpha1' } as Record<string, string>)[kind] ?? 'v1';
  const md: Record<string, unknown> = { name, annotations: ann };
  if (kind !== 'Namespace' && kind !== 'CustomResourceDefinition') md.namespace = namespace;
  return { apiVersion: av, kind, metadata: md };
}
const input = (p: Partial<PlanInput>): PlanInput => ({ targets: [], live: [], operation: {}, ...p });
/** "phase/wave: Kind/name …" per step */
const shape = (plan: SyncPlan) => plan.steps.map((s) => `${s.phase}/${s.wave}: ${s.tasks.map((t) => `${t.action === 'apply' ? '' : t.action + ' '}${t.kind}/${t.name}`).join(', ')}`);

describe('planSync ordering', () => {
  test('one wave: by kind order, unknown kinds last, then name', () => {
    const p = planSync(input({ targets: [o('Deployment', 'web'), o('Widget', 'w'), o('Service', 'web'), o('ConfigMap', 'b'), o('ConfigMap', 'a'), o('Namespace', 'demo'), o('CustomResourceDefinition', 'widgets.example.com'), o('Rollout', 'r')] }));
    assert.deepEqual(shape(p), ['Sync/0: Namespace/demo, ConfigMap/a, ConfigMap/b, CustomResourceDefinition/widgets.example.com, Service/web, Deployment/web, Rollout/r, Widget/w']);
  });
  test('phases, then waves', () => {
    const p = planSync(input({
      targets: [
        o('Job', 'post', { 'argocd.argoproj.io/hook': 'PostSync' }),
        o('ConfigMap', 'late', { 'argocd.argoproj.io/sync-wave': '2' }),
        o('ConfigMap', 'early', { 'argocd.argoproj.io/sync-wave': '-1' }),
        o('Deployment', 'mid'),
        o('Job', 'pre', { 'argocd.argoproj.io/hook': 'PreSync' }),
        o('Job', 'pre2', { 'argocd.argoproj.io/hook': 'PreSync', 'argocd.argoproj.io/sync-wave': '-5' }),
        o('Job', 'synchook', { 'argocd.argoproj.io/hook': 'Sync', 'argocd.argoproj.io/sync-wave': '1' }),
        o('Job', 'fail', { 'argocd.argoproj.io/hook': 'SyncFail' }),
        o('ConfigMap', 'skipped', { 'argocd.argoproj.io/hook': 'Skip' }),
      ],
    }));
    assert.deepEqual(shape(p), ['PreSync/-5: hook Job/pre2', 'PreSync/0: hook Job/pre', 'Sync/-1: ConfigMap/early', 'Sync/0: Deployment/mid', 'Sync/1: hook Job/synchook', 'Sync/2: ConfigMap/late', 'PostSync/0: hook Job/post']);
    assert.deepEqual(p.syncFailSteps.map((s) => s.tasks.map((t) => t.name)), [['fail']]);
    assert.ok(!p.tasks.some((t) => t.name === 'skipped'));
  });
});

describe('planSync prune', () => {
  const live = [o('ConfigMap', 'keep'), o('ConfigMap', 'gone'), o('Deployment', 'old', { 'argocd.argoproj.io/sync-wave': '3' }), o('Service', 'old', { 'argocd.argoproj.io/sync-wave': '1' })];
  const targets = [o('ConfigMap', 'keep')];
  test('without prune: PruneSkipped, nothing run', () => {
    const p = planSync(input({ targets, live }));
    assert.deepEqual(shape(p), ['Sync/0: ConfigMap/keep']);
    assert.deepEqual(p.tasks.filter((t) => t.skipReason).map((t) => [t.kind, t.name, t.resultCode, t.skipReason]), [
      ['ConfigMap', 'gone', 'PruneSkipped', 'ignored (requires pruning)'],
      ['Service', 'old', 'PruneSkipped', 'ignored (requires pruning)'],
      ['Deployment', 'old', 'PruneSkipped', 'ignored (requires pruning)'],
    ]);
  });
  test('with prune: higher waves pruned first', () => {
    const p = planSync(input({ targets, live, operation: { prune: true } }));
    assert.deepEqual(shape(p), ['Sync/0: ConfigMap/keep, prune Deployment/old', 'Sync/2: prune Service/old', 'Sync/3: prune ConfigMap/gone']);
    const order = p.steps.flatMap((s) => s.tasks.filter((t) => t.action === 'prune').map((t) => `${t.kind}/${t.name}`));
    assert.deepEqual(order, ['Deployment/old', 'Service/old', 'ConfigMap/gone']);
  });
  test('Prune=false on the live object: PruneSkipped even with prune', () => {
    const p = planSync(input({ targets, live: [o('ConfigMap', 'precious', { 'argocd.argoproj.io/sync-options': 'Prune=false' })], operation: { prune: true } }));
    assert.deepEqual(shape(p), ['Sync/0: ConfigMap/keep']);
    assert.deepEqual(p.tasks.find((t) => t.name === 'precious')!.resultCode, 'PruneSkipped');
  });
  test('PruneLast: after every other wave of the Sync phase, before PostSync', () => {
    const p = planSync(input({
      targets: [o('ConfigMap', 'keep', { 'argocd.argoproj.io/sync-wave': '4' }), o('Job', 'post', { 'argocd.argoproj.io/hook': 'PostSync' })],
      live: [o('ConfigMap', 'gone', { 'argocd.argoproj.io/sync-options': 'PruneLast=true' })],
      operation: { prune: true },
    }));
    assert.deepEqual(shape(p), ['Sync/4: ConfigMap/keep', 'Sync/5: prune ConfigMap/gone', 'PostSync/0: hook Job/post']);
  });
  test('PruneLast for the whole app through syncPolicy', () => {
    const p = planSync(input({ targets: [o('ConfigMap', 'keep')], live: [o('Secret', 'gone')], operation: { prune: true }, syncPolicy: { syncOptions: ['PruneLast=true'] } }));
    assert.deepEqual(shape(p), ['Sync/0: ConfigMap/keep', 'Sync/1: prune Secret/gone']);
  });
  test('live hooks are never pruned', () => {
    const p = planSync(input({ targets: [], live: [o('Job', 'old-hook', { 'argocd.argoproj.io/hook': 'PreSync' })], operation: { prune: true } }));
    assert.deepEqual(p.tasks, []);
  });
});

describe('planSync options', () => {
  test('selective sync: only the named resources, no hooks, no other prunes', () => {
    const p = planSync(input({
      targets: [o('ConfigMap', 'a'), o('ConfigMap', 'b'), o('Job', 'pre', { 'argocd.argoproj.io/hook': 'PreSync' })],
      live: [o('Secret', 'x'), o('Secret', 'y')],
      operation: { prune: true, resources: [{ kind: 'ConfigMap', name: 'b', namespace: 'demo' }, { group: '', kind: 'Secret', name: 'y' }] },
    }));
    assert.deepEqual(shape(p), ['Sync/0: ConfigMap/b, prune Secret/y']);
  });
  test('ApplyOutOfSyncOnly: synced resources are left out', () => {
    const targets = [o('ConfigMap', 'same'), o('ConfigMap', 'changed'), o('ConfigMap', 'new')];
    const live = [o('ConfigMap', 'same'), o('ConfigMap', 'changed')];
    const diffs = new Map([[resourceKeyString(targets[0]), { modified: false }], [resourceKeyString(targets[1]), { modified: true }]]);
    assert.deepEqual(shape(planSync(input({ targets, live, diffs, syncPolicy: { syncOptions: ['ApplyOutOfSyncOnly=true'] } }))), ['Sync/0: ConfigMap/changed, ConfigMap/new']);
    assert.deepEqual(shape(planSync(input({ targets, live, diffs }))), ['Sync/0: ConfigMap/changed, ConfigMap/new, ConfigMap/same']);
    const p = planSync(input({ targets, live, diffs }));
    assert.deepEqual(p.tasks.map((t) => [t.name, t.outOfSync]), [['changed', true], ['new', true], ['same', false]]);
  });
  test('dry run: every task marked, hooks left out', () => {
    const p = planSync(input({ targets: [o('ConfigMap', 'a'), o('Job', 'pre', { 'argocd.argoproj.io/hook': 'PreSync' })], operation: { dryRun: true } }));
    assert.deepEqual(shape(p), ['Sync/0: ConfigMap/a']);
    assert.ok(p.dryRun && p.tasks.every((t) => t.dryRun));
  });
  test('Replace=true (per resource) and Force via the sync strategy', () => {
    const p = planSync(input({ targets: [o('ConfigMap', 'a', { 'argocd.argoproj.io/sync-options': 'Replace=true' }), o('ConfigMap', 'b')], operation: { syncStrategy: { apply: { force: true } } } }));
    assert.deepEqual(p.tasks.map((t) => [t.name, t.action, t.syncOptions.force]), [['a', 'replace', true], ['b', 'apply', true]]);
  });
  test('ServerSideApply / Validate=false reach the task options', () => {
    const p = planSync(input({ targets: [o('ConfigMap', 'a')], syncPolicy: { syncOptions: ['ServerSideApply=true'] }, operation: { syncOptions: ['Validate=false'] } }));
    assert.equal(p.tasks[0].syncOptions.serverSideApply, true);
    assert.equal(p.tasks[0].syncOptions.validate, false);
  });
  test('CreateNamespace=true: the namespace first, with managedNamespaceMetadata', () => {
    const p = planSync(input({
      targets: [o('Job', 'pre', { 'argocd.argoproj.io/hook': 'PreSync' }), o('ConfigMap', 'a')],
      syncPolicy: { syncOptions: ['CreateNamespace=true'], managedNamespaceMetadata: { labels: { team: 'x' } } },
      destinationNamespace: 'demo',
    }));
    assert.equal(p.steps[0].tasks[0].action, 'create');
    assert.deepEqual(p.steps[0].tasks[0].target, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'demo', labels: { team: 'x' } } });
    assert.deepEqual(shape(p).slice(1), ['PreSync/0: hook Job/pre', 'Sync/0: ConfigMap/a']);
    assert.equal(planSync(input({ targets: [o('ConfigMap', 'a')], syncPolicy: { syncOptions: ['CreateNamespace=true'] }, destinationNamespace: 'demo', namespaceExists: true })).steps.length, 1);
    assert.equal(planSync(input({ targets: [o('ConfigMap', 'a'), o('Namespace', 'demo')], syncPolicy: { syncOptions: ['CreateNamespace=true'] }, destinationNamespace: 'demo' })).steps.length, 1);
  });
  test('BeforeHookCreation deletes the previous hook first, in the same step', () => {
    const hook = o('Job', 'migrate', { 'argocd.argoproj.io/hook': 'PreSync' });
    const p = planSync(input({ targets: [hook], existingHooks: [hook] }));
    assert.deepEqual(shape(p), ['PreSync/0: delete-hook Job/migrate, hook Job/migrate']);
    const keep = o('Job', 'migrate', { 'argocd.argoproj.io/hook': 'PreSync', 'argocd.argoproj.io/hook-delete-policy': 'HookSucceeded' });
    assert.deepEqual(shape(planSync(input({ targets: [keep], existingHooks: [keep] }))), ['PreSync/0: hook Job/migrate']);
  });
  test('bad sync options are reported', () => {
    const p = planSync(input({ targets: [o('ConfigMap', 'a', { 'argocd.argoproj.io/sync-options': 'Prune=nope' })], syncPolicy: { syncOptions: ['Wat=1'] } }));
    assert.deepEqual(p.errors, ['unknown sync option "Wat=1"', '/ConfigMap/demo/a: invalid sync option "Prune=nope"']);
  });
});

describe('planSync for app deletion', () => {
  test('PreDelete hooks, deletion of every resource (higher waves first), Delete=false kept, PostDelete hooks', () => {
    const p = planSync(input({
      mode: 'delete',
      targets: [o('Job', 'pre', { 'argocd.argoproj.io/hook': 'PreDelete' }), o('Job', 'post', { 'argocd.argoproj.io/hook': 'PostDelete' }), o('Job', 'presync', { 'argocd.argoproj.io/hook': 'PreSync' }), o('ConfigMap', 'a')],
      live: [o('ConfigMap', 'a'), o('Deployment', 'd', { 'argocd.argoproj.io/sync-wave': '2' }), o('Secret', 's', { 'argocd.argoproj.io/sync-options': 'Delete=false' })],
    }));
    assert.deepEqual(shape(p), ['PreDelete/0: hook Job/pre', 'Sync/0: prune Deployment/d', 'Sync/2: prune ConfigMap/a', 'PostDelete/0: hook Job/post']);
    assert.equal(p.tasks.find((t) => t.name === 's')!.skipReason, 'ignored (Delete=false)');
  });
});

describe('nextStep', () => {
  const hook = (name: string, type: string, extra: Record<string, string> = {}) => o('Job', name, { 'argocd.argoproj.io/hook': type, ...extra });
  const plan = planSync(input({
    targets: [hook('pre', 'PreSync', { 'argocd.argoproj.io/hook-delete-policy': 'HookSucceeded' }), o('ConfigMap', 'cm'), o('Deployment', 'web', { 'argocd.argoproj.io/sync-wave': '1' }), hook('post', 'PostSync'), hook('onfail', 'SyncFail')],
  }));
  const id = (name: string) => plan.tasks.find((t) => t.name === name)!.id;
  test('walks phases and waves, waiting for hooks and health', () => {
    const r = new Map<string, TaskResult>();
    const names = (n: ReturnType<typeof nextStep>) => (n.type === 'run' || n.type === 'cleanup' ? n.tasks.map((t) => t.name) : n.type);
    let n = nextStep(plan, r);
    assert.deepEqual([n.type, names(n)], ['run', ['pre']]);
    r.set(id('pre'), { status: 'Synced', hookPhase: 'Running' });
    n = nextStep(plan, r);
    assert.deepEqual(n, { type: 'wait', message: 'waiting for completion of hook batch/Job/pre', waitingFor: [id('pre')] });
    r.set(id('pre'), { status: 'Synced', hookPhase: 'Succeeded' });
    n = nextStep(plan, r);
    assert.equal(n.type, 'cleanup', 'HookSucceeded: delete the finished hook');
    assert.deepEqual(n.type === 'cleanup' && n.tasks.map((t) => [t.id, t.action]), [[cleanupId(plan.tasks.find((t) => t.name === 'pre')!), 'delete-hook']]);
    r.set(`${id('pre')}/cleanup`, { status: 'Synced' });
    n = nextStep(plan, r);
    assert.deepEqual(names(n), ['cm']);
    r.set(id('cm'), { status: 'Synced' }); // ConfigMap: no health
    n = nextStep(plan, r);
    assert.deepEqual(names(n), ['web']);
    r.set(id('web'), { status: 'Synced', health: 'Progressing' });
    n = nextStep(plan, r);
    assert.deepEqual(n, { type: 'wait', message: 'waiting for healthy state of apps/Deployment/web', waitingFor: [id('web')] });
    r.set(id('web'), { status: 'Synced', health: 'Healthy' });
    n = nextStep(plan, r);
    assert.deepEqual(names(n), ['post']);
    r.set(id('post'), { status: 'Synced', hookPhase: 'Succeeded' });
    assert.deepEqual(nextStep(plan, r), { type: 'done', message: MESSAGES.succeeded });
  });
  test('a failed task runs the SyncFail hooks, then fails with the reason', () => {
    const r: Record<string, TaskResult> = {};
    r[id('pre')] = { status: 'Synced', hookPhase: 'Succeeded' };
    r[`${id('pre')}/cleanup`] = { status: 'Synced' };
    r[id('cm')] = { status: 'SyncFailed', message: 'configmaps "cm" is forbidden' };
    let n = nextStep(plan, r);
    assert.equal(n.type, 'run');
    assert.deepEqual(n.type === 'run' && [n.syncFail, n.tasks.map((t) => t.name)], [true, ['onfail']]);
    r[id('onfail')] = { status: 'Synced', hookPhase: 'Running' };
    assert.equal(nextStep(plan, r).type, 'wait');
    r[id('onfail')] = { status: 'Synced', hookPhase: 'Succeeded' };
    n = nextStep(plan, r);
    assert.deepEqual(n, { type: 'failed', message: `${MESSAGES.failed}, reason: configmaps "cm" is forbidden` });
  });
  test('a failed hook fails the operation', () => {
    const r: Record<string, TaskResult> = { [id('pre')]: { status: 'Synced', hookPhase: 'Failed', message: 'Job has reached the specified backoff limit' }, [id('onfail')]: { status: 'Synced', hookPhase: 'Succeeded' } };
    assert.deepEqual(nextStep(plan, r), { type: 'failed', message: `${MESSAGES.failed}, reason: Job has reached the specified backoff limit` });
  });
  test('resumes a half-run step after a restart: only the tasks without results', () => {
    const p = planSync(input({ targets: [o('ConfigMap', 'a'), o('ConfigMap', 'b'), o('ConfigMap', 'c')] }));
    const r = { [p.tasks[0].id]: { status: 'Synced' as const } };
    const n = nextStep(p, r);
    assert.deepEqual(n.type === 'run' && n.tasks.map((t) => t.name), ['b', 'c']);
  });
  test('an empty plan is done at once; a dry run says so', () => {
    assert.deepEqual(nextStep(planSync(input({})), {}), { type: 'done', message: MESSAGES.succeeded });
    const p = planSync(input({ targets: [o('ConfigMap', 'a')], operation: { dryRun: true } }));
    assert.deepEqual(nextStep(p, { [p.tasks[0].id]: { status: 'Synced', health: 'Progressing' } }), { type: 'done', message: MESSAGES.dryRun });
  });
});

describe('FailOnSharedResource', () => {
  test('a resource another app tracks fails the sync before anything runs', () => {
    const t = o('ConfigMap', 'shared');
    const p = planSync(input({ appName: 'mine', targets: [t, o('ConfigMap', 'own')], sharedResources: new Map([[resourceKeyString(t), ['theirs']]]), syncPolicy: { syncOptions: ['FailOnSharedResource=true'] } }));
    const refused = p.tasks.find((x) => x.name === 'shared')!;
    assert.equal(refused.resultCode, 'SyncFailed');
    assert.equal(refused.skipReason, 'shared resource found: ConfigMap/shared is part of applications mine and theirs');
    assert.deepEqual(nextStep(p, {}), { type: 'failed', message: `${MESSAGES.failed}, reason: shared resource found: ConfigMap/shared is part of applications mine and theirs` });
  });
  test('without the option the shared resource is synced', () => {
    const t = o('ConfigMap', 'shared');
    const p = planSync(input({ targets: [t], sharedResources: new Map([[resourceKeyString(t), ['theirs']]]) }));
    assert.deepEqual(shape(p), ['Sync/0: ConfigMap/shared']);
  });
});

describe('nextStep health gate', () => {
  const p = planSync(input({ targets: [o('Deployment', 'a'), o('ConfigMap', 'b', { 'argocd.argoproj.io/sync-wave': '1' })] }));
  const table: [string, TaskResult['health'], string][] = [
    ['Healthy passes', 'Healthy', 'run'],
    ['no health passes', undefined, 'run'],
    ['Suspended passes', 'Suspended', 'run'],
    ['Progressing waits', 'Progressing', 'wait'],
    ['Degraded waits', 'Degraded', 'wait'],
    ['Missing waits', 'Missing', 'wait'],
  ];
  for (const [name, health, want] of table) test(name, () => assert.equal(nextStep(p, { [p.steps[0].tasks[0].id]: { status: 'Synced', health } }).type, want));
});
