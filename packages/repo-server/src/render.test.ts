// Renderers over a real repository served by `git daemon`: directory options, Jsonnet, Kustomize
// options, bad input, safety bounds and path escapes, built from the package's own fixtures.
import assert from 'node:assert/strict';
import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { RepoError, RepoServer, type ApplicationSource } from './index.js';
import {
  cleanupTemp,
  copyTree,
  diffObjects,
  loadExpected,
  objectKey,
  startGitDaemon,
  tempDir,
  testdata,
  TestRepo,
  type GitDaemon,
} from './test-helpers.js';

let daemon: GitDaemon;
let repo: TestRepo;
let url: string;
let sha: string;
let server: RepoServer;

const expected = (name: string) => loadExpected(readFileSync(testdata(`expected/${name}`), 'utf8'));

async function rejects(p: Promise<unknown>, code: string, ...fragments: (string | RegExp)[]): Promise<RepoError> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof RepoError, `expected a RepoError, got ${err === undefined ? 'success' : String(err)}`);
  assert.equal(err.code, code, `code of: ${err.message}`);
  for (const f of fragments) {
    if (typeof f === 'string') assert.ok(err.message.includes(f), `message ${JSON.stringify(err.message)} should mention ${f}`);
    else assert.match(err.message, f);
  }
  return err;
}

before(async () => {
  const base = tempDir();
  repo = new TestRepo(base, 'fixtures');
  copyTree(testdata('repo'), repo.work);
  sha = repo.commit('fixtures');
  daemon = await startGitDaemon(base);
  url = daemon.url('fixtures.git');
  server = new RepoServer({ cacheDir: tempDir(), renderTimeoutMs: 20_000 });
});

after(async () => {
  server?.close();
  await daemon?.stop();
  cleanupTemp();
});

describe('directory applications', () => {
  test('recurse + include + exclude match the expected objects', async () => {
    const r = await server.generateManifests({
      repoURL: url,
      path: 'dir-app',
      directory: { recurse: true, include: '*.{yaml,yml,json}', exclude: '{config.yaml,env-usw2/*}' },
    });
    assert.equal(r.revision, sha);
    assert.equal(r.sourceType, 'Directory');
    assert.deepEqual(diffObjects(r.objects, expected('dir-app-recurse.yaml')), []);
  });

  test('without recurse only the top-level files are read', async () => {
    const r = await server.generateManifests({ repoURL: url, path: 'dir-app', directory: { exclude: 'config.yaml' } });
    assert.deepEqual(r.objects.map((o) => `${o.source} ${objectKey(o.object)}`), [
      'dir-app/configmap.yaml /ConfigMap//app-config',
      'dir-app/deployment.yaml apps/Deployment//web',
      'dir-app/deployment.yaml /Service//web',
      'dir-app/list.json /ConfigMap//from-list-a',
      'dir-app/list.json /ConfigMap//from-list-b',
    ]);
  });

  test('include with alternatives selects by extension', async () => {
    const r = await server.generateManifests({ repoURL: url, path: 'dir-app', directory: { recurse: true, include: '{*.yml,*.json}' } });
    assert.deepEqual(r.objects.map((o) => o.source), ['dir-app/env-use2/nested/secret.yml', 'dir-app/list.json', 'dir-app/list.json']);
  });

  test('a YAML file that is not a Kubernetes object is an error naming the file', async () => {
    const e = await rejects(server.generateManifests({ repoURL: url, path: 'dir-app' }), 'ParseError', 'dir-app/config.yaml', "'Kind' is missing");
    assert.equal(e.file, 'dir-app/config.yaml');
  });

  test('invalid YAML names the file and line', async () => {
    const e = await rejects(server.generateManifests({ repoURL: url, path: 'bad-yaml' }), 'ParseError', 'bad-yaml/broken.yaml:');
    assert.equal(e.file, 'bad-yaml/broken.yaml');
    assert.ok(e.line && e.line >= 4 && e.line <= 5, `line ${e.line}`);
  });

  test('the repository root is a valid path', async () => {
    const r = await server.generateManifests({ repoURL: url, path: '.', directory: { include: 'nothing-matches' } });
    assert.deepEqual(r.objects, []);
  });
});

