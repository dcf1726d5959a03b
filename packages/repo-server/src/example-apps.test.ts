// Conformance against the upstream fixtures in ../shared/upstream: a Git repository is built at
// test time from argocd-example-apps (and one from argo-cd-e2e-testdata), served by `git daemon`,
// and every application in it is rendered and compared object by object with an expected output
// (src/testdata/expected/*.yaml, each written from the sources and the documented behaviour of
// Helm, Kustomize, Jsonnet and Argo CD, with the reasoning at its top). Skipped with a reason when
// the fixtures are absent.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { which } from './exec.js';
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
  type Expected,
  type GitDaemon,
} from './test-helpers.js';
import type { ApplicationSource, GenerateOptions, ManifestResult, SourceType } from './types.js';

const upstream = upstreamDir();
const examples = upstream && join(upstream, 'argocd-example-apps');
const e2e = upstream && join(upstream, 'argo-cd-e2e-testdata');
const expected = (name: string) => loadExpected(readFileSync(testdata(`expected/${name}`), 'utf8'));

/**
 * The expectation for a render that must leave its inputs alone (a plain directory, or a
 * kustomization with nothing but `resources`): every YAML document of the listed files, parsed
 * here independently of the renderer (YAML 1.1 scalars, as Kubernetes tooling reads them), with
 * its file as the source. `files` are relative to `dir` (a repository-relative directory) and may
 * climb into sibling directories.
 */
function unchanged(root: string, dir: string, files: string[]): Expected[] {
  return files.flatMap((f) => {
    const source = posix.normalize(posix.join(dir, f));
    return parseAllDocuments(readFileSync(join(root, source), 'utf8'), { version: '1.1' })
      .map((d) => d.toJS() as Record<string, unknown> | null)
      .filter((o): o is Record<string, unknown> => o !== null && o !== undefined)
      .map((object) => ({ source, object }));
  });
}

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

/** How each argocd-example-apps app is rendered and what it must produce. */
interface ExampleCase {
  /** Test name (defaults to the app). */
  name?: string;
  app: string;
  type: SourceType;
  /** Expected file name, or a function building the expectation from the sources. */
  expect: string | (() => Expected[]);
  source?: Partial<ApplicationSource>;
  gen?: GenerateOptions;
}

const EXAMPLES: ExampleCase[] = [
  { app: 'apps', type: 'Helm', expect: 'apps.yaml' },
  { app: 'blue-green', type: 'Helm', expect: 'blue-green.yaml' },
  { app: 'guestbook', type: 'Directory', expect: 'guestbook.yaml' },
  { app: 'helm-hooks', type: 'Directory', expect: 'helm-hooks.yaml' },
  { app: 'jsonnet-guestbook', type: 'Jsonnet', expect: 'jsonnet-guestbook.yaml' },
  { app: 'jsonnet-guestbook-tla', type: 'Jsonnet', expect: 'jsonnet-guestbook-tla.yaml' },
  {
    name: 'jsonnet-guestbook-tla with TLAs',
    app: 'jsonnet-guestbook-tla',
    type: 'Jsonnet',
    expect: 'jsonnet-guestbook-tla-args.yaml',
    source: {
      directory: {
        jsonnet: {
          tlas: [
            { name: 'name', value: 'tla-$ARGOCD_APP_NAME' },
            { name: 'replicas', value: '4', code: true },
            { name: 'containerPort', value: '8080', code: true },
            { name: 'type', value: 'ClusterIP' },
          ],
        },
      },
    },
    gen: { appName: 'demo' },
  },
  { app: 'kustomize-guestbook', type: 'Kustomize', expect: 'kustomize-guestbook.yaml' },
  { app: 'pre-post-sync', type: 'Kustomize', expect: 'pre-post-sync.yaml' },
  {
    // A kustomization with only `resources` (no prefix, labels, patches, generators): Kustomize
    // emits each listed resource unchanged, with its file as the origin.
    app: 'sock-shop',
    type: 'Kustomize',
    expect: () => {
      const k = parseYaml(readFileSync(join(examples!, 'sock-shop', 'kustomization.yaml'), 'utf8')) as { resources: string[] };
      assert.equal(Object.keys(k).join(), 'resources', 'sock-shop/kustomization.yaml is no longer resources-only: write a real expectation');
      return unchanged(examples!, 'sock-shop', k.resources);
    },
  },
  { app: 'sync-waves', type: 'Directory', expect: 'sync-waves.yaml' },
];
// helm-guestbook is compared in helm.test.ts (with value files and parameters).
const COMPARED_ELSEWHERE = new Set(['helm-guestbook']);

