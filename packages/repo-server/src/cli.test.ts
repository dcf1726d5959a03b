// `flotilla render` against file:// repositories and local paths.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { renderCommand, renderHelpText } from './index.js';
import { cleanupTemp, copyTree, tempDir, testdata, TestRepo } from './test-helpers.js';

let base: string;
let cache: string;
let repo: TestRepo;
let first: string;

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await renderCommand(argv, { stdout: (s) => (out += s), stderr: (s) => (err += s), cwd: base });
  return { code, out, err };
}

before(() => {
  base = tempDir();
  cache = join(base, 'cache');
  repo = new TestRepo(base, 'fixtures');
  copyTree(testdata('repo'), repo.work);
  first = repo.commit('fixtures');
  repo.tag('v1');
  repo.write({ 'dir-app/extra.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: later\n' });
  repo.commit('later');
});

after(() => cleanupTemp());

describe('flotilla render', () => {
  test('renders a directory app from a file:// URL as multi-document YAML with sources', async () => {
    const r = await run('render', '--repo', `file://${repo.bare}`, '--revision', 'v1', '--path', 'dir-app', '--directory-exclude', 'config.yaml', '--cache-dir', cache);
    assert.equal(r.code, 0, r.err);
    const docs = parseAllDocuments(r.out);
    const objs = (Array.isArray(docs) ? docs : [docs]).map((d) => d.toJS() as { kind: string; metadata: { name: string } });
    assert.deepEqual(objs.map((o) => `${o.kind}/${o.metadata.name}`), [
      'ConfigMap/app-config',
      'Deployment/web',
      'Service/web',
      'ConfigMap/from-list-a',
      'ConfigMap/from-list-b',
    ]);
    assert.match(r.out, /^---\n# Source: dir-app\/configmap\.yaml\n/);
    assert.match(r.err, new RegExp(`rendered 5 object\\(s\\) from Directory source at ${first}`));
  });

  test('a relative local path, HEAD by default, JSON output', async () => {
    const r = await run('--repo', 'fixtures.git', '--path', 'dir-app', '--directory-include', 'extra.yaml', '-o', 'json', '--cache-dir', cache);
    assert.equal(r.code, 0, r.err);
    const list = JSON.parse(r.out) as { kind: string; items: { metadata: { name: string } }[] };
    assert.equal(list.kind, 'List');
    assert.deepEqual(list.items.map((i) => i.metadata.name), ['later']);
  });

  test('jsonnet and kustomize flags', async () => {
    const j = await run(
      '--repo', repo.bare, '--path', 'jsonnet-app', '--app-name', 'demo', '--cache-dir', cache,
      '--jsonnet-ext-var-str', 'env=qa', '--jsonnet-ext-var-str', 'app=$ARGOCD_APP_NAME', '--jsonnet-tla-code', 'replicas=2', '--jsonnet-libs', 'vendor',
    );
    assert.equal(j.code, 0, j.err);
    assert.match(j.out, /env: qa/);
    assert.match(j.out, /replicas: 2/);
    const k = await run('--repo', repo.bare, '--path', 'kustomize-app', '--nameprefix', 'cli-', '--kustomize-image', 'nginx:9', '--kustomize-common-label', 'x=y', '--cache-dir', cache);
    assert.equal(k.code, 0, k.err);
    assert.match(k.out, /name: cli-web/);
    assert.match(k.out, /image: nginx:9/);
    assert.match(k.out, /# Source: kustomize-app\/deployment\.yaml/);
  });

  test('render errors exit 1 with the reason; usage errors exit 2', async () => {
    const bad = await run('--repo', repo.bare, '--path', 'bad-yaml', '--cache-dir', cache);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /^error: bad-yaml\/broken\.yaml:\d+: invalid YAML/);
    const rev = await run('--repo', repo.bare, '--revision', 'nope', '--cache-dir', cache);
    assert.equal(rev.code, 1);
    assert.match(rev.err, /unable to resolve revision "nope"/);
    const esc = await run('--repo', repo.bare, '--path', '../../etc', '--cache-dir', cache);
    assert.equal(esc.code, 1);
    assert.match(esc.err, /outside the repository/);
    assert.equal((await run('--path', 'x')).code, 2);
    const unknown = await run('--repo', 'x', '--frobnicate');
    assert.equal(unknown.code, 2);
    assert.match(unknown.err, /unknown flag: --frobnicate/);
    assert.equal((await run('--repo', 'x', '--helm-set', 'novalue')).code, 2);
    assert.equal((await run('--repo', 'x', '-o', 'xml')).code, 2);
  });

  test('--help documents every flag the parser accepts', async () => {
    const h = await run('render', '--help');
    assert.equal(h.code, 0);
    assert.equal(h.out, renderHelpText());
    for (const flag of [
      '--repo', '--revision', '--path', '--chart', '--app-name', '--namespace', '--kube-version', '--api-versions',
      '--directory-recurse', '--directory-include', '--directory-exclude', '--jsonnet-ext-var-str', '--jsonnet-ext-var-code',
      '--jsonnet-tla-str', '--jsonnet-tla-code', '--jsonnet-libs', '--nameprefix', '--namesuffix', '--kustomize-namespace',
      '--kustomize-image', '--kustomize-replica', '--kustomize-common-label', '--kustomize-common-annotation', '--kustomize-version',
      '--release-name', '--values', '--values-literal-file', '--helm-set', '--helm-set-string', '--helm-set-file', '--helm-skip-crds',
      '--ignore-missing-value-files', '--output', '--cache-dir', '--help',
    ]) {
      assert.ok(h.out.includes(flag), `help mentions ${flag}`);
      if (flag !== '--help') assert.notEqual((await run('--repo', 'x', `${flag}=`)).err.includes('unknown flag'), true, flag);
    }
  });
});
