/**
 * End to end: sync options and operation controls against a real `flotilla up` — dry run,
 * selective sync, ServerSideApply (field manager argocd-controller), Replace, Prune=false,
 * a resource the API server rejects (SyncFailed with its message) retried per `retry`,
 * terminate a running operation, a deny sync window.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { skipReason, startEnv, type Env } from './testenv.js';

const skip = skipReason();
if (skip) process.stdout.write(`# skipped: ${skip}\n`);

const APPS = { group: 'argoproj.io', version: 'v1alpha1', plural: 'applications', kind: 'Application', namespaced: true };
const PROJECTS = { group: 'argoproj.io', version: 'v1alpha1', plural: 'appprojects', kind: 'AppProject', namespaced: true };
const cm = (name: string, ann: Record<string, string> = {}) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n${Object.keys(ann).length ? `  annotations:\n${Object.entries(ann).map(([k, v]) => `    ${k}: "${v}"\n`).join('')}` : ''}data:\n  k: "1"\n`;

describe('sync options end to end', { skip, timeout: 1_200_000 }, () => {
  let env: Env;
  before(async () => {
    env = await startEnv({ repos: { opts: null } });
    env.git.commit('opts', {
      'basic/a.yaml': cm('a'),
      'basic/b.yaml': cm('b', { 'argocd.argoproj.io/sync-options': 'ServerSideApply=true' }),
      'basic/c.yaml': cm('c', { 'argocd.argoproj.io/sync-options': 'Replace=true' }),
      'basic/keep.yaml': cm('keep', { 'argocd.argoproj.io/sync-options': 'Prune=false' }),
      'bad/svc.yaml': 'apiVersion: v1\nkind: Service\nmetadata:\n  name: bad\nspec:\n  ports:\n  - port: 70000\n',
      'slow/hook.yaml': 'apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: slow\n  annotations:\n    argocd.argoproj.io/hook: PreSync\nspec:\n  backoffLimit: 0\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: s\n        image: alpine:latest\n        command: ["sleep", "600"]\n',
      'slow/cm.yaml': cm('after-hook'),
    });
    for (const [name, path] of [
      ['basic', 'basic'],
      ['bad', 'bad'],
      ['slow', 'slow'],
    ]) {
      await env.applyApp({
        metadata: { name, namespace: 'argocd' },
        spec: { project: 'default', source: { repoURL: env.git.url('opts'), targetRevision: 'HEAD', path }, destination: { server: 'https://kubernetes.default.svc', namespace: name }, syncPolicy: { syncOptions: ['CreateNamespace=true'] } },
      });
    }
    for (const n of ['basic', 'bad', 'slow']) await env.waitApp(n, (a) => !!a.status?.sync?.revision, 'compared');
  });
  after(async () => {
    await env?.stop();
  });

  const sync = (name: string, sync: Record<string, unknown>, extra: Record<string, unknown> = {}) => env.client.patch(APPS, 'argocd', name, { operation: { sync: { revision: 'HEAD', ...sync }, initiatedBy: { username: 'admin' }, ...extra } });
  const finished = (name: string, t = 240_000) => env.waitApp(name, (a) => !a.operation && ['Succeeded', 'Failed', 'Error'].includes(a.status?.operationState?.phase ?? ''), 'operation finished', t);

  it('dry run applies nothing', async () => {
    await sync('basic', { dryRun: true });
    const a = await finished('basic');
    assert.equal(a.status?.operationState?.phase, 'Succeeded');
    assert.match(a.status!.operationState!.message!, /dry run/);
    assert.equal(a.status?.history, undefined, 'a dry run is not history');
    assert.notEqual((await env.kubectl(['get', 'configmap', 'a', '-n', 'basic'])).code, 0);
  });

  it('selective sync applies only the named resources', async () => {
    // a selective sync does not run CreateNamespace (the namespace is not one of the named resources)
    await env.k(['create', 'namespace', 'basic']);
    await sync('basic', { resources: [{ kind: 'ConfigMap', name: 'a' }] });
    const a = await finished('basic');
    assert.equal(a.status?.operationState?.phase, 'Succeeded', a.status?.operationState?.message);
    await env.k(['get', 'configmap', 'a', '-n', 'basic']);
    assert.notEqual((await env.kubectl(['get', 'configmap', 'b', '-n', 'basic'])).code, 0);
  });

  it('ServerSideApply and Replace per resource; Prune=false keeps a resource removed from Git', async () => {
    await sync('basic', { prune: true });
    let a = await finished('basic');
    assert.equal(a.status?.operationState?.phase, 'Succeeded', a.status?.operationState?.message);
    const msgs = Object.fromEntries(a.status!.operationState!.syncResult!.resources!.map((r) => [r.name, r.message]));
    assert.match(msgs.b!, /serverside-applied/);
    assert.match(msgs.c!, /replaced|created/);
    const b = JSON.parse(await env.k(['get', 'configmap', 'b', '-n', 'basic', '-o', 'json', '--show-managed-fields']));
    assert.ok(b.metadata.managedFields.some((f: { manager: string; operation: string }) => f.manager === 'argocd-controller' && f.operation === 'Apply'), JSON.stringify(b.metadata.managedFields));
    env.git.commit('opts', { 'basic/keep.yaml': null });
    await env.k(['annotate', 'application', 'basic', '-n', 'argocd', 'argocd.argoproj.io/refresh=normal', '--overwrite']);
    await env.waitApp('basic', (x) => !!x.status?.resources?.some((r) => r.name === 'keep' && r.requiresPruning), 'keep requires pruning');
    await sync('basic', { prune: true });
    a = await finished('basic');
    const keep = a.status!.operationState!.syncResult!.resources!.find((r) => r.name === 'keep');
    assert.equal(keep?.status, 'PruneSkipped');
    await env.k(['get', 'configmap', 'keep', '-n', 'basic']);
  });

  it('a resource the API server rejects fails with its message, retried per retry', async () => {
    await sync('bad', {}, { retry: { limit: 1, backoff: { duration: '1s', factor: 2, maxDuration: '5s' } } });
    const a = await finished('bad');
    const st = a.status!.operationState!;
    assert.equal(st.phase, 'Failed');
    assert.equal(st.retryCount, 1);
    const svc = st.syncResult!.resources!.find((r) => r.kind === 'Service')!;
    assert.equal(svc.status, 'SyncFailed');
    assert.match(svc.message!, /70000|port/i);
    assert.match(st.message!, /one or more/);
  });

  it('terminate: a running operation ends Failed "Operation terminated"', async () => {
    await sync('slow', {});
    await env.waitApp('slow', (a) => a.status?.operationState?.phase === 'Running' && !!a.status.operationState.syncResult?.resources?.some((r) => r.name === 'slow'), 'hook running', 180_000);
    await env.client.patch(APPS, 'argocd', 'slow', { status: { operationState: { phase: 'Terminating' } } });
    const a = await finished('slow', 120_000);
    assert.equal(a.status?.operationState?.phase, 'Failed');
    assert.equal(a.status?.operationState?.message, 'Operation terminated');
    assert.notEqual((await env.kubectl(['get', 'configmap', 'after-hook', '-n', 'slow'])).code, 0, 'the Sync phase never ran');
    // the in-flight hook is deleted, not left running (Argo CD since 1.4), and its result says so
    const hook = a.status!.operationState!.syncResult!.resources!.find((r) => r.name === 'slow' && r.kind === 'Job')!;
    assert.equal(hook.hookPhase, 'Failed');
    assert.equal(hook.message, 'Terminated');
    const gone = await env.kubectl(['get', 'job', 'slow', '-n', 'slow', '-o', 'jsonpath={.metadata.deletionTimestamp}']);
    assert.ok(gone.code !== 0 || gone.stdout.trim() !== '', `the running hook Job is deleted: ${gone.stdout}${gone.stderr}`);
  });

  it('a deny sync window blocks a manual sync unless manualSync', async () => {
    await env.client.patch(PROJECTS, 'argocd', 'default', { spec: { syncWindows: [{ kind: 'deny', schedule: '* * * * *', duration: '1h', applications: ['basic'] }] } });
    await new Promise((r) => setTimeout(r, 1000));
    await sync('basic', {});
    const a = await finished('basic');
    assert.equal(a.status?.operationState?.phase, 'Failed');
    assert.match(a.status!.operationState!.message!, /Blocked by sync window/);
    await env.client.patch(PROJECTS, 'argocd', 'default', { spec: { syncWindows: [{ kind: 'deny', schedule: '* * * * *', duration: '1h', applications: ['basic'], manualSync: true }] } });
    await new Promise((r) => setTimeout(r, 1000));
    await sync('basic', {});
    const b = await finished('basic');
    assert.equal(b.status?.operationState?.phase, 'Succeeded', b.status?.operationState?.message);
  });
});
