// Unit tests of the pure parts: globs, semver ranges, build-environment substitution, credential
// secrets, path normalisation, submodule URLs, kustomize option editing, Jsonnet import scanning,
// Kubernetes-flavoured YAML parsing.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { credentialsFromSecrets, normalizeGitUrl, redact } from './credentials.js';
import { envsubst, buildEnv } from './envsubst.js';
import { RepoError } from './errors.js';
import { resolveSubmoduleUrl } from './git.js';
import { globMatch } from './glob.js';
import { scanImports } from './jsonnet-imports.js';
import { ObjectCollector, parseYamlDocuments } from './manifests.js';
import { normalizeRepoPath } from './paths.js';
import { applyKustomizeOptions, parseImageOverride } from './render-kustomize.js';
import { Constraint, looksLikeConstraint, maxSatisfying, parseVersion } from './semver.js';

describe('directory globs', () => {
  test('Argo CD include/exclude semantics', () => {
    assert.ok(globMatch('*.yaml', 'a.yaml'));
    assert.ok(globMatch('*.yaml', 'env/a.yaml'), '* crosses directories');
    assert.ok(!globMatch('*.yaml', 'a.yml'));
    assert.ok(globMatch('{*.yml,*.yaml}', 'a.yml'));
    assert.ok(globMatch('{config.json,env-usw2/*}', 'env-usw2/configmap.yaml'));
    assert.ok(globMatch('{config.json,env-usw2/*}', 'config.json'));
    assert.ok(!globMatch('{config.json,env-usw2/*}', 'env-use2/configmap.yaml'));
    assert.ok(globMatch('some-directory/*', 'some-directory/x.yaml'));
    assert.ok(globMatch('file?.yaml', 'file1.yaml'));
    assert.ok(globMatch('[ab].yaml', 'b.yaml') && !globMatch('[!ab].yaml', 'b.yaml'));
    assert.ok(globMatch('a.b', 'a.b') && !globMatch('a.b', 'axb'), 'dots are literal');
    assert.ok(globMatch('\\*.yaml', '*.yaml') && !globMatch('\\*.yaml', 'x.yaml'));
  });
});

describe('semver', () => {
  const tags = ['v1.0.0', '1.2.0', '1.2.5', '1.3.0', '2.0.0', '2.1.0-rc.1', 'latest', 'v0.9.1'];
  test('ranges as Helm and Argo CD write them', () => {
    assert.equal(maxSatisfying(tags, '1.2.*'), '1.2.5');
    assert.equal(maxSatisfying(tags, '>=1.2.0 <1.3.0'), '1.2.5');
    assert.equal(maxSatisfying(tags, '>=1.0, <2.0'), '1.3.0');
    assert.equal(maxSatisfying(tags, '1.*'), '1.3.0');
    assert.equal(maxSatisfying(tags, '*'), '2.0.0');
    assert.equal(maxSatisfying(tags, '>=0.0.0'), '2.0.0');
    assert.equal(maxSatisfying(tags, '*-0'), '2.1.0-rc.1');
    assert.equal(maxSatisfying(tags, '~1.2.0'), '1.2.5');
    assert.equal(maxSatisfying(tags, '^1.2'), '1.3.0');
    assert.equal(maxSatisfying(tags, '^0.9'), 'v0.9.1');
    assert.equal(maxSatisfying(tags, '1.0.0 - 1.2.x'), '1.2.5');
    assert.equal(maxSatisfying(tags, '<1.0.0 || >=2.0.0'), '2.0.0');
    assert.equal(maxSatisfying(tags, '1.2.0'), '1.2.0', 'a plain version is exact');
    assert.equal(maxSatisfying(tags, '>=3'), undefined);
    assert.equal(maxSatisfying(tags, '!=2.0.0'), '1.3.0');
  });
  test('parsing and detection', () => {
    assert.deepEqual(parseVersion('v1.2')?.minor, 2);
    assert.equal(parseVersion('not-a-version'), undefined);
    assert.ok(Constraint.parse('>= 1.2, < 2')?.satisfiedBy(parseVersion('1.9.9')!));
    assert.ok(looksLikeConstraint('>=1.0.0') && looksLikeConstraint('1.2.x') && looksLikeConstraint('*'));
    assert.ok(!looksLikeConstraint('main') && !looksLikeConstraint('v1.2.3') && !looksLikeConstraint('feature-x'));
  });
});

