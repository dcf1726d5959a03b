/**
 * End to end on one `flotilla up` with manifests/argo-cd/install.yaml: the
 * argocd-applicationset-controller pod runs a git-directories ApplicationSet over
 * argocd-example-apps (served from the host, reached by the pod as host.flotilla.internal):
 * one Application per matching directory, rendered by the application controller; a directory
 * committed → a new Application; a removed one → deleted under `sync`, kept under `create-update`.
 * Skipped with the reason when the upstream fixtures are absent.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeClient } from '@flotilla/kube-runtime';
import { kubectlFor, startUp, stopUp, waitFor, type Up } from '@flotilla/kube-runtime/testkit';
import { exampleAppsRepo, startGitServer, type GitServer } from '@flotilla/repo-server/testkit';
import { APPLICATIONS, APPLICATIONSETS, REFRESH_ANNOTATION } from './controller.js';
import { EXAMPLE_APPS } from './testenv.js';
import type { Application, ApplicationSet } from './types.js';

const skip = !existsSync(EXAMPLE_APPS) ? `argocd-example-apps not found at ${EXAMPLE_APPS}` : !existsSync('/usr/bin/kubectl') ? 'kubectl not installed' : undefined;
if (skip) console.log(`# skipped: ${skip}`);

let dir: string;
let up: Up;
let git: GitServer;
let client: KubeClient;
let k: (args: string[]) => Promise<string>;

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'appset-e2e-'));
  const t0 = Date.now();
  up = await startUp(join(dir, 'up'), 180_000, { components: ['argo-cd'] });
  const kc = kubectlFor(join(dir, 'home'), up.kubeconfig);
  k = (args) => kc.k(args);
  client = new KubeClient(up.kubeconfig, { qps: 100, burst: 200 });
  git = await startGitServer({ repos: { 'argocd-example-apps': exampleAppsRepo()! } });
  await waitFor('argocd-applicationset-controller ready', async () => {
    const d = JSON.parse((await kc.kubectl(['get', 'deployment', 'argocd-applicationset-controller', '-n', 'argocd', '-o', 'json'])).stdout || '{}');
    return (d.status?.readyReplicas ?? 0) >= 1;
  }, 240_000, 1000);
  console.log(`# flotilla up with Argo CD, applicationset controller ready after ${Date.now() - t0} ms`);
}, { timeout: 300_000 });

after(async () => {
  if (skip) return;
  client?.close();
  await git?.stop();
  if (up) await stopUp(up, 'SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

const set = (name: string, policy: string, prefix: string) => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'ApplicationSet',
  metadata: { name, namespace: 'argocd' },
  spec: {
    syncPolicy: { applicationsSync: policy },
    generators: [{ git: { repoURL: git.podURL('argocd-example-apps'), revision: 'HEAD', directories: [{ path: '*guestbook*' }, { path: 'jsonnet-guestbook-tla', exclude: true }] } }],
    template: {
      metadata: { name: `${prefix}{{path.basename}}`, labels: { set: name } },
      spec: { project: 'default', source: { repoURL: git.podURL('argocd-example-apps'), targetRevision: 'HEAD', path: '{{path}}' }, destination: { server: 'https://kubernetes.default.svc', namespace: `${prefix}{{path.basenameNormalized}}` } },
    },
  },
});
const names = async (s: string) => (await client.list<Application>(APPLICATIONS, 'argocd', { labelSelector: `set=${s}` })).items.map((a) => a.metadata!.name!).sort();
const refresh = (name: string) => client.patch(APPLICATIONSETS, 'argocd', name, { metadata: { annotations: { [REFRESH_ANNOTATION]: 'true' } } }, 'merge');

const podLogs = async () => (await k(['logs', '-n', 'argocd', 'deployment/argocd-applicationset-controller', '--tail', '60']).catch((e) => String(e))).replace(/^/gm, '# pod: ');

test('git directories over argocd-example-apps: one app per directory, a new one added, a removed one deleted only under sync', { skip, timeout: 240_000 }, async () => {
  try {
    await journey();
  } catch (e) {
    console.log(await podLogs());
    throw e;
  }
});

async function journey(): Promise<void> {
  const t0 = Date.now();
  writeFileSync(join(dir, 'sets.json'), JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [set('examples', 'sync', ''), set('examples-keep', 'create-update', 'keep-')] }));
  await k(['apply', '-f', join(dir, 'sets.json')]);
  const want = ['guestbook', 'helm-guestbook', 'jsonnet-guestbook', 'kustomize-guestbook'];
  await waitFor('one app per directory', async () => JSON.stringify(await names('examples')) === JSON.stringify(want), 60_000, 500);
  console.log(`# ${want.length} apps created ${Date.now() - t0} ms after kubectl apply`);
  // the application controller renders them from the same repository: real sources
  await waitFor('guestbook compared by the application controller', async () => {
    const a = await client.get<Application>(APPLICATIONS, 'argocd', 'guestbook');
    return a.status?.sync?.status === 'OutOfSync';
  }, 90_000, 1000);
  const s = await waitFor('status of the set', async () => {
    const x = await client.get<ApplicationSet>(APPLICATIONSETS, 'argocd', 'examples');
    return x.status?.resources?.length === 4 ? x : undefined;
  }, 30_000, 500);
  assert.equal(s.status?.conditions?.find((c) => c.type === 'ResourcesUpToDate')?.status, 'True');

  git.commit('argocd-example-apps', { 'new-guestbook/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: new}\ndata: {a: "1"}\n', 'helm-guestbook': null }, 'a new directory, one removed');
  const t1 = Date.now();
  await refresh('examples');
  await refresh('examples-keep');
  await waitFor('new app added, removed one deleted', async () => JSON.stringify(await names('examples')) === JSON.stringify(['guestbook', 'jsonnet-guestbook', 'kustomize-guestbook', 'new-guestbook']), 60_000, 500);
  await waitFor('create-update: new app added, removed one kept', async () => (await names('examples-keep')).length === 5, 60_000, 500);
  console.log(`# commit seen (refresh annotation) after ${Date.now() - t1} ms`);
  assert.deepEqual(await names('examples-keep'), ['keep-guestbook', 'keep-helm-guestbook', 'keep-jsonnet-guestbook', 'keep-kustomize-guestbook', 'keep-new-guestbook']);
  // the controller removes the refresh annotation once it has generated
  await waitFor('refresh annotation removed', async () => (await client.get<ApplicationSet>(APPLICATIONSETS, 'argocd', 'examples')).metadata?.annotations?.[REFRESH_ANNOTATION] === undefined, 15_000, 250);
}