describe('jsonnet', () => {
  const jsonnetSource: ApplicationSource = {
    repoURL: '',
    path: 'jsonnet-app',
    directory: {
      jsonnet: {
        extVars: [
          { name: 'env', value: 'staging' },
          { name: 'app', value: '$ARGOCD_APP_NAME' },
        ],
        tlas: [{ name: 'replicas', value: '3', code: true }],
        libs: ['vendor'],
      },
    },
  };

  test('extVars, TLAs and library paths', async () => {
    const r = await server.generateManifests({ ...jsonnetSource, repoURL: url }, { appName: 'demo' });
    assert.equal(r.sourceType, 'Jsonnet');
    assert.deepEqual(diffObjects(r.objects, expected('jsonnet-app.yaml')), []);
  });

  test('a missing external variable is a clear error naming the file', async () => {
    await rejects(
      server.generateManifests({
        repoURL: url,
        path: 'jsonnet-app',
        directory: { jsonnet: { libs: ['vendor'], extVars: [{ name: 'app', value: 'x' }] } },
      }),
      'RenderFailed',
      'jsonnet-app/main.jsonnet',
      /undefined external variable: env/i,
    );
  });

  test('a syntax error names the file and position, without cache paths', async () => {
    const e = await rejects(server.generateManifests({ repoURL: url, path: 'bad-jsonnet' }), 'RenderFailed', 'bad-jsonnet/bad.jsonnet');
    assert.match(e.message, /bad\.jsonnet:\d+:\d+/);
    assert.ok(!e.message.includes(server.git.cacheDir), e.message);
  });

  test('imports may not leave the repository', async () => {
    const e = await rejects(server.generateManifests({ repoURL: url, path: 'escape-jsonnet' }), 'PathEscape', 'escape-jsonnet/escape.jsonnet:5', 'outside the repository');
    assert.equal(e.file, 'escape-jsonnet/escape.jsonnet');
  });

  test('a library path outside the repository is refused', async () => {
    await rejects(
      server.generateManifests({ repoURL: url, path: 'jsonnet-app', directory: { jsonnet: { libs: ['../../..'] } } }),
      'PathEscape',
      'jsonnet library path',
    );
  });

  test('a runaway evaluation is stopped by the render timeout, and the next render works', async () => {
    // 4 s: long enough for a normal render on a loaded machine (1.5 s was not), short for the test
    const quick = new RepoServer({ cacheDir: tempDir(), renderTimeoutMs: 4000 });
    try {
      await rejects(quick.generateManifests({ repoURL: url, path: 'slow-jsonnet' }), 'Timeout', 'slow-jsonnet/loop.jsonnet', 'timed out');
      const r = await quick.generateManifests({ ...jsonnetSource, repoURL: url });
      assert.equal(r.objects.length, 2);
    } finally {
      quick.close();
    }
  });
});