describe('build environment', () => {
  const env = buildEnv({ appName: 'guestbook', namespace: 'prod', revision: 'f913b6cbf58aa5ae5ca1f8a2b149477aebcbd9d8', path: 'apps/gb', repoURL: 'https://example/r.git', targetRevision: 'main', kubeVersion: 'v1.32.4+k3s1', apiVersions: ['v1', 'apps/v1'] });
  test('variables', () => {
    assert.equal(env['ARGOCD_APP_REVISION_SHORT'], 'f913b6c');
    assert.equal(env['ARGOCD_APP_REVISION_SHORT_8'], 'f913b6cb');
    assert.equal(env['KUBE_VERSION'], '1.32.4');
    assert.equal(env['KUBE_API_VERSIONS'], 'v1,apps/v1');
  });
  test('substitution and escaping', () => {
    assert.equal(envsubst('$ARGOCD_APP_NAME-${ARGOCD_APP_NAMESPACE}', env), 'guestbook-prod');
    assert.equal(envsubst('cost: $$5 $UNKNOWN.', env), 'cost: $5 .');
    assert.equal(envsubst('no vars', env), 'no vars');
    assert.equal(envsubst('$ARGOCD_APP_SOURCE_PATH@$ARGOCD_APP_SOURCE_TARGET_REVISION', env), 'apps/gb@main');
  });
});

describe('repository credentials from secrets', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const secret = (name: string, type: string, data: Record<string, string>, stringData?: Record<string, string>) => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: 'argocd', labels: { 'argocd.argoproj.io/secret-type': type } },
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
    ...(stringData ? { stringData } : {}),
  });
  const secrets = [
    secret('private-repo', 'repository', { url: 'https://github.com/argoproj/private-repo', username: 'u1', password: 'p1' }),
    secret('bare-repo', 'repository', { url: 'https://github.com/argoproj/other-repo' }),
    secret('creds-org', 'repo-creds', { url: 'https://github.com/argoproj', username: 'org', password: 'org-pass' }),
    secret('creds-host', 'repo-creds', { url: 'https://github.com', username: 'host', password: 'host-pass' }),
    secret('ssh', 'repository', { url: 'git@gitlab.example.com:team/app.git', sshPrivateKey: 'KEY', insecure: 'true' }),
    secret('inline', 'repository', {}, { url: 'https://git.example.com/inline', bearerToken: 'tok' }),
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'unlabelled' }, stringData: { url: 'https://github.com/argoproj/x', password: 'no' } },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'argocd-ssh-known-hosts-cm' }, data: { ssh_known_hosts: 'gitlab.example.com ssh-ed25519 AAAA' } },
  ];
  test('a repository secret with credentials wins (URL normalised)', () => {
    assert.deepEqual(credentialsFromSecrets(secrets, 'https://github.com/argoproj/private-repo.git/'), {
      username: 'u1',
      password: 'p1',
      knownHosts: 'gitlab.example.com ssh-ed25519 AAAA',
    });
  });
  test('credential templates match by longest URL prefix', () => {
    assert.equal(credentialsFromSecrets(secrets, 'https://github.com/argoproj/other-repo')?.username, 'org');
    assert.equal(credentialsFromSecrets(secrets, 'https://github.com/argoproj/anything')?.username, 'org');
    assert.equal(credentialsFromSecrets(secrets, 'https://github.com/someone/else')?.username, 'host');
    assert.equal(credentialsFromSecrets(secrets, 'https://gitlab.com/x'), undefined);
  });
  test('SSH keys, insecure, stringData and bearer tokens', () => {
    const ssh = credentialsFromSecrets(secrets, 'git@gitlab.example.com:team/app.git');
    assert.equal(ssh?.sshPrivateKey, 'KEY');
    assert.equal(ssh?.insecureIgnoreHostKey, true);
    assert.equal(ssh?.insecureSkipTLSVerify, undefined);
    assert.equal(credentialsFromSecrets(secrets, 'https://git.example.com/inline')?.bearerToken, 'tok');
  });
  test('normalisation and redaction', () => {
    assert.equal(normalizeGitUrl(' HTTPS://GitHub.com/Org/Repo.git/ '), 'https://github.com/org/repo');
    assert.equal(redact('fatal: unable to access https://bob:hunter2@host/r.git'), 'fatal: unable to access https://***@host/r.git');
    assert.equal(redact('ssh://git@host/r.git failed'), 'ssh://git@host/r.git failed');
    assert.equal(redact('token abc12345 leaked', ['abc12345']), 'token *** leaked');
  });
});