async function render(url: string, path: string, source: Partial<ApplicationSource> = {}, gen: GenerateOptions = {}): Promise<ManifestResult> {
  return server.generateManifests({ repoURL: url, targetRevision: 'HEAD', path, ...source }, { appName: posix.basename(path), namespace: 'default', ...gen });
}

describe('argocd-example-apps', () => {
  const absent = () => !examples || !existsSync(examples);
  const apps = () => readdirSync(examples!).filter((d) => statSync(join(examples!, d)).isDirectory() && !d.startsWith('.'));

  test('every application renders', async (t) => {
    if (absent()) return t.skip('../shared/upstream/argocd-example-apps is not present');
    assert.ok(apps().length >= 10, `found ${apps().join(', ')}`);
    for (const app of apps().sort()) {
      await t.test(app, async (tt) => {
        if (NOT_HERE[app]) return tt.skip(NOT_HERE[app]);
        const isHelm = existsSync(join(examples!, app, 'Chart.yaml'));
        if (isHelm && helmReason) return tt.skip(`Helm rendering unavailable: ${helmReason}`);
        const r = await render(examplesUrl, app);
        assert.ok(r.objects.length > 0, `${app} rendered no objects`);
        for (const o of r.objects) {
          // Kustomize bases may live in sibling directories (pre-post-sync uses ../kustomize-guestbook).
          assert.ok(existsSync(join(examples!, o.source)), `${app}: source ${o.source} is not a file of the repository`);
          assert.ok(
            o.object.kind && o.object.apiVersion && (o.object.metadata?.name || o.object.metadata?.generateName),
            `${app}: incomplete object ${JSON.stringify(o.object).slice(0, 80)}`,
          );
        }
      });
    }
  });

  test('every renderable application has an expected output', (t) => {
    if (absent()) return t.skip('../shared/upstream/argocd-example-apps is not present');
    const covered = new Set([...EXAMPLES.map((c) => c.app), ...COMPARED_ELSEWHERE]);
    assert.deepEqual(apps().filter((a) => !NOT_HERE[a] && !covered.has(a)), []);
  });

  for (const c of EXAMPLES) {
    test(`${c.name ?? c.app} matches the expected objects`, async (t) => {
      if (absent()) return t.skip('../shared/upstream/argocd-example-apps is not present');
      if (c.type === 'Helm' && helmReason) return t.skip(`Helm rendering unavailable: ${helmReason}`);
      const r = await render(examplesUrl, c.app, c.source, c.gen);
      assert.equal(r.sourceType, c.type);
      assert.deepEqual(diffObjects(r.objects, typeof c.expect === 'string' ? expected(c.expect) : c.expect()), []);
    });
  }
});

/** How each argo-cd-e2e-testdata case is rendered and what it must produce. */
interface E2eCase {
  name?: string;
  path: string;
  type: SourceType;
  /** Expected file name, or the files (relative to `path`) that must come out unchanged. */
  expect: string | { unchanged: string[] };
  source?: Partial<ApplicationSource>;
  gen?: GenerateOptions;
}

const GUESTBOOK = ['guestbook-ui-deployment.yaml', 'guestbook-ui-svc.yaml'];

