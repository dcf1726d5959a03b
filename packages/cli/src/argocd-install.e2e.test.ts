/**
 * Argo CD's install (manifests/argo-cd/install.yaml) on one `flotilla up --components argo-cd`: the
 * CRDs with their schemas, RBAC and settings, Redis with the password its init container made,
 * the repo server Ready and rendering from a Git server on the host (through
 * host.flotilla.internal) with credentials from a repository Secret and its cache in argocd-redis,
 * the controller and API server pods running Flotilla's entry points, and the argocd launcher.
 * While the controller's and the server's packages are still stubs on a branch, their pods are
 * checked for the right program and arguments instead of readiness.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RepoClient, RepoError } from '@flotilla/repo-server/client';
import { exampleAppsRepo, startGitServer, type GitServer } from '@flotilla/repo-server/testkit';
import { kube, portForward, stubbed, workloadReady } from './argocd-testutil.js';
import { eventually, startUp, stopUp, type Up } from './testkit.js';

const NS = 'argocd';
const STUBS = { controller: stubbed('@flotilla/argocd-controller/main'), server: stubbed('@flotilla/argocd-server/main') };
const CM = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  k: v\n`;

let dir: string;
let up: Up;
let git: GitServer;
let locked: GitServer;
let examples: string | undefined;
const { kubectl, ok, json } = kube((dir = mkdtempSync(join(tmpdir(), 'flotilla-argocd-install-'))), () => up);

describe('Argo CD install on flotilla up --components argo-cd', { timeout: 900_000 }, () => {
  before(async () => {
    examples = exampleAppsRepo();
    git = await startGitServer({ repos: { apps: null, ...(examples ? { 'argocd-example-apps': examples } : {}) } });
    git.commit('apps', { 'guestbook/a.yaml': CM('a'), 'guestbook/b.yaml': CM('b') }, 'two config maps');
    locked = await startGitServer({ repos: { private: null }, auth: { username: 'robot', password: 'pa55word' } });
    locked.commit('private', { 'app/cm.yaml': CM('from-private') });
    // with stub controller/server the Deployments never become available: do not wait long for them
    const wait = STUBS.controller || STUBS.server ? '30' : '400';
    up = await startUp(join(dir, 'data'), 700_000, { components: ['argo-cd'], args: ['--components-timeout', wait] });
  });
  after(async () => {
    if (up) await stopUp(up, 'SIGTERM');
    await git?.stop();
    await locked?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('flotilla up applies the manifest and prints the argocd launcher', async () => {
    const out = up.output();
    assert.match(out, /argo-cd: applying \d+ objects from .*manifests\/argo-cd\/install\.yaml/);
    assert.match(out, /bin: .*\bargocd\b/);
    assert.ok(existsSync(join(dir, 'data', 'bin', 'argocd')), 'the argocd launcher is written');
    assert.match(out, /export PATH=.*\/bin:\$PATH/);
    // the installer's client is not held back by its own rate limit while it applies the manifest
    assert.doesNotMatch(out, /client-side throttling/);
  });

  it('the journey’s plain kubectl apply of the same file works on top of flotilla up’s', async () => {
    const manifest = fileURLToPath(new URL('../../../manifests/argo-cd/install.yaml', import.meta.url));
    const r = await kubectl(['apply', '-n', NS, '-f', manifest], { timeoutMs: 300_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /customresourcedefinition\.apiextensions\.k8s\.io\/applications\.argoproj\.io (configured|unchanged)/);
  });

  it('the CRDs: Argo CD names, Application without a status subresource, printer columns; settings; the default project', async () => {
    const app = await json(['get', 'crd', 'applications.argoproj.io']);
    assert.deepEqual(app.spec.names.shortNames, ['app', 'apps']);
    const v = app.spec.versions[0];
    assert.equal(v.name, 'v1alpha1');
    assert.equal(v.subresources?.status, undefined, 'upstream serves Application status through the main resource');
    assert.deepEqual(v.additionalPrinterColumns.map((c: any) => c.name), ['Sync Status', 'Health Status', 'Revision', 'Project']);
    const appset = await json(['get', 'crd', 'applicationsets.argoproj.io']);
    assert.deepEqual(appset.spec.versions[0].subresources, { status: {} });
    if (!STUBS.controller) {
      // not in the manifest (a CRD's objects cannot be applied with it): the controller creates it
      const proj = await eventually('the default AppProject', async () => (await kubectl(['get', 'appproject', 'default', '-n', NS, '-o', 'json'])).stdout, 240_000);
      assert.deepEqual(JSON.parse(proj).spec.sourceRepos, ['*']);
      assert.deepEqual(JSON.parse(proj).spec.destinations, [{ namespace: '*', server: '*' }]);
    }
    const cm = await json(['get', 'configmap', 'argocd-cm', '-n', NS]);
    assert.equal(cm.data['admin.enabled'], 'true');
    for (const name of ['argocd-cmd-params-cm', 'argocd-rbac-cm', 'argocd-ssh-known-hosts-cm', 'argocd-tls-certs-cm', 'argocd-gpg-keys-cm']) await ok(['get', 'configmap', name, '-n', NS]);
    await ok(['get', 'secret', 'argocd-secret', '-n', NS]);
  });

  it('Application objects are validated by the schema; open fields are kept', async () => {
    const bad = await kubectl(['apply', '-n', NS, '-f', '-'], { input: 'apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: no-dest}\nspec:\n  project: default\n  source: {repoURL: x}\n' });
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /destination/);
    const badType = await kubectl(['apply', '-n', NS, '-f', '-'], { input: 'apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: bad-type}\nspec:\n  project: default\n  destination: {server: https://kubernetes.default.svc}\n  syncPolicy: {automated: {prune: "very"}}\n' });
    assert.notEqual(badType.code, 0);
    assert.match(badType.stderr, /prune/);
    const good = `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: schema-check}
spec:
  project: never-synced
  destination: {server: https://kubernetes.default.svc, namespace: default}
  source:
    repoURL: ${git.podURL('apps')}
    path: guestbook
    helm:
      valuesObject: {deep: {list: [1, {x: z}]}}
`;
    await ok(['apply', '-n', NS, '-f', '-'], { input: good });
    try {
      const a = await json(['get', 'application', 'schema-check', '-n', NS]);
      assert.deepEqual(a.spec.source.helm.valuesObject, { deep: { list: [1, { x: 'z' }] } });
      const table = await ok(['get', 'apps', '-n', NS]);
      assert.match(table.split('\n')[0]!, /NAME\s+SYNC STATUS\s+HEALTH STATUS/);
    } finally {
      await kubectl(['delete', 'application', 'schema-check', '-n', NS, '--wait=false']);
    }
  });

  it('argocd-redis: its init container made the password Secret; the repo server is Ready', async () => {
    const secret = await eventually('Secret argocd-redis', async () => (await kubectl(['get', 'secret', 'argocd-redis', '-n', NS, '-o', 'json'])).stdout, 180_000);
    const pw = Buffer.from(JSON.parse(secret).data.auth, 'base64').toString();
    assert.match(pw, /^[A-Za-z0-9]{16}$/);
    await eventually('argocd-redis ready', async () => workloadReady(await json(['get', 'deployment', 'argocd-redis', '-n', NS])), 240_000);
    await eventually('argocd-repo-server ready', async () => workloadReady(await json(['get', 'deployment', 'argocd-repo-server', '-n', NS])), 240_000);
    const pod = (await json(['get', 'pods', '-n', NS, '-l', 'app.kubernetes.io/name=argocd-repo-server'])).items[0];
    assert.deepEqual(pod.spec.containers[0].args, ['argocd-repo-server']);
    const logs = await ok(['logs', '-n', NS, pod.metadata.name]);
    assert.match(logs, /argocd-repo-server is listening on 0\.0\.0\.0:8081/);
    assert.match(logs, /redis argocd-redis:6379: connected/);
  });

  it('the repo server renders from a Git server on the host, reads repository Secrets and caches in argocd-redis', async () => {
    const pf = await portForward(dir, up, NS, 'svc/argocd-repo-server', 8081);
    try {
      const client = new RepoClient(`http://127.0.0.1:${pf.port}`);
      const r = await client.generateManifests({ source: { repoURL: git.podURL('apps'), path: 'guestbook', targetRevision: 'main' }, appName: 'gb', namespace: 'default' });
      assert.equal(r.revision, git.head('apps'));
      assert.deepEqual(r.manifests.map((m) => m.metadata?.name), ['a', 'b']);
      if (examples) {
        const gb = await client.generateManifests({ source: { repoURL: git.podURL('argocd-example-apps'), path: 'guestbook' }, appName: 'guestbook' });
        assert.deepEqual(gb.manifests.map((m) => m.kind).sort(), ['Deployment', 'Service']);
      }
      // a private repository: unreachable until a repository Secret names it
      await assert.rejects(client.listRefs(locked.podURL('private')), (e: unknown) => e instanceof RepoError && e.code === 'Unreachable');
      await ok(['apply', '-n', NS, '-f', '-'], {
        input: JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'repo-private', labels: { 'argocd.argoproj.io/secret-type': 'repository' } }, stringData: { url: locked.podURL('private'), username: 'robot', password: 'pa55word' } }),
      });
      const priv = await eventually('render with credentials from the Secret', async () => client.generateManifests({ source: { repoURL: locked.podURL('private'), path: 'app' } }).catch(() => undefined), 60_000);
      assert.equal(priv.manifests[0]!.metadata?.name, 'from-private');
      // the render cache in argocd-redis
      const pw = Buffer.from((await json(['get', 'secret', 'argocd-redis', '-n', NS])).data.auth, 'base64').toString();
      const keys = await ok(['exec', '-n', NS, 'deploy/argocd-redis', '-c', 'redis', '--', 'redis-cli', '-a', pw, '--no-auth-warning', 'KEYS', 'mfst|*']);
      assert.ok(keys.trim().split('\n').filter(Boolean).length >= 2, `cached renders in redis: ${keys}`);
    } finally {
      pf.stop();
    }
  });

  it('the application controller (StatefulSet) and the API server run their entry points', async () => {
    for (const [name, kind, label, stub] of [
      ['argocd-application-controller', 'statefulset', 'argocd-application-controller', STUBS.controller],
      ['argocd-server', 'deployment', 'argocd-server', STUBS.server],
    ] as const) {
      const pod = await eventually(`${name} pod started`, async () => {
        const p = (await json(['get', 'pods', '-n', NS, '-l', `app.kubernetes.io/name=${label}`])).items[0];
        const st = p?.status?.containerStatuses?.[0];
        return st && (st.state?.running || st.state?.terminated || st.lastState?.terminated) ? p : undefined;
      }, 240_000);
      assert.deepEqual(pod.spec.containers[0].args, [name]);
      assert.equal(pod.spec.containers[0].image, 'flotilla/flotilla:0.1.0');
      if (stub) {
        // the branch's stub main: the pod runs it (and it says so)
        const logs = await eventually(`${name} logs`, async () => {
          const r = await kubectl(['logs', '-n', NS, pod.metadata.name]);
          const prev = await kubectl(['logs', '-n', NS, pod.metadata.name, '--previous']);
          return /not built yet/.test(r.stdout + prev.stdout) ? r.stdout + prev.stdout : undefined;
        }, 120_000);
        assert.match(logs, new RegExp(`${name}: not built yet`));
      } else {
        await eventually(`${name} ready`, async () => workloadReady(await json(['get', kind, name, '-n', NS])), 300_000);
      }
    }
  });
});
