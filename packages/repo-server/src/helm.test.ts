// Helm sources (Git-hosted charts and Helm chart repositories). Every test skips with a printed
// reason while @flotilla/helm does not export renderChart.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { helmUnavailableReason, RepoError, RepoServer, type ApplicationSource, type ManifestResult } from './index.js';
import {
  cleanupTemp,
  copyTree,
  diffObjects,
  freePort,
  loadExpected,
  startGitDaemon,
  tempDir,
  testdata,
  TestRepo,
  upstreamDir,
  type GitDaemon,
} from './test-helpers.js';

let reason: string | undefined;
let daemon: GitDaemon | undefined;
let server: RepoServer;
let url = '';
let examplesUrl = '';
const upstream = upstreamDir();
const examples = upstream ? join(upstream, 'argocd-example-apps') : undefined;

before(async () => {
  reason = await helmUnavailableReason();
  if (reason) {
    console.log(`# Helm source tests skipped: ${reason}`);
    return;
  }
  const base = tempDir();
  const repo = new TestRepo(base, 'fixtures');
  copyTree(testdata('repo'), repo.work);
  repo.commit('fixtures');
  if (examples && existsSync(examples)) {
    const ex = new TestRepo(base, 'examples', 'master');
    copyTree(examples, ex.work);
    ex.commit('examples');
  }
  daemon = await startGitDaemon(base);
  url = daemon.url('fixtures.git');
  examplesUrl = daemon.url('examples.git');
  server = new RepoServer({ cacheDir: tempDir() });
});

after(async () => {
  server?.close();
  await daemon?.stop();
  cleanupTemp();
});

const skip = (t: TestContext) => {
  if (reason) {
    t.skip(`Helm rendering unavailable: ${reason}`);
    return true;
  }
  return false;
};

function configMap(r: ManifestResult): Record<string, string> {
  const cm = r.objects.find((o) => o.object.kind === 'ConfigMap');
  assert.ok(cm, 'chart renders a ConfigMap');
  return cm.object['data'] as Record<string, string>;
}

const gen = (helm: ApplicationSource['helm'], opts: Parameters<RepoServer['generateManifests']>[1] = { appName: 'demo' }) =>
  server.generateManifests({ repoURL: url, path: 'helm-app', ...(helm ? { helm } : {}) }, opts);

async function rejects(p: Promise<unknown>, code: string, ...fragments: string[]): Promise<RepoError> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof RepoError, `expected a RepoError, got ${err === undefined ? 'success' : String(err)}`);
  assert.equal(err.code, code, err.message);
  for (const f of fragments) assert.ok(err.message.includes(f), `${JSON.stringify(err.message)} should mention ${f}`);
  return err;
}

