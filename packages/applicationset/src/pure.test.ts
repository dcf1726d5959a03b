import { test } from 'node:test';
import assert from 'node:assert/strict';
import { combine, fileParams, generate, generateAll, generatorKind, mergeSets, type ClusterEntry, type GenContext } from './generators.js';
import { flatten, globMatches, pathParams, sanitizeName, selectDirectories, slugify } from './params.js';
import { fasttemplate, goRender, renderApplication } from './render.js';
import { mergeForUpdate, plan, pointerPath, policyOf } from './plan.js';
import type { ApplicationSet, Application, Generator } from './types.js';

function ctx(o: Partial<GenContext> & { dirs?: string[]; files?: Record<string, string>; clusterList?: ClusterEntry[] } = {}): GenContext {
  return {
    clusters: () => o.clusterList ?? [],
    gitDirectories: async () => o.dirs ?? [],
    gitFiles: async () => Object.keys(o.files ?? {}),
    gitRead: async (_u, _r, p) => {
      const c = o.files?.[p];
      if (c === undefined) throw new Error(`no file ${p}`);
      return c;
    },
    configMap: o.configMap ?? (() => undefined),
    secretValue: o.secretValue ?? (() => undefined),
    resources: o.resources ?? (async () => []),
    fetch: o.fetch ?? (async () => ({ status: 500, text: '' })),
  };
}
const setOf = (spec: ApplicationSet['spec'], name = 'set'): ApplicationSet => ({ apiVersion: 'argoproj.io/v1alpha1', kind: 'ApplicationSet', metadata: { name, namespace: 'argocd', uid: 'u1' }, spec });

test('sanitizeName and slugify as upstream defines them', () => {
  for (const [i, o] of [['Guestbook', 'guestbook'], ['helm_guestbook', 'helm-guestbook'], ['-a.b-', 'a.b'], ['My App!', 'my-app']] as const) assert.equal(sanitizeName(i), o, i);
  assert.equal(slugify(50, true, 'Hello World, again'), 'hello-world-again');
  assert.equal(slugify(11, true, 'hello world again'), 'hello-world');
  assert.equal(slugify(7, false, 'hello world'), 'hello-w');
});

test('glob: * stays in a segment, ** crosses, classes', () => {
  const cases: [string, string, boolean][] = [
    ['*', 'guestbook', true],
    ['*', 'apps/guestbook', false],
    ['apps/*', 'apps/guestbook', true],
    ['**/config.json', 'a/b/config.json', true],
    ['**/config.json', 'config.json', true],
    ['cluster-config/**/config.json', 'cluster-config/prod/eu/config.json', true],
    ['[hk]*', 'helm-guestbook', true],
    ['[!hk]*', 'helm-guestbook', false],
    ['a?c', 'abc', true],
    ['a.c', 'abc', false],
  ];
  for (const [p, s, want] of cases) assert.equal(globMatches(p, s), want, `${p} ~ ${s}`);
});

test('git directories: include/exclude, hidden directories never', () => {
  const all = ['guestbook', 'helm-guestbook', 'kustomize-guestbook', '.github', '.github/workflows', 'apps', 'apps/a', 'apps/b'];
  assert.deepEqual(selectDirectories(all, [{ path: '*' }, { path: 'apps', exclude: true }]), ['guestbook', 'helm-guestbook', 'kustomize-guestbook']);
  assert.deepEqual(selectDirectories(all, [{ path: 'apps/*' }, { path: 'apps/b', exclude: true }]), ['apps/a']);
  assert.deepEqual(selectDirectories(all, [{ path: '*guestbook*' }]), ['guestbook', 'helm-guestbook', 'kustomize-guestbook']);
});

