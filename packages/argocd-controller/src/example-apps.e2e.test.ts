/**
 * End to end against ONE real `flotilla up`, a real git server serving a copy of
 * ../shared/upstream/argocd-example-apps and the real argocd-repo-server: the example apps not
 * covered by the other e2e files (helm-guestbook, kustomize-guestbook, jsonnet-guestbook,
 * blue-green, apps (app of apps), sock-shop) are created with a manual sync policy, synced through
 * `operation`, reach Synced and their expected health, and are deleted with the resources
 * finalizer, which removes what they created. The apps run in parallel. Parameter override files
 * committed next to a source (`.argocd-source.yaml`, `.argocd-source-<app>.yaml`) change what is
 * rendered, the app goes OutOfSync and a sync applies them.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { waitFor } from '@flotilla/kube-runtime/testkit';
import { exampleAppsRepo } from '@flotilla/repo-server/testkit';
import type { Application } from '@flotilla/argocd-engine';
import { EXAMPLE_APPS, skipReason, startEnv, synced, type Env } from './testenv.js';

const ROLLOUTS_INSTALL = fileURLToPath(new URL('../../../../shared/upstream/install-manifests/argo-rollouts/install.yaml', import.meta.url));
const APPS = { group: 'argoproj.io', version: 'v1alpha1', plural: 'applications', kind: 'Application', namespaced: true } as const;

let skip = skipReason();
let repoDir: string | undefined;
if (!skip) {
  repoDir = exampleAppsRepo();
  if (!repoDir) skip = `argocd-example-apps not found at ${EXAMPLE_APPS}`;
}
if (skip) process.stdout.write(`# skipped: ${skip}\n`);

const healthOf = (a: Application, kind: string, name?: string) => a.status?.resources?.find((r) => r.kind === kind && (!name || r.name === name))?.health?.status;

describe('argocd-example-apps end to end', { skip, timeout: 900_000, concurrency: true }, () => {
  let env: Env;
  before(async () => {
    // `overrides` is a second copy the override test commits to (the other apps' revision stays put)
    env = await startEnv({ repos: { examples: repoDir!, overrides: repoDir! } });
    // blue-green renders an argoproj.io Rollout: its CRD comes from upstream's Rollouts install manifest
    const crds = parseAllDocuments(readFileSync(ROLLOUTS_INSTALL, 'utf8'))
      .map((d) => d.toJS() as { kind?: string; metadata?: { name?: string } })
      .filter((o) => o?.kind === 'CustomResourceDefinition' && o.metadata?.name === 'rollouts.argoproj.io');
    const path = join(env.dir, 'rollouts-crd.json');
    writeFileSync(path, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: crds }));
    await env.k(['apply', '--server-side', '-f', path]);
    await waitFor('Rollout CRD served', async () => (await env.kubectl(['get', 'rollouts.argoproj.io', '-A'])).code === 0, 60_000, 300);
  });
  after(async () => {
    await env?.stop();
  });

  /** Creates the app (manual sync, resources finalizer), syncs it through `operation`, waits Synced. */
  async function syncApp(name: string, source: Record<string, unknown>, namespace: string, untilHealthy = true): Promise<Application> {
    await env.applyApp({
      metadata: { name, namespace: 'argocd', finalizers: ['resources-finalizer.argocd.argoproj.io'] },
      spec: {
        project: 'default',
        source: { repoURL: env.git.url('examples'), targetRevision: 'HEAD', ...source },
        destination: { server: 'https://kubernetes.default.svc', namespace },
        syncPolicy: { syncOptions: ['CreateNamespace=true'] },
      },
    });
    const out = await env.waitApp(name, (a) => a.status?.sync?.status === 'OutOfSync', 'OutOfSync before the first sync', 180_000);
    assert.equal(out.status?.sync?.revision, env.git.head('examples'));
    await env.client.patch(APPS, 'argocd', name, { operation: { sync: { revision: 'HEAD' }, initiatedBy: { username: 'admin' } } });
    if (!untilHealthy) {
      // the resources are applied and Synced, but (as upstream) the operation waits for them to be
      // healthy, which they cannot become here: it stays Running and says what it waits for
      return env.waitApp(name, (a) => synced(a) && a.status?.operationState?.phase === 'Running' && /waiting for healthy state of /.test(a.status.operationState.message ?? ''), 'Synced, operation waiting for health', 300_000);
    }
    const done = await env.waitApp(name, (a) => synced(a) && a.status?.operationState?.phase === 'Succeeded' && !a.operation, 'Synced after the sync operation', 300_000);
    assert.equal(done.status?.history?.length, 1);
    return done;
  }

  /** Terminates the running operation as argocd-server does (operationState.phase=Terminating). */
  async function terminate(name: string): Promise<void> {
    const a = await env.app(name);
    await env.client.patch(APPS, 'argocd', name, { status: { operationState: { ...a.status!.operationState!, phase: 'Terminating' } } });
    const t = await env.waitApp(name, (x) => ['Failed', 'Error'].includes(x.status?.operationState?.phase ?? ''), 'operation terminated', 120_000);
    assert.match(t.status!.operationState!.message ?? '', /terminated/i);
  }

  /** Deletes the app (resources finalizer) and checks that the named objects are gone. */
  async function deleteApp(name: string, gone: [kind: string, name: string, ns: string][]): Promise<void> {
    await env.k(['delete', 'application', name, '-n', 'argocd', '--wait=false']);
    await waitFor(`${name} gone`, async () => (await env.kubectl(['get', 'application', name, '-n', 'argocd'])).code !== 0, 240_000, 500);
    // (a Job or a Deployment goes once its pods have stopped: their grace period is 30 s, and the e2e files run side by
    // side on a loaded machine)
    for (const [kind, n, ns] of gone) {
      await waitFor(`${kind}/${n} deleted with ${name}`, async () => (await env.kubectl(['get', kind, n, '-n', ns])).code !== 0, 180_000, 500);
    }
  }

  const guestbookLike = async (name: string, source: Record<string, unknown>, deployment: string, service: string, svcHealthy: (h: string | undefined) => boolean) => {
    const ns = `ex-${name}`;
    const done = await syncApp(name, source, ns);
    assert.deepEqual(done.status?.resources?.map((r) => r.kind).sort(), ['Deployment', 'Service']);
    const a = await env.waitApp(name, (x) => healthOf(x, 'Deployment', deployment) === 'Healthy' && svcHealthy(healthOf(x, 'Service', service)), 'Deployment Healthy', 300_000);
    const live = JSON.parse(await env.k(['get', 'deployment', deployment, '-n', ns, '-o', 'json']));
    assert.equal(live.metadata.labels['app.kubernetes.io/instance'], name);
    assert.equal(live.status.readyReplicas, 1);
    await deleteApp(name, [['deployment', deployment, ns], ['service', service, ns]]);
    return a;
  };

  it('helm-guestbook: Helm chart, Synced and Healthy', async () => {
    const a = await guestbookLike('helm-guestbook', { path: 'helm-guestbook', helm: { releaseName: 'helm-guestbook' } }, 'helm-guestbook', 'helm-guestbook', (h) => h === 'Healthy');
    assert.equal(a.status?.sourceType, 'Helm');
  });

  it('kustomize-guestbook: namePrefix applied, Synced and Healthy', async () => {
    const a = await guestbookLike('kustomize-guestbook', { path: 'kustomize-guestbook' }, 'kustomize-guestbook-ui', 'kustomize-guestbook-ui', (h) => h === 'Healthy');
    assert.equal(a.status?.sourceType, 'Kustomize');
  });

  it('jsonnet-guestbook: Jsonnet directory, Synced, Deployment Healthy (LoadBalancer Service health reported)', async () => {
    const a = await guestbookLike('jsonnet-guestbook', { path: 'jsonnet-guestbook' }, 'jsonnet-guestbook-ui', 'jsonnet-guestbook-ui', (h) => h === 'Healthy' || h === 'Progressing');
    assert.equal(a.status?.sourceType, 'Directory');
  });

  it('blue-green: Helm chart with a Rollout, Synced, health reported per resource', async () => {
    const ns = 'ex-blue-green';
    const done = await syncApp('blue-green', { path: 'blue-green', helm: { releaseName: 'blue-green' } }, ns, false);
    assert.match(done.status!.operationState!.message!, /Rollout\/blue-green-helm-guestbook/);
    assert.deepEqual(done.status?.resources?.map((r) => `${r.kind}/${r.name}`).sort(), ['Rollout/blue-green-helm-guestbook', 'Service/blue-green-helm-guestbook', 'Service/blue-green-helm-guestbook-preview']);
    // no Rollouts controller runs in this cluster (--no-components): the Rollout has no status, so Argo
    // assesses it Progressing; the Services are Healthy
    const a = await env.waitApp('blue-green', (x) => !!healthOf(x, 'Rollout') && healthOf(x, 'Service', 'blue-green-helm-guestbook') === 'Healthy', 'health per resource', 120_000);
    assert.ok(['Progressing', 'Healthy'].includes(healthOf(a, 'Rollout')!), `Rollout health ${healthOf(a, 'Rollout')}`);
    await terminate('blue-green');
    await deleteApp('blue-green', [['rollouts.argoproj.io', 'blue-green-helm-guestbook', ns], ['service', 'blue-green-helm-guestbook-preview', ns]]);
  });

  it('apps (app of apps): the parent syncs and creates the child Applications, whose unreachable repo is a ComparisonError', async () => {
    const values = readFileSync(join(EXAMPLE_APPS, 'apps', 'values.yaml'), 'utf8');
    const children = [...values.matchAll(/^ {2}- name: (\S+)/gm)].map((m) => `example.${m[1]}`);
    assert.ok(children.length >= 10, `children in values.yaml: ${children.join(', ')}`);
    const done = await syncApp('apps', { path: 'apps', helm: { releaseName: 'apps' } }, 'argocd');
    assert.deepEqual(done.status?.resources?.map((r) => r.name).sort(), [...children].sort());
    assert.ok(done.status?.resources?.every((r) => r.kind === 'Application' && r.status === 'Synced'));
    const child = await env.waitApp('example.guestbook', (a) => !!a.status?.conditions?.some((c) => c.type === 'ComparisonError'), 'ComparisonError for the unreachable upstream repo', 180_000);
    assert.match(child.spec.source!.repoURL, /argocd-example-apps/);
    // the controller keeps serving: the parent is still compared and Synced
    const parent = await env.waitApp('apps', (a) => synced(a) && !!a.status?.health?.status, 'parent still Synced with health');
    assert.ok(parent.status?.health?.status);
    await deleteApp('apps', children.map((c) => ['application', c, 'argocd'] as [string, string, string]));
  });

  it('sock-shop: many resources Synced, health reported per resource', async () => {
    const ns = 'sock-shop';
    const done = await syncApp('sock-shop', { path: 'sock-shop' }, ns, false);
    const kinds = done.status?.resources?.map((r) => r.kind) ?? [];
    assert.equal(kinds.filter((k) => k === 'Deployment').length, 14);
    assert.equal(kinds.filter((k) => k === 'Service').length, 14);
    assert.ok(kinds.includes('Ingress'));
    // the weaveworksdemos/mongo/rabbitmq images have no mapping here (ErrImagePull): the Deployments
    // are Progressing; every Deployment and Service has its health assessed
    const a = await env.waitApp('sock-shop', (x) => !!x.status?.resources?.filter((r) => r.kind === 'Deployment' || r.kind === 'Service').every((r) => !!r.health?.status), 'health per resource', 180_000);
    assert.ok(['Healthy', 'Progressing', 'Degraded'].includes(a.status!.health!.status), `app health ${a.status?.health?.status}`);
    assert.ok(a.status?.resources?.filter((r) => r.kind === 'Service').every((r) => r.health?.status === 'Healthy'), 'Services are Healthy');
    assert.equal(a.status?.sync?.status, 'Synced');
    await terminate('sock-shop');
    await deleteApp('sock-shop', [['deployment', 'front-end', ns], ['service', 'carts-db', ns], ['ingress', 'front-end-ingress', ns]]);
  });
  it('override files in Git: .argocd-source.yaml then .argocd-source-<app>.yaml change the rendered Helm and Kustomize sources; OutOfSync; a sync applies them', async () => {
    const ns = 'ex-overrides';
    const create = (name: string, path: string, extra: Record<string, unknown> = {}) =>
      env.applyApp({
        metadata: { name, namespace: 'argocd', finalizers: ['resources-finalizer.argocd.argoproj.io'] },
        spec: { project: 'default', source: { repoURL: env.git.url('overrides'), targetRevision: 'HEAD', path, ...extra }, destination: { server: 'https://kubernetes.default.svc', namespace: ns }, syncPolicy: { syncOptions: ['CreateNamespace=true'] } },
      });
    const sync = async (name: string) => {
      await env.client.patch(APPS, 'argocd', name, { operation: { sync: { revision: 'HEAD' }, initiatedBy: { username: 'admin' } } });
      await env.waitApp(name, (a) => synced(a) && a.status?.operationState?.phase === 'Succeeded' && a.status.operationState.syncResult?.revision === env.git.head('overrides') && !a.operation, `${name} synced at the new commit`, 240_000);
    };
    const refresh = (name: string) => env.k(['annotate', '--overwrite', 'application', name, '-n', 'argocd', 'argocd.argoproj.io/refresh=normal']);
    const deploy = async (name: string) => JSON.parse(await env.k(['get', 'deployment', name, '-n', ns, '-o', 'json']));
    await create('ovr-helm', 'helm-guestbook', { helm: { releaseName: 'ovr-helm' } });
    await create('ovr-kust', 'kustomize-guestbook');
    await env.waitApp('ovr-helm', (a) => a.status?.sync?.status === 'OutOfSync', 'ovr-helm compared');
    await env.waitApp('ovr-kust', (a) => a.status?.sync?.status === 'OutOfSync', 'ovr-kust compared');
    await Promise.all([sync('ovr-helm'), sync('ovr-kust')]);
    assert.equal((await deploy('ovr-helm-helm-guestbook')).spec.replicas, 1);
    // each file is a JSON merge patch over the source, the shared file first and the app's own file
    // last: keys merge (values from one, parameters from the other), a list is replaced whole
    env.git.commit('overrides', {
      'helm-guestbook/.argocd-source.yaml': 'helm:\n  values: |\n    service:\n      port: 8080\n  parameters:\n  - name: replicaCount\n    value: "3"\n',
      'helm-guestbook/.argocd-source-ovr-helm.yaml': 'helm:\n  parameters:\n  - name: replicaCount\n    value: "2"\n',
      'kustomize-guestbook/.argocd-source-ovr-kust.yaml': 'kustomize:\n  images:\n  - gcr.io/google-samples/gb-frontend:v6\n',
    }, 'parameter overrides');
    await Promise.all([refresh('ovr-helm'), refresh('ovr-kust')]);
    for (const n of ['ovr-helm', 'ovr-kust']) await env.waitApp(n, (a) => a.status?.sync?.status === 'OutOfSync' && a.status.sync.revision === env.git.head('overrides'), `${n} OutOfSync after the override commit`, 120_000);
    await Promise.all([sync('ovr-helm'), sync('ovr-kust')]);
    assert.equal((await deploy('ovr-helm-helm-guestbook')).spec.replicas, 2);
    assert.equal(JSON.parse(await env.k(['get', 'service', 'ovr-helm-helm-guestbook', '-n', ns, '-o', 'json'])).spec.ports[0].port, 8080);
    assert.equal((await deploy('kustomize-guestbook-ui')).spec.template.spec.containers[0].image, 'gcr.io/google-samples/gb-frontend:v6');
    // the Application's own settings are the base the files patch: its valuesObject stays (no file sets
    // it), its parameters list is replaced by the files' list
    await env.client.patch(APPS, 'argocd', 'ovr-helm', { spec: { source: { helm: { releaseName: 'ovr-helm', valuesObject: { image: { tag: 'v4' } }, parameters: [{ name: 'replicaCount', value: '4' }] } } } });
    await env.waitApp('ovr-helm', (a) => a.status?.sync?.status === 'OutOfSync', 'ovr-helm OutOfSync after the Application change', 120_000);
    await sync('ovr-helm');
    const d = await deploy('ovr-helm-helm-guestbook');
    assert.equal(d.spec.template.spec.containers[0].image, 'gcr.io/google-samples/gb-frontend:v4');
    assert.equal(d.spec.replicas, 2);
    // the files removed from Git: the Application's own parameters count again
    env.git.commit('overrides', { 'helm-guestbook/.argocd-source.yaml': null, 'helm-guestbook/.argocd-source-ovr-helm.yaml': null }, 'no overrides');
    await refresh('ovr-helm');
    await env.waitApp('ovr-helm', (a) => a.status?.sync?.status === 'OutOfSync' && a.status.sync.revision === env.git.head('overrides'), 'ovr-helm OutOfSync without the files', 120_000);
    await sync('ovr-helm');
    assert.equal((await deploy('ovr-helm-helm-guestbook')).spec.replicas, 4);
    for (const n of ['ovr-helm', 'ovr-kust']) await env.k(['delete', 'application', n, '-n', 'argocd', '--wait=false']);
    await waitFor('override apps gone', async () => (await env.kubectl(['get', 'deployment', 'ovr-helm-helm-guestbook', '-n', ns])).code !== 0, 240_000, 500);
  });
});