describe('kustomize', () => {
  test('plain build keeps the kustomization as written', async () => {
    const r = await server.generateManifests({ repoURL: url, path: 'kustomize-app' });
    assert.equal(r.sourceType, 'Kustomize');
    const names = r.objects.map((o) => `${o.object.kind}/${o.object.metadata?.name} ${o.source}`).sort();
    assert.deepEqual(names, [
      'ConfigMap/base-settings kustomize-app/kustomization.yaml',
      'Deployment/base-web kustomize-app/deployment.yaml',
      'Service/base-web kustomize-app/service.yaml',
    ]);
    for (const o of r.objects) {
      assert.equal(o.object.metadata?.labels?.['team'], 'platform');
      assert.equal(o.object.metadata?.annotations?.['config.kubernetes.io/origin'], undefined, 'origin annotations are stripped');
    }
  });

  test("Argo CD's kustomize options", async () => {
    const r = await server.generateManifests(
      {
        repoURL: url,
        path: 'kustomize-app',
        kustomize: {
          namePrefix: 'ovr-',
          nameSuffix: '-v1',
          namespace: 'prod-ns',
          images: ['nginx=registry.local/nginx:1.27'],
          replicas: [{ name: 'web', count: 3 }],
          commonLabels: { env: 'prod' },
          commonAnnotations: { owner: '$ARGOCD_APP_NAME' },
          commonAnnotationsEnvsubst: true,
          components: ['components/extra', 'components/missing'],
          ignoreMissingComponents: true,
          patches: [{ target: { kind: 'Service', name: 'web' }, patch: '[{"op":"add","path":"/spec/type","value":"NodePort"}]' }],
        },
      },
      { appName: 'demo' },
    );
    assert.deepEqual(diffObjects(r.objects, expected('kustomize-app-options.yaml')), []);
  });

  test('the cached checkout is never modified by kustomize options', async () => {
    const repoObj = server.git.repo(url);
    const { tree, release } = await repoObj.acquire(sha);
    try {
      const k = readFileSync(join(tree.root, 'kustomize-app/kustomization.yaml'), 'utf8');
      assert.equal(k, readFileSync(testdata('repo/kustomize-app/kustomization.yaml'), 'utf8'));
    } finally {
      release();
    }
  });

  test('an existing common label is only overridden with forceCommonLabels', async () => {
    await rejects(
      server.generateManifests({ repoURL: url, path: 'kustomize-app', kustomize: { commonLabels: { team: 'other' } } }),
      'RenderFailed',
      'kustomize-app/kustomization.yaml',
      'forceCommonLabels',
    );
    const r = await server.generateManifests({ repoURL: url, path: 'kustomize-app', kustomize: { commonLabels: { team: 'other' }, forceCommonLabels: true } });
    assert.ok(r.objects.every((o) => o.object.metadata?.labels?.['team'] === 'other'));
  });

  test('labelWithoutSelector leaves selectors alone', async () => {
    const r = await server.generateManifests({ repoURL: url, path: 'kustomize-app', kustomize: { commonLabels: { tier: 'web' }, labelWithoutSelector: true } });
    const dep = r.objects.find((o) => o.object.kind === 'Deployment')!.object as { metadata: { labels: Record<string, string> }; spec: { selector: { matchLabels: Record<string, string> } } };
    assert.equal(dep.metadata.labels['tier'], 'web');
    assert.equal(dep.spec.selector.matchLabels['tier'], undefined);
  });

  test('a kustomize error names the kustomization and the reason, without scratch paths', async () => {
    const e = await rejects(server.generateManifests({ repoURL: url, path: 'bad-kustomize' }), 'RenderFailed', 'bad-kustomize/kustomization.yaml', 'missing.yaml');
    assert.ok(!e.message.includes(server.git.cacheDir), e.message);
  });

  test('an unregistered kustomize version is a clear error', async () => {
    await rejects(server.generateManifests({ repoURL: url, path: 'kustomize-app', kustomize: { version: 'v9.9.9' } }), 'ToolUnavailable', 'v9.9.9', 'not registered');
  });

  test('a registered version selects that binary', async () => {
    const s = new RepoServer({ cacheDir: tempDir(), kustomizeVersions: { 'v5.5.0': 'kubectl' } });
    try {
      const r = await s.generateManifests({ repoURL: url, targetRevision: sha, path: 'kustomize-app', kustomize: { version: 'v5.5.0' } });
      assert.equal(r.objects.length, 3);
    } finally {
      s.close();
    }
  });

  test('without kustomize or kubectl on PATH the error says so', async () => {
    await server.generateManifests({ repoURL: url, targetRevision: sha, path: 'dir-app', directory: { exclude: 'config.yaml' } });
    const saved = process.env['PATH'];
    process.env['PATH'] = '/nonexistent-flotilla-bin';
    try {
      await rejects(server.generateManifests({ repoURL: url, targetRevision: sha, path: 'kustomize-app', kustomize: { nameSuffix: '-nopath' } }), 'ToolUnavailable', 'neither `kustomize` nor `kubectl`');
    } finally {
      process.env['PATH'] = saved;
    }
  });
});

describe('source type detection', () => {
  test('explicit directory options override detection', async () => {
    // The kustomization is then just another YAML file (it even has apiVersion and kind).
    const r = await server.generateManifests({ repoURL: url, path: 'kustomize-app', directory: { exclude: 'x' } });
    assert.equal(r.sourceType, 'Directory');
    assert.deepEqual(r.objects.map((o) => `${o.object.kind}/${o.object.metadata?.name ?? ''}`), ['Deployment/web', 'Kustomization/', 'Service/web']);
  });

  test('two source types at once are refused', async () => {
    await rejects(server.generateManifests({ repoURL: url, path: 'kustomize-app', directory: { recurse: true }, kustomize: { namePrefix: 'x-' } }), 'InvalidSource', 'Directory, Kustomize');
  });

  test('config management plugins are refused clearly', async () => {
    await rejects(server.generateManifests({ repoURL: url, path: 'dir-app', plugin: { name: 'kasane' } }), 'InvalidSource', 'plugin');
  });
});

