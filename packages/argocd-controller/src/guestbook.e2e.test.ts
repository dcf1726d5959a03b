/**
 * End to end against a real `flotilla up`, a real git server and argocd-repo-server: the guestbook
 * syncs to Synced/Healthy; drift makes it OutOfSync and selfHeal reverts it; a file removed from
 * Git is pruned only with prune on; ignoreDifferences hides a field; a new commit is synced at
 * once on a refresh annotation; rollback to an earlier history id restores the earlier objects.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { waitFor } from '@flotilla/kube-runtime/testkit';
import { EXAMPLE_APPS, healthy, skipReason, startEnv, synced, type Env } from './testenv.js';

const skip = skipReason();
if (skip) process.stdout.write(`# skipped: ${skip}\n`);

describe('guestbook end to end', { skip, timeout: 900_000 }, () => {
  let env: Env;
  const svc = () => readFileSync(join(EXAMPLE_APPS, 'guestbook', 'guestbook-ui-svc.yaml'), 'utf8');
  const dep = () => readFileSync(join(EXAMPLE_APPS, 'guestbook', 'guestbook-ui-deployment.yaml'), 'utf8');
  before(async () => {
    env = await startEnv({ repos: { apps: null } });
    env.git.commit('apps', { 'guestbook/guestbook-ui-svc.yaml': svc(), 'guestbook/guestbook-ui-deployment.yaml': dep() }, 'guestbook');
  });
  after(async () => {
    await env?.stop();
  });

  it('syncs the guestbook to Synced and Healthy, with history, events and metrics', async () => {
    await env.applyApp({
      metadata: { name: 'guestbook', namespace: 'argocd' },
      spec: {
        project: 'default',
        source: { repoURL: env.git.url('apps'), targetRevision: 'HEAD', path: 'guestbook' },
        destination: { server: 'https://kubernetes.default.svc', namespace: 'guestbook' },
        syncPolicy: { syncOptions: ['CreateNamespace=true'] },
      },
    });
    const out = await env.waitApp('guestbook', (a) => a.status?.sync?.status === 'OutOfSync', 'OutOfSync before the first sync');
    assert.equal(out.status?.sync?.revision, env.git.head('apps'));
    assert.equal(out.status?.resources?.length, 2);
    assert.equal(out.status?.sourceType, 'Directory');
    // a manual sync as argocd-server issues it
    await env.client.patch({ group: 'argoproj.io', version: 'v1alpha1', plural: 'applications', kind: 'Application', namespaced: true }, 'argocd', 'guestbook', { operation: { sync: { revision: 'HEAD' }, initiatedBy: { username: 'admin' } } });
    const done = await env.waitApp('guestbook', (a) => synced(a) && healthy(a) && a.status?.operationState?.phase === 'Succeeded', 'Synced + Healthy', 240_000);
    const st = done.status!.operationState!;
    assert.equal(st.message, 'successfully synced (all tasks run)');
    // the comparison after the operation is stamped (clients wait for reconciledAt >= finishedAt)
    await env.waitApp('guestbook', (a) => !!a.status?.reconciledAt && Date.parse(a.status.reconciledAt) >= Date.parse(a.status.operationState!.finishedAt!), 'reconciled after the sync', 60_000);
    assert.deepEqual(st.syncResult?.resources?.map((r) => `${r.kind}:${r.status}`).sort(), ['Deployment:Synced', 'Namespace:Synced', 'Service:Synced'].sort());
    assert.equal(done.status?.history?.length, 1);
    assert.equal(done.status?.history?.[0].revision, env.git.head('apps'));
    assert.equal(done.status?.history?.[0].id, 0);
    assert.equal(done.operation, undefined);
    assert.ok(done.status?.summary?.images?.some((i) => i.includes('gb-frontend')));
    const live = JSON.parse(await env.k(['get', 'deployment', 'guestbook-ui', '-n', 'guestbook', '-o', 'json']));
    assert.equal(live.metadata.labels['app.kubernetes.io/instance'], 'guestbook');
    assert.ok(live.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']);
    const events = await env.k(['get', 'events', '-n', 'argocd', '--field-selector', 'involvedObject.name=guestbook', '-o', 'jsonpath={range .items[*]}{.reason}{"\\n"}{end}']);
    assert.match(events, /OperationStarted/);
    await waitFor('OperationCompleted event', async () => (await env.k(['get', 'events', '-n', 'argocd', '-o', 'jsonpath={range .items[*]}{.reason}{"\\n"}{end}'])).includes('OperationCompleted'), 30_000, 500);
    const metrics = await (await fetch(`${env.controller!.health!.url}/metrics`)).text();
    assert.match(metrics, /argocd_app_sync_total\{[^}]*name="guestbook"[^}]*phase="Succeeded"/);
    assert.match(metrics, /argocd_app_reconcile_count/);
    assert.match(metrics, /argocd_git_request_total/);
    assert.match(metrics, /argocd_kubectl_exec_total/);
  });

  it('drift makes the app OutOfSync; selfHeal reverts it', async () => {
    await env.k(['scale', 'deployment', 'guestbook-ui', '-n', 'guestbook', '--replicas', '2']);
    await env.waitApp('guestbook', (a) => a.status?.sync?.status === 'OutOfSync', 'OutOfSync after kubectl scale');
    await env.client.patch({ group: 'argoproj.io', version: 'v1alpha1', plural: 'applications', kind: 'Application', namespaced: true }, 'argocd', 'guestbook', { spec: { syncPolicy: { automated: { selfHeal: true }, syncOptions: ['CreateNamespace=true'] } } });
    await env.waitApp('guestbook', (a) => synced(a), 'Synced again by selfHeal', 120_000);
    const replicas = (await env.k(['get', 'deployment', 'guestbook-ui', '-n', 'guestbook', '-o', 'jsonpath={.spec.replicas}'])).trim();
    assert.equal(replicas, '1');
  });

  it('ignoreDifferences hides a field', async () => {
    await env.client.patch({ group: 'argoproj.io', version: 'v1alpha1', plural: 'applications', kind: 'Application', namespaced: true }, 'argocd', 'guestbook', { spec: { syncPolicy: null, ignoreDifferences: [{ group: 'apps', kind: 'Deployment', jsonPointers: ['/spec/replicas'] }] } });
    await env.k(['scale', 'deployment', 'guestbook-ui', '-n', 'guestbook', '--replicas', '2']);
    await new Promise((r) => setTimeout(r, 3000));
    const a = await env.waitApp('guestbook', (x) => !!x.status?.observedAt, 'compared');
    assert.equal(a.status?.sync?.status, 'Synced', 'replicas are ignored');
    await env.k(['annotate', 'deployment', 'guestbook-ui', '-n', 'guestbook', 'drift=yes']);
    await env.k(['label', 'deployment', 'guestbook-ui', '-n', 'guestbook', 'extra=1']);
    await env.k(['set', 'image', 'deployment/guestbook-ui', '-n', 'guestbook', 'guestbook-ui=gcr.io/google-samples/gb-frontend:v6']);
    await env.waitApp('guestbook', (x) => x.status?.sync?.status === 'OutOfSync', 'OutOfSync on an image change');
  });

  it('auto-sync picks up a new commit at once on a refresh annotation; a file removed from Git is pruned only with prune', async () => {
    await env.client.patch({ group: 'argoproj.io', version: 'v1alpha1', plural: 'applications', kind: 'Application', namespaced: true }, 'argocd', 'guestbook', { spec: { ignoreDifferences: null, syncPolicy: { automated: { prune: false, selfHeal: true } } } });
    await env.waitApp('guestbook', (a) => synced(a), 'self-healed back');
    const sha = env.git.commit('apps', { 'guestbook/extra-cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\ndata:\n  a: "1"\n' }, 'add a ConfigMap');
    const t0 = Date.now();
    await env.k(['annotate', 'application', 'guestbook', '-n', 'argocd', 'argocd.argoproj.io/refresh=normal', '--overwrite']);
    await env.waitApp('guestbook', (a) => synced(a) && a.status?.sync?.revision === sha && a.status?.operationState?.phase === 'Succeeded', 'synced to the new commit', 60_000);
    const took = Date.now() - t0;
    assert.ok(took < 30_000, `synced ${took} ms after the refresh request`);
    assert.equal((await env.app('guestbook')).metadata?.annotations?.['argocd.argoproj.io/refresh'], undefined, 'refresh annotation removed');
    await env.k(['get', 'configmap', 'extra', '-n', 'guestbook']);
    // removed from Git without prune: stays, OutOfSync, requiresPruning
    const sha2 = env.git.commit('apps', { 'guestbook/extra-cm.yaml': null }, 'remove the ConfigMap');
    await env.k(['annotate', 'application', 'guestbook', '-n', 'argocd', 'argocd.argoproj.io/refresh=hard', '--overwrite']);
    const a = await env.waitApp('guestbook', (x) => x.status?.sync?.revision === sha2 && x.status?.sync?.status === 'OutOfSync', 'OutOfSync with an extraneous ConfigMap');
    assert.ok(a.status?.resources?.some((r) => r.kind === 'ConfigMap' && r.requiresPruning));
    await env.k(['get', 'configmap', 'extra', '-n', 'guestbook']);
    // with prune on, it goes
    await env.client.patch({ group: 'argoproj.io', version: 'v1alpha1', plural: 'applications', kind: 'Application', namespaced: true }, 'argocd', 'guestbook', { spec: { syncPolicy: { automated: { prune: true } } } });
    await env.waitApp('guestbook', (x) => synced(x) && x.status?.sync?.revision === sha2, 'pruned and Synced');
    assert.notEqual((await env.kubectl(['get', 'configmap', 'extra', '-n', 'guestbook'])).code, 0, 'the ConfigMap is gone');
  });

  it('rollback to an earlier history id restores the earlier objects', async () => {
    const a = await env.app('guestbook');
    const hist = a.status?.history ?? [];
    assert.ok(hist.length >= 3, `history has ${hist.length} entries`);
    const withExtra = hist.find((h) => h.revision !== hist[0].revision && h.revision !== hist[hist.length - 1].revision)!;
    await env.client.patch({ group: 'argoproj.io', version: 'v1alpha1', plural: 'applications', kind: 'Application', namespaced: true }, 'argocd', 'guestbook', { spec: { syncPolicy: null } });
    await env.client.patch({ group: 'argoproj.io', version: 'v1alpha1', plural: 'applications', kind: 'Application', namespaced: true }, 'argocd', 'guestbook', {
      operation: { sync: { revision: withExtra.revision, source: withExtra.source }, initiatedBy: { username: 'admin' } },
    });
    await env.waitApp('guestbook', (x) => x.status?.operationState?.phase === 'Succeeded' && x.status.operationState.syncResult?.revision === withExtra.revision && !x.operation, 'rolled back');
    await env.k(['get', 'configmap', 'extra', '-n', 'guestbook']);
    const after = await env.app('guestbook');
    assert.equal(after.status?.history?.at(-1)?.revision, withExtra.revision);
  });
});