test('path parameters: fasttemplate flat keys, goTemplate nested, pathParamPrefix, files', () => {
  assert.deepEqual(pathParams('apps/Guest_book', false), { path: 'apps/Guest_book', 'path.basename': 'Guest_book', 'path.basenameNormalized': 'guest-book', 'path[0]': 'apps', 'path[1]': 'Guest_book' });
  assert.deepEqual(pathParams('apps/x', true), { path: { path: 'apps/x', basename: 'x', basenameNormalized: 'x', segments: ['apps', 'x'] } });
  assert.deepEqual(pathParams('c/prod/config.json', false, { file: true, prefix: 'cfg' }), {
    'cfg.path': 'c/prod',
    'cfg.path.basename': 'prod',
    'cfg.path.basenameNormalized': 'prod',
    'cfg.path.filename': 'config.json',
    'cfg.path.filenameNormalized': 'config.json',
    'cfg.path[0]': 'c',
    'cfg.path[1]': 'prod',
  });
  assert.deepEqual(pathParams('c/config.yaml', true, { file: true, prefix: 'p' }), { p: { path: { path: 'c', basename: 'c', basenameNormalized: 'c', segments: ['c'], filename: 'config.yaml', filenameNormalized: 'config.yaml' } } });
});

test('flatten: nested maps and lists as Go DotStyle with %v values', () => {
  assert.deepEqual(flatten({ a: { b: 1, c: [true, 'x'] }, d: null }), { 'a.b': '1', 'a.c.0': 'true', 'a.c.1': 'x', d: '' });
});

test('file parameters: JSON and YAML, lists, bad files named', () => {
  assert.deepEqual(fileParams('c/config.json', '{"cluster":{"name":"prod","address":"https://1.2.3.4"}}', false)[0], {
    'cluster.name': 'prod',
    'cluster.address': 'https://1.2.3.4',
    path: 'c',
    'path.basename': 'c',
    'path.basenameNormalized': 'c',
    'path.filename': 'config.json',
    'path.filenameNormalized': 'config.json',
    'path[0]': 'c',
  });
  assert.equal(fileParams('x.yaml', '- a: 1\n- a: 2\n', true).length, 2);
  assert.throws(() => fileParams('bad.json', '{', false), /unable to parse file bad\.json/);
  assert.throws(() => fileParams('l.yaml', '- 1\n', false), /l\.yaml item 0: expected an object/);
});

test('fasttemplate: tags with spaces, unknown tags kept, JSON escaping', () => {
  assert.equal(fasttemplate('{{a}}-{{ b }}-{{c}}', { a: '1', b: '2' }), '1-2-{{c}}');
  const app = renderApplication(setOf({}), { metadata: { name: '{{name}}' }, spec: { source: { path: '{{path}}' } } }, { name: 'x', path: 'a"b' });
  assert.deepEqual(app.spec, { source: { path: 'a"b' } });
});

test('goTemplate: sprig, normalize, missingkey=error, env refused', () => {
  assert.equal(goRender('{{ .path.basename | upper }}-{{ normalize "A_b" }}', { path: { basename: 'gb' } }), 'GB-a-b');
  assert.equal(goRender('{{ .nope }}', {}), '<no value>');
  assert.throws(() => goRender('{{ .nope }}', {}, ['missingkey=error']), /nope/);
  assert.throws(() => goRender('{{ env "HOME" }}', {}), /env/);
  assert.throws(() => goRender('{{ x', {}), /failed to execute go template/);
  assert.equal(goRender('{{ slugify 10 true "Hello World Again" }}', {}), 'hello');
  assert.equal(goRender('{{ (fromYaml "a: 1").a }}', {}), '1');
});