describe('safety', () => {
  test('paths that escape the repository are refused', async () => {
    await rejects(server.generateManifests({ repoURL: url, path: '../etc' }), 'PathEscape', 'outside the repository');
    await rejects(server.generateManifests({ repoURL: url, path: 'dir-app/../../..' }), 'PathEscape');
    await rejects(server.generateManifests({ repoURL: url, path: '/etc' }), 'PathEscape', 'absolute');
  });

  test('a missing path is a clear error', async () => {
    await rejects(server.generateManifests({ repoURL: url, path: 'no-such-app' }), 'PathNotFound', 'no-such-app');
  });

  test('symlinks pointing outside the repository are refused; symlinks inside are fine', async () => {
    const base = tempDir();
    const r2 = new TestRepo(base, 'links');
    r2.write({ 'app/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n' });
    symlinkSync('app', join(r2.work, 'alias'));
    const inside = r2.commit('inside');
    const d = await startGitDaemon(base);
    try {
      const u = d.url('links.git');
      const ok = await server.generateManifests({ repoURL: u, path: 'alias' });
      assert.deepEqual(ok.objects.map((o) => o.source), ['alias/cm.yaml']);
      symlinkSync('/etc/passwd', join(r2.work, 'app', 'passwd.yaml'));
      r2.commit('absolute link out');
      const e = await rejects(server.generateManifests({ repoURL: u, path: 'app' }), 'PathEscape', 'app/passwd.yaml', 'outside the repository');
      assert.equal(e.file, 'app/passwd.yaml');
      await rejects(server.generateManifests({ repoURL: u, path: 'alias' }), 'PathEscape');
      // A relative link climbing out of the repository is just as bad.
      const r3 = new TestRepo(base, 'links2');
      r3.write({ 'app/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n' });
      symlinkSync('../../../../../../..', join(r3.work, 'up'));
      r3.commit('relative link out');
      await rejects(server.generateManifests({ repoURL: d.url('links2.git'), path: 'app' }), 'PathEscape', 'up');
      assert.ok(inside);
    } finally {
      await d.stop();
    }
  });

  test('oversized files and too many objects are bounded', async () => {
    const small = new RepoServer({ cacheDir: tempDir(), maxFileBytes: 300 });
    const few = new RepoServer({ cacheDir: tempDir(), maxObjects: 3 });
    try {
      await rejects(small.generateManifests({ repoURL: url, path: 'dir-app', directory: { exclude: 'config.yaml' } }), 'TooLarge', 'dir-app/deployment.yaml', '300 byte limit');
      await rejects(few.generateManifests({ repoURL: url, path: 'dir-app', directory: { exclude: 'config.yaml' } }), 'TooLarge', 'more than 3 objects');
    } finally {
      small.close();
      few.close();
    }
  });

  test('a huge kustomize output is bounded', async () => {
    const tiny = new RepoServer({ cacheDir: tempDir(), maxOutputBytes: 200 });
    try {
      await rejects(tiny.generateManifests({ repoURL: url, path: 'kustomize-app' }), 'TooLarge', 'more than 200 bytes');
    } finally {
      tiny.close();
    }
  });

  test('parameter override files in the app directory are merged into the source', async () => {
    const base = tempDir();
    const r2 = new TestRepo(base, 'overrides');
    copyTree(testdata('repo/kustomize-app'), join(r2.work, 'app'));
    writeFileSync(join(r2.work, 'app', '.argocd-source.yaml'), 'kustomize:\n  nameSuffix: -from-file\n');
    writeFileSync(join(r2.work, 'app', '.argocd-source-special.yaml'), 'kustomize:\n  nameSuffix: -special\n');
    r2.commit('overrides');
    const d = await startGitDaemon(base);
    try {
      const u = d.url('overrides.git');
      const r = await server.generateManifests({ repoURL: u, path: 'app' });
      assert.ok(r.objects.every((o) => String(o.object.metadata?.name).endsWith('-from-file')));
      const s = await server.generateManifests({ repoURL: u, path: 'app' }, { appName: 'special' });
      assert.ok(s.objects.every((o) => String(o.object.metadata?.name).endsWith('-special')));
    } finally {
      await d.stop();
    }
  });
});