describe('helm charts in Git', () => {
  test('detected by Chart.yaml; release name from the app; sources are template files; CRDs included', async (t) => {
    if (skip(t)) return;
    const r = await gen(undefined, { appName: 'demo', namespace: 'team-a' });
    assert.equal(r.sourceType, 'Helm');
    const kinds = r.objects.map((o) => `${o.object.kind}/${o.object.metadata?.name} ${o.source}`);
    assert.ok(kinds.includes('CustomResourceDefinition/widgets.example.com helm-app/crds/widget.yaml'), kinds.join('\n'));
    assert.ok(kinds.includes('ConfigMap/demo-settings helm-app/templates/configmap.yaml'), kinds.join('\n'));
    assert.ok(kinds.includes('Deployment/demo-web helm-app/templates/deployment.yaml'), kinds.join('\n'));
    assert.equal(r.objects.find((o) => o.object.kind === 'ConfigMap')!.object.metadata?.namespace, 'team-a');
    assert.equal(configMap(r)['message'], 'default');
  });

  test('value precedence: parameters > valuesObject > values > valueFiles', async (t) => {
    if (skip(t)) return;
    assert.equal(configMap(await gen({ valueFiles: ['values-prod.yaml'] }))['message'], 'prod');
    assert.equal(configMap(await gen({ valueFiles: ['values-prod.yaml'], values: 'message: inline' }))['message'], 'inline');
    assert.equal(configMap(await gen({ valueFiles: ['values-prod.yaml'], values: 'message: inline', valuesObject: { message: 'object' } }))['message'], 'object');
    const top = await gen({ valueFiles: ['values-prod.yaml'], valuesObject: { message: 'object' }, parameters: [{ name: 'message', value: 'param' }] });
    assert.equal(configMap(top)['message'], 'param');
    const dep = top.objects.find((o) => o.object.kind === 'Deployment')!.object as { spec: { replicas: number } };
    assert.equal(dep.spec.replicas, 3, 'values-prod.yaml still applies');
  });

  test('parameters: build environment, commas, forceString', async (t) => {
    if (skip(t)) return;
    assert.equal(configMap(await gen({ parameters: [{ name: 'message', value: 'app=$ARGOCD_APP_NAME' }] }))['message'], 'app=demo');
    assert.equal(configMap(await gen({ parameters: [{ name: 'message', value: 'a,b,c' }] }))['message'], 'a,b,c');
    assert.equal(configMap(await gen({ parameters: [{ name: 'flag', value: 'true' }] }))['flagKind'], 'bool');
    assert.equal(configMap(await gen({ parameters: [{ name: 'flag', value: 'true', forceString: true }] }))['flagKind'], 'string');
  });

  test('value file globs expand in doublestar order; explicit entries win their position', async (t) => {
    if (skip(t)) return;
    assert.equal(configMap(await gen({ valueFiles: ['envs/*.yaml'] }))['message'], 'b');
    assert.equal(configMap(await gen({ valueFiles: ['envs/**/*.yaml'] }))['message'], 'c');
    assert.equal(configMap(await gen({ valueFiles: ['envs/*.yaml', 'envs/a.yaml'] }))['message'], 'a');
    await rejects(gen({ valueFiles: ['nothing/*.yaml'] }), 'PathNotFound', 'matched no files');
    assert.equal(configMap(await gen({ valueFiles: ['nothing/*.yaml'], ignoreMissingValueFiles: true }))['message'], 'default');
  });

  test('missing value files, and the repository-root form', async (t) => {
    if (skip(t)) return;
    await rejects(gen({ valueFiles: ['values-missing.yaml'] }), 'PathNotFound', 'values-missing.yaml');
    assert.equal(configMap(await gen({ valueFiles: ['values-missing.yaml'], ignoreMissingValueFiles: true }))['message'], 'default');
    assert.equal(configMap(await gen({ valueFiles: ['/helm-app/values-prod.yaml'] }))['message'], 'prod');
  });

  test('value files and file parameters may not leave the repository', async (t) => {
    if (skip(t)) return;
    await rejects(gen({ valueFiles: ['../../../../etc/passwd'] }), 'PathEscape', 'outside the repository');
    await rejects(gen({ fileParameters: [{ name: 'fileContent', path: '../../../etc/hostname' }] }), 'PathEscape');
  });

  test('fileParameters, skipCrds, kubeVersion and apiVersions', async (t) => {
    if (skip(t)) return;
    const r = await gen({ fileParameters: [{ name: 'fileContent', path: 'files/config.txt' }], skipCrds: true, kubeVersion: '1.29.3', apiVersions: ['example.com/v1'] });
    const data = configMap(r);
    assert.equal(data['file'], 'line one\nline two\n');
    assert.equal(data['kubeVersion'], 'v1.29.3');
    assert.equal(data['hasExampleApi'], 'true');
    assert.ok(!r.objects.some((o) => o.object.kind === 'CustomResourceDefinition'), 'skipCrds leaves crds/ out');
    const fromCluster = await gen(undefined, { appName: 'demo', kubeVersion: 'v1.31.0', apiVersions: ['example.com/v1'] });
    assert.equal(configMap(fromCluster)['kubeVersion'], 'v1.31.0');
  });

  test('Helm output is bounded', async (t) => {
    if (skip(t)) return;
    const tiny = new RepoServer({ cacheDir: tempDir(), maxOutputBytes: 200 });
    try {
      await rejects(tiny.generateManifests({ repoURL: url, path: 'helm-app' }), 'TooLarge', 'byte limit');
    } finally {
      tiny.close();
    }
  });

  test('releaseName overrides the application name', async (t) => {
    if (skip(t)) return;
    const r = await gen({ releaseName: 'custom' });
    assert.ok(r.objects.some((o) => o.object.metadata?.name === 'custom-settings'));
  });

  test('a template error names the template file', async (t) => {
    if (skip(t)) return;
    const e = await rejects(gen({ valuesObject: { explode: true } }), 'RenderFailed', 'explosion requested by values');
    assert.match(`${e.message} ${e.file ?? ''}`, /fail\.yaml/);
  });

  test('argocd-example-apps/helm-guestbook matches the expected objects', async (t) => {
    if (skip(t)) return;
    if (!examples || !existsSync(examples)) return t.skip('../shared/upstream/argocd-example-apps is not present');
    const r = await server.generateManifests(
      { repoURL: examplesUrl, path: 'helm-guestbook', helm: { valueFiles: ['values-production.yaml'], parameters: [{ name: 'replicaCount', value: '2' }] } },
      { appName: 'guestbook' },
    );
    assert.deepEqual(diffObjects(r.objects, loadExpected(readFileSync(testdata('expected/helm-guestbook.yaml'), 'utf8'))), []);
  });
});

