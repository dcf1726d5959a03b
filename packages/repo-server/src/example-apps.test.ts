// Conformance against the upstream fixtures in ../shared/upstream: a Git repository is built at
// test time from argocd-example-apps (and one from argo-cd-e2e-testdata), served by `git daemon`,
// and every application in it is rendered. Skipped with a reason when the fixtures are absent.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { helmUnavailableReason, RepoError, RepoServer } from './index.js';
import {
  cleanupTemp,
  copyTree,
  diffObjects,
  loadExpected,
  startGitDaemon,
  tempDir,
  testdata,
  TestRepo,
  upstreamDir,
  type GitDaemon,
} from './test-helpers.js';

const upstream = upstreamDir();
const examples = upstream && join(upstream, 'argocd-example-apps');
const e2e = upstream && join(upstream, 'argo-cd-e2e-testdata');
const expected = (name: string) => loadExpected(readFileSync(testdata(`expected/${name}`), 'utf8'));

let daemon: GitDaemon | undefined;
let server: RepoServer;
let examplesUrl = '';
let e2eUrl = '';
let helmReason: string | undefined;

before(async () => {
  helmReason = await helmUnavailableReason();
  if (!upstream) return;
  const base = tempDir();
  if (examples && existsSync(examples)) {
    const r = new TestRepo(base, 'argocd-example-apps', 'master');
    copyTree(examples, r.work);
    r.commit('argocd-example-apps');
  }
  if (e2e && existsSync(e2e)) {
    const r = new TestRepo(base, 'e2e', 'master');
    copyTree(e2e, r.work);
    r.commit('argo-cd-e2e-testdata');
  }
  daemon = await startGitDaemon(base);
  examplesUrl = daemon.url('argocd-example-apps.git');
  e2eUrl = daemon.url('e2e.git');
  server = new RepoServer({ cacheDir: tempDir() });
});

after(async () => {
  server?.close();
  await daemon?.stop();
  cleanupTemp();
});

/** Apps that cannot render here, with the reason. */
const NOT_HERE: Record<string, string> = {
  plugins: 'config management plugin examples need a CMP sidecar',
  'helm-dependency': 'its chart dependency is downloaded from charts.helm.sh (no network in tests)',
};

describe('argocd-example-apps', () => {
  test('every application renders', async (t) => {
    if (!examples || !existsSync(examples)) return t.skip('../shared/upstream/argocd-example-apps is not present');
    const apps = readdirSync(examples).filter((d) => statSync(join(examples, d)).isDirectory() && !d.startsWith('.'));
    assert.ok(apps.length >= 10, `found ${apps.join(', ')}`);
    for (const app of apps.sort()) {
      await t.test(app, async (tt) => {
        if (NOT_HERE[app]) return tt.skip(NOT_HERE[app]);
        const isHelm = existsSync(join(examples, app, 'Chart.yaml'));
        if (isHelm && helmReason) return tt.skip(`Helm rendering unavailable: ${helmReason}`);
        const r = await server.generateManifests({ repoURL: examplesUrl, targetRevision: 'HEAD', path: app }, { appName: app, namespace: 'default' });
        assert.ok(r.objects.length > 0, `${app} rendered no objects`);
        for (const o of r.objects) {
          // Kustomize bases may live in sibling directories (pre-post-sync uses ../kustomize-guestbook).
          assert.ok(existsSync(join(examples, o.source)), `${app}: source ${o.source} is not a file of the repository`);
          assert.ok(
            o.object.kind && o.object.apiVersion && (o.object.metadata?.name || o.object.metadata?.generateName),
            `${app}: incomplete object ${JSON.stringify(o.object).slice(0, 80)}`,
          );
        }
      });
    }
  });

  for (const app of ['guestbook', 'kustomize-guestbook', 'jsonnet-guestbook']) {
    test(`${app} matches the expected objects`, async (t) => {
      if (!examples || !existsSync(examples)) return t.skip('../shared/upstream/argocd-example-apps is not present');
      const r = await server.generateManifests({ repoURL: examplesUrl, path: app });
      assert.equal(r.sourceType, { guestbook: 'Directory', 'kustomize-guestbook': 'Kustomize', 'jsonnet-guestbook': 'Jsonnet' }[app]);
      assert.deepEqual(diffObjects(r.objects, expected(`${app}.yaml`)), []);
    });
  }

  test('kustomize bases in sibling directories (pre-post-sync) and many resources (sock-shop)', async (t) => {
    if (!examples || !existsSync(examples)) return t.skip('../shared/upstream/argocd-example-apps is not present');
    const pps = await server.generateManifests({ repoURL: examplesUrl, path: 'pre-post-sync' });
    assert.deepEqual(pps.objects.map((o) => `${o.object.kind}/${o.object.metadata?.name} ${o.source}`).sort(), [
      'Deployment/pre-post-sync-kustomize-guestbook-ui kustomize-guestbook/guestbook-ui-deployment.yaml',
      'Job/pre-post-sync-after pre-post-sync/post-sync-job.yaml',
      'Job/pre-post-sync-before pre-post-sync/pre-sync-job.yaml',
      'Service/pre-post-sync-kustomize-guestbook-ui kustomize-guestbook/guestbook-ui-svc.yaml',
    ]);
    const shop = await server.generateManifests({ repoURL: examplesUrl, path: 'sock-shop' });
    const files = readdirSync(join(examples, 'sock-shop', 'base'));
    assert.equal(shop.objects.length, files.length);
    assert.deepEqual(shop.objects.map((o) => o.source).sort(), files.map((f) => `sock-shop/base/${f}`).sort());
  });

  test('jsonnet TLAs override the function defaults', async (t) => {
    if (!examples || !existsSync(examples)) return t.skip('../shared/upstream/argocd-example-apps is not present');
    const r = await server.generateManifests({
      repoURL: examplesUrl,
      path: 'jsonnet-guestbook-tla',
      directory: { jsonnet: { tlas: [{ name: 'name', value: 'tla-$ARGOCD_APP_NAME' }, { name: 'replicas', value: '4', code: true }] } },
    }, { appName: 'demo' });
    const dep = r.objects.find((o) => o.object.kind === 'Deployment')!.object as { metadata: { name: string }; spec: { replicas: number } };
    assert.equal(dep.metadata.name, 'tla-demo');
    assert.equal(dep.spec.replicas, 4);
  });
});