test('renderApplication: templatePatch (goTemplate only), name validity, namespace rule', () => {
  const set = setOf({ goTemplate: true, templatePatch: '{{ if .auto }}spec:\n  syncPolicy:\n    automated: {prune: true}\n{{ end }}' });
  const t = { metadata: { name: '{{.name}}' }, spec: { project: 'default' } };
  assert.deepEqual(renderApplication(set, t, { name: 'a', auto: true }).spec, { project: 'default', syncPolicy: { automated: { prune: true } } });
  assert.deepEqual(renderApplication(set, t, { name: 'a', auto: false }).spec, { project: 'default' });
  assert.throws(() => renderApplication(setOf({ templatePatch: 'x' }), t, {}), /templatePatch requires goTemplate/);
  assert.throws(() => renderApplication(setOf({}), { metadata: { name: 'Bad_Name' } }, {}), /not a valid resource name/);
  assert.throws(() => renderApplication(setOf({}), { metadata: { name: 'a', namespace: 'other' } }, {}), /differs from the ApplicationSet's namespace/);
  assert.throws(() => renderApplication(setOf({}), { metadata: {} }, {}), /no metadata.name/);
});

test('generatorKind: exactly one known generator', () => {
  assert.equal(generatorKind({ list: { elements: [] } }), 'list');
  assert.throws(() => generatorKind({ nope: {} } as Generator), /unknown generator "nope"/);
  assert.throws(() => generatorKind({}), /no generator/);
  assert.throws(() => generatorKind({ list: {}, clusters: {} }), /exactly one/);
});

const clusterList: ClusterEntry[] = [
  { name: 'in-cluster', server: 'https://kubernetes.default.svc', labels: {}, annotations: {} },
  { name: 'Prod', server: 'https://prod:6443', project: 'p', labels: { env: 'prod' }, annotations: { team: 'x' } },
  { name: 'staging', server: 'https://staging:6443', labels: { env: 'staging' }, annotations: {} },
];

test('generators table: list, clusters (selector, values), git dirs/files, matrix, merge, selector', async () => {
  const fast = setOf({});
  const go = setOf({ goTemplate: true });
  const c = ctx({ clusterList, dirs: ['a', 'b', 'apps'], files: { 'cfg/prod/config.json': '{"cluster":"Prod","replicas":3}', 'cfg/staging/config.json': '{"cluster":"staging","replicas":1}' } });
  const cases: { name: string; set: ApplicationSet; g: Generator; want: unknown[] }[] = [
    { name: 'list fast', set: fast, g: { list: { elements: [{ cluster: 'a', url: 'u', values: { x: 1 } }] } }, want: [{ cluster: 'a', url: 'u', 'values.x': '1' }] },
    { name: 'list go', set: go, g: { list: { elements: [{ n: 1 }], elementsYaml: '- n: 2' } }, want: [{ n: 1 }, { n: 2 }] },
    {
      name: 'clusters selector + values',
      set: fast,
      g: { clusters: { selector: { matchLabels: { env: 'prod' } }, values: { rev: '{{metadata.labels.env}}-branch' } } },
      want: [{ name: 'Prod', nameNormalized: 'prod', server: 'https://prod:6443', project: 'p', 'metadata.labels.env': 'prod', 'metadata.annotations.team': 'x', 'values.rev': 'prod-branch' }],
    },
    { name: 'clusters all', set: fast, g: { clusters: {} }, want: clusterList.map((x) => ({ name: x.name })) },
    { name: 'clusters expression', set: go, g: { clusters: { selector: { matchExpressions: [{ key: 'env', operator: 'In', values: ['staging'] }] } } }, want: [{ name: 'staging' }] },
    { name: 'git dirs', set: fast, g: { git: { repoURL: 'r', directories: [{ path: '*' }, { path: 'apps', exclude: true }] } }, want: [{ path: 'a' }, { path: 'b' }] },
    { name: 'git files', set: fast, g: { git: { repoURL: 'r', files: [{ path: 'cfg/**/config.json' }] } }, want: [{ cluster: 'Prod', replicas: '3', path: 'cfg/prod' }, { cluster: 'staging', replicas: '1' }] },
    {
      name: 'matrix git × list',
      set: fast,
      g: { matrix: { generators: [{ git: { repoURL: 'r', directories: [{ path: 'a' }, { path: 'b' }] } }, { list: { elements: [{ env: 'dev' }, { env: 'prod-{{path.basename}}' }] } }] } },
      want: [{ path: 'a', env: 'dev' }, { path: 'a', env: 'prod-a' }, { path: 'b', env: 'dev' }, { path: 'b', env: 'prod-b' }],
    },
    {
      name: 'merge by key',
      set: fast,
      g: { merge: { mergeKeys: ['name'], generators: [{ clusters: {} }, { list: { elements: [{ name: 'staging', extra: 'yes' }, { name: 'nowhere', extra: 'no' }] } }] } },
      want: [{ name: 'in-cluster' }, { name: 'Prod' }, { name: 'staging', extra: 'yes' }],
    },
    { name: 'post selector', set: fast, g: { list: { elements: [{ a: '1' }, { a: '2' }] }, selector: { matchLabels: { a: '2' } } }, want: [{ a: '2' }] },
  ];
  for (const tc of cases) {
    const got = (await generate(tc.set, tc.g, c, {})).map((x) => x.params);
    assert.equal(got.length, tc.want.length, `${tc.name}: ${JSON.stringify(got)}`);
    tc.want.forEach((w, i) => {
      for (const [k, v] of Object.entries(w as object)) assert.deepEqual(got[i]![k], v, `${tc.name}[${i}].${k}`);
    });
  }
});

test('generator errors are named: matrix arity, fasttemplate duplicate keys, git without entries, scm without a provider', async () => {
  const c = ctx({ clusterList });
  const f = setOf({});
  await assert.rejects(generate(f, { matrix: { generators: [{ list: { elements: [] } }] } }, c, {}), /exactly 2 child generators/);
  assert.throws(() => combine({ a: '1' }, { a: '2' }, false), /duplicate key a/);
  assert.deepEqual(combine({ a: { b: 1 } }, { a: { c: 2 } }, true), { a: { b: 1, c: 2 } });
  await assert.rejects(generate(f, { git: { repoURL: 'r' } }, c, {}), /one of directories or files/);
  await assert.rejects(generate(f, { scmProvider: {} }, c, {}), /scmProvider needs exactly one provider/);
  await assert.rejects(generate(f, { scmProvider: { azureDevOps: {} } }, c, {}), /azureDevOps is not part of this build/);
  await assert.rejects(generateAll(setOf({ generators: [{ list: { elements: [] } }, { bogus: {} } as Generator] }), c), /generators\[1\]: unknown generator "bogus"/);
  assert.throws(() => mergeSets([[{ k: 'a' }, { k: 'a' }]], ['k'], false), /duplicate merge key/);
});

test('per-generator template overrides the spec template', async () => {
  const set = setOf({ template: { metadata: { name: '{{n}}' }, spec: { project: 'default', destination: { server: 'x' } } } });
  const gens = await generate(set, { list: { elements: [{ n: 'a' }], template: { metadata: {}, spec: { project: 'other' } } } }, ctx(), set.spec!.template!);
  assert.deepEqual(renderApplication(set, gens[0]!.template, gens[0]!.params).spec, { project: 'other', destination: { server: 'x' } });
});

test('clusterDecisionResource and plugin read through the context', async () => {
  const c = ctx({
    clusterList,
    configMap: (n): Record<string, string> | undefined =>
      n === 'cdr' ? { apiVersion: 'cluster.open-cluster-management.io/v1beta1', kind: 'placementdecisions', statusListKey: 'decisions', matchKey: 'clusterName' } : n === 'plug' ? { baseUrl: 'http://p', token: '$plugin.token' } : undefined,
    resources: async (_a, _k, name) => (name === 'pd' ? [{ status: { decisions: [{ clusterName: 'staging', reason: 'r' }, { clusterName: 'gone' }] } }] : []),
    secretValue: (r) => (r === '$plugin.token' ? 'tok' : undefined),
    fetch: async (url, init) => {
      assert.equal(url, 'http://p/api/v1/getparams.execute');
      assert.equal(init.headers.authorization, 'Bearer tok');
      const body = JSON.parse(init.body!);
      return { status: 200, text: JSON.stringify({ output: { parameters: [{ app: body.input.parameters.x }] } }) };
    },
  });
  const f = setOf({});
  const cdr = (await generate(f, { clusterDecisionResource: { configMapRef: 'cdr', name: 'pd' } }, c, {})).map((x) => x.params);
  assert.deepEqual(cdr, [{ clusterName: 'staging', reason: 'r', name: 'staging', server: 'https://staging:6443' }]);
  const pl = (await generate(f, { plugin: { configMapRef: { name: 'plug' }, input: { parameters: { x: 'hello' } } } }, c, {})).map((x) => x.params);
  assert.equal(pl[0]!.app, 'hello');
  assert.equal(pl[0]!['generator.input.parameters.x'], 'hello');
  await assert.rejects(generate(f, { plugin: { configMapRef: { name: 'nope' } } }, c, {}), /ConfigMap "nope" not found/);
});

const app = (name: string, spec: object, extra: Partial<Application['metadata']> = {}): Application => ({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { name, namespace: 'argocd', ...extra }, spec } as Application);
const owned = { ownerReferences: [{ apiVersion: 'argoproj.io/v1alpha1', kind: 'ApplicationSet', name: 'set', uid: 'u1', controller: true }] };

test('plan: the sync policies', () => {
  const desired = [app('a', { v: 2 }), app('new', { v: 1 })];
  const existing = [app('a', { v: 1 }, owned), app('old', { v: 1 }, owned), app('foreign', {})];
  const table: [string | undefined, [number, number, number]][] = [
    [undefined, [1, 1, 1]],
    ['sync', [1, 1, 1]],
    ['create-only', [1, 0, 0]],
    ['create-update', [1, 1, 0]],
    ['create-delete', [1, 0, 1]],
  ];
  for (const [pol, [c, u, d]] of table) {
    const p = plan(setOf({ syncPolicy: pol ? { applicationsSync: pol as 'sync' } : undefined }), desired, existing);
    assert.deepEqual([p.create.length, p.update.length, p.delete.length], [c, u, d], String(pol));
  }
  const p = plan(setOf({}), [app('foreign', {})], existing);
  assert.deepEqual(p.conflicts, ['foreign']);
  assert.throws(() => plan(setOf({}), [app('x', {}), app('x', {})], []), /more than once/);
  assert.throws(() => policyOf(setOf({ syncPolicy: { applicationsSync: 'nope' as 'sync' } })), /unknown policy "nope"/);
  assert.equal(plan(setOf({}), [app('a', { v: 1 })], [app('a', { v: 1 }, owned)]).unchanged, 1);
});

test('plan: ignoreApplicationDifferences and preservedFields', () => {
  const set = setOf({ ignoreApplicationDifferences: [{ jsonPointers: ['/spec/source/targetRevision'] }, { name: 'a', jqPathExpressions: ['.spec.syncPolicy'] }], preservedFields: { labels: ['keep'] } });
  const cur = app('a', { source: { repoURL: 'r', targetRevision: 'manual' }, syncPolicy: { automated: {} } }, { ...owned, labels: { keep: 'me', drop: 'x' }, annotations: { 'argocd.argoproj.io/refresh': 'hard' } });
  const next = mergeForUpdate(set, cur, app('a', { source: { repoURL: 'r2', targetRevision: 'HEAD' } }, { labels: { l: '1' } }));
  assert.deepEqual(next.spec, { source: { repoURL: 'r2', targetRevision: 'manual' }, syncPolicy: { automated: {} } });
  assert.deepEqual(next.metadata?.labels, { l: '1', keep: 'me' });
  assert.deepEqual(next.metadata?.annotations, { 'argocd.argoproj.io/refresh': 'hard' });
  assert.deepEqual(pointerPath('/a/b~1c'), ['a', 'b/c']);
  assert.deepEqual(pointerPath('.spec.sources[0]', true), ['spec', 'sources', '0']);
  assert.throws(() => pointerPath('.a | select(.x)', true), /not a plain path/);
  // full jq: the selected entries keep their live values; the others follow the template
  const set2 = setOf({ ignoreApplicationDifferences: [{ jqPathExpressions: ['.spec.sources[] | select(.repoURL == "kept") | .targetRevision'] }] });
  const cur2 = app('b', { sources: [{ repoURL: 'kept', targetRevision: 'pinned' }, { repoURL: 'other', targetRevision: 'old' }] }, owned);
  const next2 = mergeForUpdate(set2, cur2, app('b', { sources: [{ repoURL: 'kept', targetRevision: 'HEAD' }, { repoURL: 'other', targetRevision: 'HEAD' }] }));
  assert.deepEqual(next2.spec, { sources: [{ repoURL: 'kept', targetRevision: 'pinned' }, { repoURL: 'other', targetRevision: 'HEAD' }] });
  assert.throws(() => mergeForUpdate(setOf({ ignoreApplicationDifferences: [{ jqPathExpressions: ['.spec['] }] }), cur2, cur2), /jqPathExpression ".spec\[": invalid jq/);
});