describe('paths', () => {
  test('normalisation refuses escapes', () => {
    assert.equal(normalizeRepoPath(undefined, 'p'), '');
    assert.equal(normalizeRepoPath('./a/b/', 'p'), 'a/b');
    assert.equal(normalizeRepoPath('a/../b', 'p'), 'b');
    assert.equal(normalizeRepoPath('.', 'p'), '');
    for (const bad of ['..', '../x', 'a/../../x', '/etc', 'C:\\x']) {
      assert.throws(() => normalizeRepoPath(bad, 'application path'), (e: unknown) => e instanceof RepoError && e.code === 'PathEscape', bad);
    }
  });
  test('submodule URLs resolve relative to the superproject', () => {
    assert.equal(resolveSubmoduleUrl('git://h:1/parent.git', '../lib.git'), 'git://h:1/lib.git');
    assert.equal(resolveSubmoduleUrl('https://h/org/parent.git/', '../../other/lib'), 'https://h/other/lib');
    assert.equal(resolveSubmoduleUrl('https://h/org/parent', './sub'), 'https://h/org/parent/sub');
    assert.equal(resolveSubmoduleUrl('git@h:org/parent.git', '../lib.git'), 'git@h:org/lib.git');
    assert.equal(resolveSubmoduleUrl('git://h/parent.git', 'https://x/abs.git'), 'https://x/abs.git');
  });
});

describe('kustomize option editing', () => {
  test('image override syntax', () => {
    assert.deepEqual(parseImageOverride('nginx:1.27'), { name: 'nginx', newTag: '1.27' });
    assert.deepEqual(parseImageOverride('nginx=registry:5000/nginx:1.27'), { name: 'nginx', newName: 'registry:5000/nginx', newTag: '1.27' });
    assert.deepEqual(parseImageOverride('nginx@sha256:abc'), { name: 'nginx', digest: 'sha256:abc' });
    assert.deepEqual(parseImageOverride('registry:5000/app'), { name: 'registry:5000/app' });
    assert.deepEqual(parseImageOverride('old=new'), { name: 'old', newName: 'new' });
  });
  test('merging into an existing kustomization', () => {
    const k: Record<string, unknown> = { namePrefix: 'a-', images: [{ name: 'nginx', newTag: '1' }], commonLabels: { team: 'x' } };
    applyKustomizeOptions(
      k,
      { namePrefix: 'b-', images: ['nginx:2', 'redis=cache:7'], replicas: [{ name: 'web', count: '3' }], commonLabels: { env: 'prod' }, commonAnnotations: { rev: '$ARGOCD_APP_REVISION' } },
      { env: { ARGOCD_APP_REVISION: 'abc' }, appDir: '/nonexistent', file: 'k.yaml' },
    );
    assert.deepEqual(k, {
      namePrefix: 'b-',
      images: [{ name: 'nginx', newTag: '2' }, { name: 'redis', newName: 'cache', newTag: '7' }],
      replicas: [{ name: 'web', count: 3 }],
      commonLabels: { team: 'x', env: 'prod' },
      commonAnnotations: { rev: '$ARGOCD_APP_REVISION' },
    });
    assert.throws(() => applyKustomizeOptions(k, { replicas: [{ name: 'web', count: 'many' }] }, { env: {}, appDir: '/', file: 'k.yaml' }), /not an integer/);
  });
  test('commonLabels values always see the build environment (annotations only with commonAnnotationsEnvsubst)', () => {
    // Argo CD's kustomize wrapper runs Envsubst on every commonLabels value before `kustomize edit add label`.
    const env = { env: { ARGOCD_APP_NAME: 'demo' }, appDir: '/nonexistent', file: 'k.yaml' };
    const k: Record<string, unknown> = {};
    applyKustomizeOptions(k, { commonLabels: { app: '${ARGOCD_APP_NAME}-x' }, commonAnnotations: { owner: '$ARGOCD_APP_NAME' } }, env);
    assert.deepEqual(k, { commonLabels: { app: 'demo-x' }, commonAnnotations: { owner: '$ARGOCD_APP_NAME' } });
    const l: Record<string, unknown> = {};
    applyKustomizeOptions(l, { commonLabels: { app: '$ARGOCD_APP_NAME' }, labelWithoutSelector: true }, env);
    assert.deepEqual(l, { labels: [{ pairs: { app: 'demo' }, includeSelectors: false }] });
    // The same label value after substitution is no conflict.
    applyKustomizeOptions(k, { commonLabels: { app: '$ARGOCD_APP_NAME-x' } }, env);
    assert.deepEqual(k['commonLabels'], { app: 'demo-x' });
  });
});