describe('argo-cd-e2e-testdata', () => {
  const ok = (name: string) => !e2e || !existsSync(join(e2e, name));

  test('jsonnet ext vars, TLAs and nested imports', async (t) => {
    if (ok('jsonnet-ext-var')) return t.skip('../shared/upstream/argo-cd-e2e-testdata is not present');
    const ext = await server.generateManifests({
      repoURL: e2eUrl,
      path: 'jsonnet-ext-var',
      directory: { jsonnet: { extVars: [{ name: 'foo', value: 'foo-value' }, { name: 'bar', value: '$ARGOCD_APP_REVISION_SHORT' }] } },
    });
    assert.deepEqual(ext.objects[0]!.object['data'], { foo: 'foo-value', bar: ext.revision.slice(0, 7) });
    const tla = await server.generateManifests({ repoURL: e2eUrl, path: 'jsonnet-tla', directory: { jsonnet: { tlas: [{ name: 'name', value: 'tla-name' }] } } });
    assert.ok(tla.objects.every((o) => o.object.metadata?.name === 'tla-name'));
    const nested = await server.generateManifests({ repoURL: e2eUrl, path: 'jsonnet-nested-dir-with-imports/apps', directory: { recurse: true } });
    assert.deepEqual(nested.objects.map((o) => `${o.object.kind} ${o.source}`), [
      'Namespace jsonnet-nested-dir-with-imports/apps/nested/directory/test.jsonnet',
      'Namespace jsonnet-nested-dir-with-imports/apps/test-root.jsonnet',
    ]);
  });

  test('kustomize apps, a broken kustomization and a version override file', async (t) => {
    if (ok('kustomize')) return t.skip('../shared/upstream/argo-cd-e2e-testdata is not present');
    const k = await server.generateManifests({ repoURL: e2eUrl, path: 'kustomize' });
    assert.equal(k.sourceType, 'Kustomize');
    assert.ok(k.objects.length >= 1);
    const gen = await server.generateManifests({ repoURL: e2eUrl, path: 'kustomize-cm-gen' });
    assert.equal(gen.objects[0]!.object.kind, 'ConfigMap');
    assert.equal(gen.objects[0]!.source, 'kustomize-cm-gen/kustomization.yaml');
    await assert.rejects(server.generateManifests({ repoURL: e2eUrl, path: 'invalid-kustomize' }), (e: unknown) => {
      assert.ok(e instanceof RepoError && e.code === 'RenderFailed', String(e));
      assert.equal(e.file, 'invalid-kustomize/kustomization.yaml');
      assert.match(e.message, /does-not-exist\.yaml/);
      return true;
    });
    // .argocd-source.yaml asks for kustomize v1.2.3, which is not registered here.
    await assert.rejects(server.generateManifests({ repoURL: e2eUrl, path: 'kustomize-with-version-override' }), /kustomize version v1\.2\.3 is not registered/);
  });

  test('plain directories', async (t) => {
    if (ok('guestbook')) return t.skip('../shared/upstream/argo-cd-e2e-testdata is not present');
    for (const p of ['guestbook', 'duplicated-resources', 'guestbook-with-namespace', 'hook', 'multi-namespace']) {
      if (!existsSync(join(e2e!, p))) continue;
      const r = await server.generateManifests({ repoURL: e2eUrl, path: p });
      assert.ok(r.objects.length > 0, p);
    }
  });
});