/** Kustomize cases: resources-only kustomizations (unchanged) and transforming ones. */
const E2E_KUSTOMIZE: E2eCase[] = [
  { path: 'always-outofsync', type: 'Kustomize', expect: { unchanged: ['always-outofsync.yaml'] } },
  // `caBundle: null` is kept: Kustomize preserves explicit nulls in resources it does not patch.
  { path: 'bad-servicecatalog', type: 'Kustomize', expect: { unchanged: ['servicecatalog-apiservice.yaml', 'servicecatalog-svc.yaml'] } },
  { path: 'config-map', type: 'Kustomize', expect: { unchanged: ['config-map.yaml'] } },
  { path: 'crashing-guestbook', type: 'Kustomize', expect: 'e2e-crashing-guestbook.yaml' },
  // Two Dummy objects share a name but not a namespace: distinct resource ids, both kept.
  { path: 'crd-creation', type: 'Kustomize', expect: { unchanged: ['crd.yaml', 'crd-instances.yaml'] } },
  { path: 'crd-subresource', type: 'Kustomize', expect: { unchanged: ['crd.yaml', 'crd-instances.yaml'] } },
  // Kustomize does not validate label values; the invalid one only fails at sync.
  { path: 'failure-during-sync', type: 'Kustomize', expect: { unchanged: ['failure-during-sync.yaml'] } },
  { path: 'guestbook', type: 'Kustomize', expect: { unchanged: GUESTBOOK } },
  {
    name: 'guestbook with Argo CD kustomize options',
    path: 'guestbook',
    type: 'Kustomize',
    expect: 'e2e-guestbook-kustomize-options.yaml',
    source: {
      kustomize: {
        nameSuffix: '-e2e',
        namespace: 'e2e-ns',
        images: ['quay.io/argoprojlabs/argocd-e2e-container:0.1'],
        replicas: [{ name: 'guestbook-ui', count: '2' }],
        commonLabels: { 'app.kubernetes.io/part-of': '${ARGOCD_APP_NAME}-e2e' },
        labelWithoutSelector: true,
        labelIncludeTemplates: true,
        commonAnnotations: { 'e2e/app': '$ARGOCD_APP_NAME' },
        patches: [
          {
            target: { kind: 'Deployment' },
            patch: 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: guestbook-ui\nspec:\n  template:\n    spec:\n      containers:\n        - name: guestbook-ui\n          env:\n            - name: MODE\n              value: e2e\n',
          },
        ],
      },
    },
    gen: { appName: 'opts' },
  },
  { path: 'guestbook-logs', type: 'Kustomize', expect: { unchanged: GUESTBOOK } },
  // Same names in two namespaces (none, and "namespace"): four distinct objects.
  {
    path: 'guestbook-with-namespace',
    type: 'Kustomize',
    expect: { unchanged: [...GUESTBOOK, 'guestbook-ui-deployment-ns.yaml', 'guestbook-ui-svc-ns.yaml'] },
  },
  { path: 'guestbook-with-namespace-manifest', type: 'Kustomize', expect: { unchanged: ['guestbook-ui-namespace.yaml', ...GUESTBOOK] } },
  { path: 'guestbook_local', type: 'Kustomize', expect: { unchanged: GUESTBOOK } },
  // The base's objects keep their files in ../guestbook as sources.
  { path: 'hook-custom-health', type: 'Kustomize', expect: { unchanged: [...GUESTBOOK.map((f) => `../guestbook/${f}`), 'config-map.yaml'] } },
  { path: 'hydrator-kustomize', type: 'Kustomize', expect: 'e2e-hydrator-kustomize.yaml' },
  { path: 'kustomize', type: 'Kustomize', expect: { unchanged: ['pod.yaml'] } },
  { path: 'kustomize-cm-gen', type: 'Kustomize', expect: 'e2e-kustomize-cm-gen.yaml' },
  { path: 'managed-by-url-test', type: 'Kustomize', expect: { unchanged: ['deployment.yaml', 'service.yaml'] } },
];