describe('helm chart repositories', () => {
  let http: Server | undefined;
  let repoUrl = '';

  before(async () => {
    if (reason) return;
    // Package two versions of the fixture chart and publish them with an index.yaml.
    const dir = tempDir();
    const files = new Map<string, Buffer>();
    const entries: string[] = [];
    for (const version of ['0.1.0', '0.2.0']) {
      const work = join(dir, version);
      cpSync(testdata('repo/helm-app'), join(work, 'mychart'), { recursive: true });
      const chartYaml = join(work, 'mychart', 'Chart.yaml');
      writeFileSync(chartYaml, readFileSync(chartYaml, 'utf8').replace(/^version: .*$/m, `version: ${version}`));
      const tgz = join(dir, `mychart-${version}.tgz`);
      execFileSync('tar', ['-czf', tgz, '-C', work, 'mychart']);
      files.set(`/mychart-${version}.tgz`, readFileSync(tgz));
      entries.push(`    - name: mychart\n      version: ${version}\n      apiVersion: v2\n      urls:\n        - mychart-${version}.tgz\n`);
    }
    files.set('/index.yaml', Buffer.from(`apiVersion: v1\nentries:\n  mychart:\n${entries.join('')}`));
    http = createServer((req, res) => {
      const body = files.get(new URL(req.url ?? '/', 'http://x').pathname);
      if (!body) {
        res.writeHead(404).end('not found');
        return;
      }
      res.writeHead(200, { 'Content-Length': body.length }).end(body);
    });
    await new Promise<void>((resolve) => http!.listen(0, '127.0.0.1', resolve));
    repoUrl = `http://127.0.0.1:${(http.address() as { port: number }).port}/`;
  });

  after(async () => {
    if (http) await new Promise<void>((resolve) => http!.close(() => resolve()));
  });

  test('chart + semver range resolve to the highest matching version', async (t) => {
    if (skip(t)) return;
    const latest = await server.generateManifests({ repoURL: repoUrl, chart: 'mychart', targetRevision: '*' }, { appName: 'repo-app' });
    assert.equal(latest.revision, '0.2.0');
    assert.equal(latest.sourceType, 'Helm');
    assert.ok(latest.objects.some((o) => o.source === 'mychart/templates/configmap.yaml'));
    const pinned = await server.generateManifests({ repoURL: repoUrl, chart: 'mychart', targetRevision: '0.1.*', helm: { parameters: [{ name: 'message', value: 'pinned' }] } });
    assert.equal(pinned.revision, '0.1.0');
    assert.equal(configMap(pinned)['message'], 'pinned');
    const again = await server.generateManifests({ repoURL: repoUrl, chart: 'mychart', targetRevision: '0.1.*', helm: { parameters: [{ name: 'message', value: 'pinned' }] } });
    assert.equal(again, pinned, 'served from the render cache');
  });

  test('unknown versions and unreachable repositories are clear errors', async (t) => {
    if (skip(t)) return;
    await rejects(server.generateManifests({ repoURL: repoUrl, chart: 'mychart', targetRevision: '>=5.0.0' }), 'UnknownRevision', 'mychart', '>=5.0.0');
    await rejects(server.generateManifests({ repoURL: repoUrl, chart: 'nochart', targetRevision: '*' }), 'UnknownRevision', 'nochart');
    const port = await freePort();
    await rejects(server.generateManifests({ repoURL: `http://127.0.0.1:${port}/`, chart: 'mychart', targetRevision: '*' }), 'Unreachable', `127.0.0.1:${port}`);
  });
});
