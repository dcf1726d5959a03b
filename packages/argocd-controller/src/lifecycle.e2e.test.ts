/**
 * End to end with the controller as a process of its own: kill -9 in the middle of a multi-wave
 * sync, restart, and the operation finishes from its record without re-creating what was applied;
 * cascade deletion with the resources finalizer, and no deletion without it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { waitFor } from '@flotilla/kube-runtime/testkit';
import { EXAMPLE_APPS, skipReason, startEnv, synced, type Env } from './testenv.js';

const skip = skipReason() ?? (existsSync(EXAMPLE_APPS) ? undefined : `argocd-example-apps not found at ${EXAMPLE_APPS}`);
if (skip) process.stdout.write(`# skipped: ${skip}\n`);

const APPS = { group: 'argoproj.io', version: 'v1alpha1', plural: 'applications', kind: 'Application', namespaced: true };

describe('controller lifecycle end to end', { skip, timeout: 1_200_000 }, () => {
  let env: Env;
  before(async () => {
    env = await startEnv({ repos: { examples: EXAMPLE_APPS }, controller: false });
    await env.startControllerProcess();
  });
  after(async () => {
    await env?.stop();
  });

  it('kill -9 mid-sync: after a restart the operation finishes from its record, nothing re-created', async () => {
    await env.applyApp({
      metadata: { name: 'waves', namespace: 'argocd' },
      spec: {
        project: 'default',
        source: { repoURL: env.git.url('examples'), targetRevision: 'HEAD', path: 'sync-waves' },
        destination: { server: 'https://kubernetes.default.svc', namespace: 'waves' },
        syncPolicy: { syncOptions: ['CreateNamespace=true'] },
      },
    });
    await env.waitApp('waves', (a) => !!a.status?.sync?.revision, 'compared');
    await env.client.patch(APPS, 'argocd', 'waves', { operation: { sync: { revision: 'HEAD' }, initiatedBy: { username: 'admin' } } });
    // wave 0 applied, the operation still running (the wave-1 hook and waves 2-3 to go)
    await env.waitApp('waves', (a) => a.status?.operationState?.phase === 'Running' && !!a.status.operationState.syncResult?.resources?.some((r) => r.name === 'backend' && r.kind === 'ReplicaSet'), 'wave 0 recorded', 300_000);
    env.controllerProc!.kill('SIGKILL');
    await new Promise((r) => env.controllerProc!.once('exit', r));
    const uid = (await env.k(['get', 'replicaset', 'backend', '-n', 'waves', '-o', 'jsonpath={.metadata.uid}'])).trim();
    const before = await env.app('waves');
    assert.equal(before.status?.operationState?.phase, 'Running');
    await env.startControllerProcess();
    const done = await env.waitApp('waves', (a) => a.status?.operationState?.phase === 'Succeeded' && !a.operation, 'finished after the restart', 400_000);
    const res = done.status!.operationState!.syncResult!.resources!;
    const keys = res.map((r) => `${r.syncPhase}:${r.kind}/${r.name}`);
    assert.equal(new Set(keys).size, keys.length, `each resource recorded once: ${keys.join(', ')}`);
    for (const n of ['backend', 'frontend']) assert.ok(keys.includes(`Sync:ReplicaSet/${n}`), keys.join(', '));
    assert.ok(keys.some((k) => k.includes('Job/maint-page-down')), keys.join(', '));
    assert.equal((await env.k(['get', 'replicaset', 'backend', '-n', 'waves', '-o', 'jsonpath={.metadata.uid}'])).trim(), uid, 'wave 0 was not re-created');
    const pre = (await env.k(['get', 'jobs', '-n', 'waves', '-o', 'jsonpath={range .items[*]}{.metadata.name}{"\\n"}{end}'])).split('\n').filter((j) => j.startsWith('upgrade-sql-schema'));
    assert.equal(pre.length, 1, `the PreSync hook ran once: ${pre.join(', ')}`);
    assert.equal(done.status?.history?.length, 1);
  });

  it('deleting an app with the resources finalizer deletes its resources first', async () => {
    await env.applyApp({
      metadata: { name: 'gb-cascade', namespace: 'argocd', finalizers: ['resources-finalizer.argocd.argoproj.io'] },
      spec: {
        project: 'default',
        source: { repoURL: env.git.url('examples'), targetRevision: 'HEAD', path: 'guestbook' },
        destination: { server: 'https://kubernetes.default.svc', namespace: 'gb-cascade' },
        syncPolicy: { automated: {}, syncOptions: ['CreateNamespace=true'] },
      },
    });
    await env.waitApp('gb-cascade', (a) => synced(a) && a.status?.operationState?.phase === 'Succeeded', 'auto-synced', 300_000);
    await env.k(['get', 'deployment', 'guestbook-ui', '-n', 'gb-cascade']);
    await env.k(['delete', 'application', 'gb-cascade', '-n', 'argocd', '--wait=false']);
    await waitFor('app gone', async () => (await env.kubectl(['get', 'application', 'gb-cascade', '-n', 'argocd'])).code !== 0, 180_000, 500);
    const left = await env.kubectl(['get', 'deployment', 'guestbook-ui', '-n', 'gb-cascade']);
    assert.notEqual(left.code, 0, 'the Deployment was deleted with the app');
    assert.notEqual((await env.kubectl(['get', 'service', 'guestbook-ui', '-n', 'gb-cascade'])).code, 0);
  });

  it('deleting an app without the finalizer leaves its resources', async () => {
    await env.applyApp({
      metadata: { name: 'gb-keep', namespace: 'argocd' },
      spec: {
        project: 'default',
        source: { repoURL: env.git.url('examples'), targetRevision: 'HEAD', path: 'guestbook' },
        destination: { server: 'https://kubernetes.default.svc', namespace: 'gb-keep' },
        syncPolicy: { automated: {}, syncOptions: ['CreateNamespace=true'] },
      },
    });
    await env.waitApp('gb-keep', (a) => synced(a) && a.status?.operationState?.phase === 'Succeeded', 'auto-synced', 300_000);
    await env.k(['delete', 'application', 'gb-keep', '-n', 'argocd']);
    await new Promise((r) => setTimeout(r, 3000));
    await env.k(['get', 'deployment', 'guestbook-ui', '-n', 'gb-keep']);
  });

  it('serves metrics on the metrics port and a bad project destination is an InvalidSpecError', async () => {
    await env.applyApp({
      metadata: { name: 'bad-dest', namespace: 'argocd' },
      spec: { project: 'nope', source: { repoURL: env.git.url('examples'), path: 'guestbook' }, destination: { server: 'https://kubernetes.default.svc', namespace: 'x' } },
    });
    const a = await env.waitApp('bad-dest', (x) => !!x.status?.conditions?.length, 'a condition');
    assert.equal(a.status?.conditions?.[0].type, 'InvalidSpecError');
    assert.match(a.status!.conditions![0].message, /project nope which does not exist/);
    const m = [...env.logs.join('').matchAll(/metrics and health on (http:\/\/[0-9.:]+)/g)].at(-1);
    assert.ok(m, 'metrics address logged');
    const text = await (await fetch(`${m![1]}/metrics`)).text();
    assert.match(text, /argocd_app_info\{/);
    assert.match(text, /argocd_cluster_api_resource_objects\{/);
  });
});