const E2E_JSONNET: E2eCase[] = [
  {
    path: 'jsonnet-ext-var',
    type: 'Jsonnet',
    expect: 'e2e-jsonnet-ext-var.yaml',
    source: {
      directory: {
        jsonnet: {
          extVars: [
            { name: 'foo', value: 'foo-$ARGOCD_APP_NAME' },
            { name: 'bar', value: "std.join('-', ['a', 'b'])", code: true },
          ],
        },
      },
    },
    gen: { appName: 'ext' },
  },
  {
    path: 'jsonnet-nested-dir-with-imports/apps',
    type: 'Jsonnet',
    expect: 'e2e-jsonnet-nested-dir-with-imports.yaml',
    source: { directory: { recurse: true } },
  },
  {
    path: 'jsonnet-tla',
    type: 'Jsonnet',
    expect: 'e2e-jsonnet-tla.yaml',
    source: {
      directory: {
        jsonnet: {
          tlas: [
            { name: 'name', value: 'tla-name' },
            { name: 'servicePort', value: '8080', code: true },
            { name: 'type', value: 'NodePort' },
          ],
        },
      },
    },
  },
  { path: 'jsonnet-tla-cm', type: 'Jsonnet', expect: 'e2e-jsonnet-tla-cm.yaml', source: { directory: { jsonnet: { tlas: [{ name: 'bar', value: 'option-bar' }] } } } },
];

const E2E_HELM: E2eCase[] = [
  { path: 'helm', type: 'Helm', expect: 'e2e-helm.yaml' },
  { path: 'helm-crd', type: 'Helm', expect: 'e2e-helm-crd.yaml', gen: { appName: 'crd' } },
  { path: 'helm-glob-values', type: 'Helm', expect: 'e2e-helm-glob-values.yaml', source: { helm: { valueFiles: ['envs/**/*.yaml'] } } },
  { path: 'helm-guestbook', type: 'Helm', expect: 'e2e-helm-guestbook.yaml', source: { helm: { parameters: [{ name: 'replicas', value: '3' }] } } },
  {
    path: 'helm-kube-version',
    type: 'Helm',
    expect: 'e2e-helm-kube-version.yaml',
    source: { helm: { kubeVersion: '1.30.1' } },
    gen: { kubeVersion: '1.29.3' },
  },
  { path: 'helm-namespace', type: 'Helm', expect: 'e2e-helm-namespace.yaml', gen: { namespace: 'helm-ns' } },
  { path: 'helm-values', type: 'Helm', expect: 'e2e-helm-values.yaml', source: { helm: { values: 'foo: from-inline-values\n' } } },
  { path: 'hydrator-helm', type: 'Helm', expect: 'e2e-hydrator-helm.yaml', gen: { namespace: 'hydrated' } },
];

/** Kustomize/Jsonnet/Helm cases of argo-cd-e2e-testdata that cannot render here, with the reason. */
const E2E_NOT_HERE: Record<string, string> = {
  'cmp-kustomize': 'a config management plugin (runs in a CMP sidecar)',
  'https-kustomize-base': "remote bases on the e2e suite's own HTTPS Git server (localhost:9443 / argocd-e2e-server)",
  'ssh-kustomize-base': "remote bases on the e2e suite's own SSH Git server (localhost:2222 / argocd-e2e-server)",
  'kustomize-api-versions': 'helmCharts needs `kustomize build --enable-helm` and an external helm binary, which is not installed',
  'kustomize-kube-version': 'helmCharts needs `kustomize build --enable-helm` and an external helm binary, which is not installed',
  ksonnet: 'ksonnet apps are no longer supported by Argo CD (removed in v2.1)',
  'helm-api-versions': "the output lists Helm's built-in default API versions, which depend on the Helm build (packages/helm covers --api-versions)",
};