describe('jsonnet import scanning', () => {
  test('finds every import form and skips strings and comments', () => {
    const src = `
      // import 'commented.libsonnet'
      # import "hash-comment"
      /* importstr 'block' */
      local a = import 'a.libsonnet';
      local b = importstr "b.txt";
      local c = importbin @'c\\raw.bin';
      local s = "import 'in-a-string'";
      local t = |||
        import 'in-a-text-block'
      |||;
      local d = import |||-
        d.libsonnet
      |||;
      local e = import |||
        e.libsonnet
      |||;
      local myimport = 1;
      { x: a, y: b }
    `;
    assert.deepEqual(
      scanImports(src).map((i) => `${i.kind}:${i.path}`),
      ['import:a.libsonnet', 'importstr:b.txt', 'importbin:c\\raw.bin', 'import:d.libsonnet', 'import:e.libsonnet\n'],
    );
    assert.equal(scanImports("local x = import '../../etc/passwd';")[0]!.path, '../../etc/passwd');
  });
});

describe('manifest parsing', () => {
  test('Kubernetes YAML scalars', () => {
    const [doc] = parseYamlDocuments('a: yes\nb: on\nc: 0755\nd: 2024-01-01\ne: 12:30\nf: "yes"\ng: ~\n', 'x.yaml');
    assert.deepEqual(doc, { a: true, b: true, c: 493, d: '2024-01-01', e: '12:30', f: 'yes', g: null });
  });
  test('errors name the file and line', () => {
    assert.throws(() => parseYamlDocuments('a: 1\nb: [\n', 'dir/f.yaml'), (e: unknown) => e instanceof RepoError && e.file === 'dir/f.yaml' && /dir\/f\.yaml:\d+: invalid YAML/.test(e.message));
  });
  test('lists flatten, non-objects are refused, the object count is bounded', () => {
    const c = new ObjectCollector(3);
    c.add({ apiVersion: 'v1', kind: 'ConfigMapList', items: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' } }] }, 'f');
    c.add([[{ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'b' } }]], 'f');
    assert.equal(c.objects.length, 2);
    assert.throws(() => c.add('text', 'g'), /expected a Kubernetes object/);
    assert.throws(() => c.add({ kind: 'X' }, 'g'), /'apiVersion' is missing/);
    c.add({ apiVersion: 'v1', kind: 'X', metadata: { name: 'c' } }, 'f');
    assert.throws(() => c.add({ apiVersion: 'v1', kind: 'X', metadata: { name: 'd' } }, 'f'), (e: unknown) => e instanceof RepoError && e.code === 'TooLarge');
  });
});