function e2eTests(cases: E2eCase[]): void {
  for (const c of cases) {
    test(`${c.name ?? c.path} matches the expected objects`, async (t) => {
      if (!e2e || !existsSync(join(e2e, c.path))) return t.skip('../shared/upstream/argo-cd-e2e-testdata is not present');
      if (c.type === 'Helm' && helmReason) return t.skip(`Helm rendering unavailable: ${helmReason}`);
      const r = await render(e2eUrl, c.path, c.source, c.gen);
      assert.equal(r.sourceType, c.type);
      const want = typeof c.expect === 'string' ? expected(c.expect) : unchanged(e2e, c.path, c.expect.unchanged);
      assert.deepEqual(diffObjects(r.objects, want), []);
    });
  }
}

describe('argo-cd-e2e-testdata', () => {
  const absent = (name: string) => !e2e || !existsSync(join(e2e, name));

  describe('kustomize', () => e2eTests(E2E_KUSTOMIZE));
  describe('jsonnet', () => e2eTests(E2E_JSONNET));
  describe('helm', () => e2eTests(E2E_HELM));

  test('cases that cannot render here', async (t) => {
    for (const [name, reason] of Object.entries(E2E_NOT_HERE)) await t.test(name, (tt) => tt.skip(reason));
  });

  test('every kustomize/jsonnet case is compared, rejected or skipped with a reason', (t) => {
    if (!e2e || !existsSync(e2e)) return t.skip('../shared/upstream/argo-cd-e2e-testdata is not present');
    const compared = new Set([...E2E_KUSTOMIZE, ...E2E_JSONNET, ...E2E_HELM].map((c) => c.path.split('/')[0]));
    const tested = new Set(['invalid-kustomize', 'kustomize-with-version-override']);
    const cases = readdirSync(e2e).filter((d) => {
      const dir = join(e2e, d);
      if (!statSync(dir).isDirectory() || d.startsWith('.')) return false;
      const files = readdirSync(dir, { recursive: true }).map(String);
      return /kustomize|jsonnet|ksonnet/.test(d) || files.some((f) => /(^|\/)kustomization\.ya?ml$|\.jsonnet$/.test(f));
    });
    assert.deepEqual(cases.filter((d) => !compared.has(d) && !tested.has(d) && !E2E_NOT_HERE[d]), []);
  });

  test('jsonnet ext vars see the build environment; a TLA-less function takes its defaults', async (t) => {
    if (absent('jsonnet-ext-var')) return t.skip('../shared/upstream/argo-cd-e2e-testdata is not present');
    const ext = await render(e2eUrl, 'jsonnet-ext-var', {
      directory: { jsonnet: { extVars: [{ name: 'foo', value: 'foo-value' }, { name: 'bar', value: '$ARGOCD_APP_REVISION_SHORT' }] } },
    });
    const cm = (data: Record<string, string>, source: string) => [{ source, object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'my-map' }, data } }];
    assert.deepEqual(diffObjects(ext.objects, cm({ foo: 'foo-value', bar: ext.revision.slice(0, 7) }, 'jsonnet-ext-var/config-map.jsonnet')), []);
    const defaults = await render(e2eUrl, 'jsonnet-tla-cm');
    assert.deepEqual(diffObjects(defaults.objects, cm({ foo: 'foo', bar: 'bar' }, 'jsonnet-tla-cm/config-map.jsonnet')), []);
    // Without recurse only the top-level file of the app path is evaluated.
    const flat = await render(e2eUrl, 'jsonnet-nested-dir-with-imports/apps');
    assert.deepEqual(flat.objects.map((o) => `${o.object.kind}/${o.object.metadata?.name} ${o.source}`), ['Namespace/hello-root jsonnet-nested-dir-with-imports/apps/test-root.jsonnet']);
    // With recurse, files come in Argo CD's lexical walk order ("nested" < "test-root.jsonnet").
    const nested = await render(e2eUrl, 'jsonnet-nested-dir-with-imports/apps', { directory: { recurse: true } });
    assert.deepEqual(nested.objects.map((o) => `${o.object.kind} ${o.source}`), [
      'Namespace jsonnet-nested-dir-with-imports/apps/nested/directory/test.jsonnet',
      'Namespace jsonnet-nested-dir-with-imports/apps/test-root.jsonnet',
    ]);
  });

  test('helm glob value files: an explicit entry takes its own position over the glob match', async (t) => {
    if (absent('helm-glob-values')) return t.skip('../shared/upstream/argo-cd-e2e-testdata is not present');
    if (helmReason) return t.skip(`Helm rendering unavailable: ${helmReason}`);
    // Argo CD docs ("Deduplication"): envs/*.yaml skips envs/a.yaml, listed explicitly after it,
    // so the order is b.yaml, a.yaml and a-value wins; envs/*.yaml alone does not descend: b-value.
    const foo = async (valueFiles: string[]) => (await render(e2eUrl, 'helm-glob-values', { helm: { valueFiles } })).objects[0]!.object['data'];
    assert.deepEqual(await foo(['envs/*.yaml', 'envs/a.yaml']), { foo: 'a-value' });
    assert.deepEqual(await foo(['envs/*.yaml']), { foo: 'b-value' });
  });

  test("helm skipCrds leaves the chart's crds/ out", async (t) => {
    if (absent('helm-crd')) return t.skip('../shared/upstream/argo-cd-e2e-testdata is not present');
    if (helmReason) return t.skip(`Helm rendering unavailable: ${helmReason}`);
    const r = await render(e2eUrl, 'helm-crd', { helm: { skipCrds: true } }, { appName: 'crd' });
    assert.deepEqual(diffObjects(r.objects, expected('e2e-helm-crd.yaml').filter((e) => e.object['kind'] !== 'CustomResourceDefinition')), []);
  });

  test('kustomize: a broken kustomization and a version override file', async (t) => {
    if (absent('kustomize')) return t.skip('../shared/upstream/argo-cd-e2e-testdata is not present');
    await assert.rejects(server.generateManifests({ repoURL: e2eUrl, path: 'invalid-kustomize' }), (e: unknown) => {
      assert.ok(e instanceof RepoError && e.code === 'RenderFailed', String(e));
      assert.equal(e.file, 'invalid-kustomize/kustomization.yaml');
      assert.match(e.message, /does-not-exist\.yaml/);
      return true;
    });
    // .argocd-source.yaml asks for kustomize v1.2.3, which is not registered here...
    await assert.rejects(server.generateManifests({ repoURL: e2eUrl, path: 'kustomize-with-version-override' }), /kustomize version v1\.2\.3 is not registered/);
    // ...and is used once it is (any binary: what matters is that the override selects it).
    const bin = which('kustomize') ?? which('kubectl');
    if (!bin) return;
    const versioned = new RepoServer({ cacheDir: tempDir(), kustomizeVersions: { 'v1.2.3': bin } });
    try {
      const r = await versioned.generateManifests({ repoURL: e2eUrl, path: 'kustomize-with-version-override' }, { appName: 'v' });
      assert.equal(r.sourceType, 'Kustomize');
      assert.deepEqual(diffObjects(r.objects, unchanged(e2e!, 'kustomize-with-version-override', ['deployment.yaml'])), []);
    } finally {
      versioned.close();
    }
  });

  test('plain directories', async (t) => {
    if (absent('guestbook')) return t.skip('../shared/upstream/argo-cd-e2e-testdata is not present');
    for (const p of ['duplicated-resources', 'hook', 'multi-namespace']) {
      if (!existsSync(join(e2e!, p))) continue;
      const r = await server.generateManifests({ repoURL: e2eUrl, path: p });
      assert.ok(r.objects.length > 0, p);
    }
  });
});
