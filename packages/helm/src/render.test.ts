import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderChart, helmTemplateOutput, splitManifests, sortManifests, INSTALL_ORDER, IgnoreRules, loadChart, type RenderChartOptions } from './index.js';
import { chart, expectedText, packChart, removeDir, tempDir, umbrellaWithArchive, CHARTS } from './testutil.js';
import { globMatch } from './glob.js';

const kitchenOpts: RenderChartOptions = {
  chartDir: chart('kitchen'),
  releaseName: 'rel',
  namespace: 'ns',
  includeCrds: true,
  apiVersions: ['example.com/v1'],
  kubeVersion: '1.31.2',
};

test('kitchen chart: exact helm template output (objects, functions, Files, order, hooks, CRDs)', async () => {
  const r = await renderChart(kitchenOpts);
  assert.equal(helmTemplateOutput(r), expectedText('kitchen.txt'));
  assert.equal(r.notes, 'kitchen 1.2.3 installed as rel in ns.\n');
  assert.deepEqual(r.chart, { name: 'kitchen', version: '1.2.3', appVersion: '2.0' });
  const hooks = r.manifests.filter((m) => m.hook);
  assert.deepEqual(
    hooks.map((h) => [h.source, h.kind, h.hook]),
    [['kitchen/templates/hook.yaml', 'Job', 'pre-install,pre-upgrade']],
  );
  assert.deepEqual(
    r.manifests.map((m) => m.kind),
    ['CustomResourceDefinition', 'Namespace', 'ServiceAccount', 'Secret', 'ConfigMap', 'ConfigMap', 'Service', 'Deployment', 'Gadget', 'Widget', 'Job'],
  );
});

test('CRDs are printed only with includeCrds, never with skipCrds; hooks can be dropped', async () => {
  const plain = await renderChart({ ...kitchenOpts, includeCrds: false });
  assert.ok(!plain.manifests.some((m) => m.crd));
  const skipped = await renderChart({ ...kitchenOpts, includeCrds: true, skipCrds: true });
  assert.ok(!skipped.manifests.some((m) => m.crd));
  const noHooks = await renderChart({ ...kitchenOpts, noHooks: true });
  assert.ok(!noHooks.manifests.some((m) => m.hook));
  const out = helmTemplateOutput(plain);
  assert.ok(out.startsWith('---\n# Source: kitchen/templates/multi.yaml\napiVersion: v1\nkind: Namespace\n'));
  assert.ok(out.endsWith('          image: busybox\n'));
});

test('release options: defaults, namespace, is-upgrade, kube version', async () => {
  const r = await renderChart({ chartDir: chart('kitchen'), set: ['image.tag=1.25'], isUpgrade: true });
  const objects = r.manifests.find((m) => m.source.endsWith('objects.yaml'))!.content;
  assert.match(objects, /release: release-name\|default\|Helm\|false\|true\|1/);
  assert.match(objects, /kube: v1\.32\.0\|v1\.32\.0\|1\|32/);
  assert.match(objects, /apis: true\|false/);
  const dep = r.manifests.find((m) => m.kind === 'Deployment')!.content;
  assert.match(dep, /image: "nginx:1\.25"/);
  assert.match(dep, /name: release-name-kitchen/);
});

test('umbrella chart: subcharts (dir and .tgz), alias, condition, tags, import-values, globals, library chart', async () => {
  const { dir, cleanup } = umbrellaWithArchive();
  try {
    const r = await renderChart({ chartDir: dir, releaseName: 'u', includeCrds: true });
    assert.equal(helmTemplateOutput(r), expectedText('umbrella.txt'));
    // user values override parent and imported values; tags and conditions can be flipped
    const r2 = await renderChart({ chartDir: dir, releaseName: 'u', set: ['fromSub.keep=user', 'tags.beta=true', 'disabled.enabled=false', 'global.disabledEnabled=true', 'sub.enabled=false'] });
    const sources = r2.manifests.map((m) => m.source);
    assert.deepEqual(sources, ['umbrella/charts/packed/templates/p.yaml', 'umbrella/charts/sub2/templates/cm.yaml', 'umbrella/charts/sub3/templates/cm.yaml', 'umbrella/templates/parent.yaml']);
    assert.match(r2.manifests.at(-1)!.content, /fromSub: '\{"keep":"user"\}'/);
    // the first condition that resolves decides: disabled.enabled=false wins over global.disabledEnabled
    const r3 = await renderChart({ chartDir: dir, releaseName: 'u', set: ['disabled.enabled=true'] });
    assert.ok(r3.manifests.some((m) => m.source === 'umbrella/charts/disabled/templates/cm.yaml'));
  } finally {
    cleanup();
  }
});

test('chart archive as chartDir, and a subchart archive built from a directory', async () => {
  const tmp = tempDir();
  try {
    packChart(CHARTS, 'kitchen', join(tmp, 'kitchen-1.2.3.tgz'));
    const fromTgz = await renderChart({ ...kitchenOpts, chartDir: join(tmp, 'kitchen-1.2.3.tgz') });
    // .helmignore applies to directories only: an archive carries what it contains
    const out = helmTemplateOutput(fromTgz);
    const dirOut = expectedText('kitchen.txt');
    assert.equal(out.replace(/ignoredBak: ".*"/, '').replace(/ignoredDir: ".*"/, '').replace(/ignoredDoc: ".*"/, ''), dirOut.replace(/ignoredBak: ".*"/, '').replace(/ignoredDir: ".*"/, '').replace(/ignoredDoc: ".*"/, ''));
    assert.match(out, /ignoredBak: "ignored backup\\n"/);
  } finally {
    removeDir(tmp);
  }
});

test('Chart.yaml v1 with requirements.yaml', async () => {
  const r = await renderChart({ chartDir: chart('legacy') });
  assert.deepEqual(
    r.manifests.map((m) => m.source),
    ['legacy/charts/child/templates/cm.yaml', 'legacy/templates/cm.yaml'],
  );
  assert.match(r.manifests[0]!.content, /msg: from-parent\n  apiVersion: v1/);
  assert.match(r.manifests[1]!.content, /appVersion: "1\.10"/);
  const c = loadChart(chart('legacy'));
  assert.deepEqual(
    c.metadata.dependencies!.map((d) => d.name),
    ['child', 'other'],
  );
});

test('output order: kinds in install order, unknown kinds last by name, stable within a kind', () => {
  const files = new Map<string, string>([
    ['c/templates/b.yaml', 'kind: Deployment\nmetadata: {name: d1}\n---\nkind: Zebra\n---\nkind: Service\nmetadata: {name: s2}'],
    ['c/templates/a.yaml', 'kind: Service\nmetadata: {name: s1}\n---\nkind: Apple\n---\nkind: Namespace\n---\nkind: PriorityClass\n---\nkind: Zebra\nmetadata: {name: z2}'],
    ['c/templates/_partial.yaml', 'kind: Secret'],
    ['c/templates/blank.yaml', '\n  \n'],
    ['c/charts/s/templates/x.yaml', 'kind: Service\nmetadata: {name: s0}\n---\nkind: Job\nmetadata:\n  annotations:\n    helm.sh/hook: post-install\n---\nkind: ConfigMap\nmetadata:\n  annotations:\n    helm.sh/hook: pre-install'],
  ]);
  const { manifests, hooks } = sortManifests(files);
  assert.deepEqual(
    manifests.map((m) => `${m.kind}:${m.name.split('/').pop()}`),
    ['PriorityClass:a.yaml', 'Namespace:a.yaml', 'Service:x.yaml', 'Service:a.yaml', 'Service:b.yaml', 'Deployment:b.yaml', 'Apple:a.yaml', 'Zebra:a.yaml', 'Zebra:b.yaml'],
  );
  assert.deepEqual(
    hooks.map((h) => `${h.kind}:${h.hook}`),
    ['ConfigMap:pre-install', 'Job:post-install'],
  );
  assert.equal(INSTALL_ORDER.indexOf('Namespace'), 1);
  for (const [a, b] of [
    ['ServiceAccount', 'Secret'],
    ['ConfigMap', 'CustomResourceDefinition'],
    ['ClusterRoleBinding', 'Role'],
    ['Service', 'Deployment'],
    ['CronJob', 'IngressClass'],
    ['Ingress', 'APIService'],
  ] as const)
    assert.ok(INSTALL_ORDER.indexOf(a) < INSTALL_ORDER.indexOf(b), `${a} < ${b}`);
});

test('documents: split at --- lines, trimmed, empty ones dropped', () => {
  // Helm's separator consumes the whitespace after "---", so a blank document between two
  // separators leaves the second "---" at the start of the next document (printed as is).
  assert.deepEqual(splitManifests('\n\n---\na: 1\n---\n\n---   \nb: 2\n---\n'), ['a: 1', '---   \nb: 2']);
  assert.deepEqual(splitManifests('a: 1\n---\nb: 2'), ['a: 1', 'b: 2']);
  assert.deepEqual(splitManifests('---\na: 1\n---'), ['a: 1']);
  assert.deepEqual(splitManifests('   \n '), []);
  assert.deepEqual(splitManifests('a: |\n  x---y\nb: ---'), ['a: |\n  x---y\nb: ---']);
  // a separator must start a line; "---" inside a line is content
  assert.deepEqual(splitManifests('a: 1 --- b'), ['a: 1 --- b']);
});

test('rendered output: "<no value>" removed, partials and NOTES.txt not printed, empty files dropped', async () => {
  const tmp = tempDir();
  try {
    const c = join(tmp, 'mini');
    mkdirSync(join(c, 'templates'), { recursive: true });
    writeFileSync(join(c, 'Chart.yaml'), 'apiVersion: v2\nname: mini\nversion: 0.1.0\n');
    writeFileSync(join(c, 'templates', '_part.yaml'), 'kind: ConfigMap\nmetadata: {name: partial}\n');
    writeFileSync(join(c, 'templates', 'NOTES.txt'), 'notes {{ .Values.nothing }}!');
    writeFileSync(join(c, 'templates', 'empty.yaml'), '{{/* nothing */}}\n');
    writeFileSync(join(c, 'templates', 'cm.txt'), 'kind: ConfigMap\nmetadata:\n  name: x\ndata:\n  v: "{{ .Values.nothing }}"\n  p: "{{ printf "%v" .Values.nothing }}"\n');
    const r = await renderChart({ chartDir: c });
    assert.equal(helmTemplateOutput(r), '---\n# Source: mini/templates/cm.txt\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  v: ""\n  p: "<nil>"\n');
    assert.equal(r.notes, 'notes !');
    // nothing rendered at all: helm prints a single newline
    writeFileSync(join(c, 'templates', 'cm.txt'), '');
    assert.equal(helmTemplateOutput(await renderChart({ chartDir: c })), '\n');
  } finally {
    removeDir(tmp);
  }
});

test('.helmignore patterns', () => {
  const r = IgnoreRules.withDefaults('# comment\n*.bak\ntmp/\n/rooted.txt\ndocs/*.md\n!docs/keep.md\nsub/dir/file\n');
  assert.equal(r.ignored('a.bak', false), true);
  assert.equal(r.ignored('deep/x.bak', false), true);
  assert.equal(r.ignored('tmp', true), true);
  assert.equal(r.ignored('tmp', false), false);
  assert.equal(r.ignored('rooted.txt', false), true);
  assert.equal(r.ignored('x/rooted.txt', false), false);
  assert.equal(r.ignored('docs/readme.md', false), true);
  assert.equal(r.ignored('docs/keep.md', false), false);
  assert.equal(r.ignored('sub/dir/file', false), true);
  assert.equal(r.ignored('templates/.hidden.yaml', false), true);
  assert.equal(r.ignored('templates/shown.yaml', false), false);
  assert.equal(r.ignored('Chart.yaml', false), false);
});

test('glob patterns for .Files.Glob', () => {
  const g = (p: string, s: string) => globMatch(p, s, { doubleStar: true, braces: true });
  assert.ok(g('files/*.txt', 'files/a.txt'));
  assert.ok(!g('files/*.txt', 'files/sub/a.txt'));
  assert.ok(g('files/**.txt', 'files/sub/a.txt'));
  assert.ok(g('files/**/*.txt', 'files/a.txt'));
  assert.ok(g('**', 'a/b/c'));
  assert.ok(g('f/{a,b}.txt', 'f/b.txt'));
  assert.ok(!g('f/{a,b}.txt', 'f/c.txt'));
  assert.ok(g('f/[ab]?.txt', 'f/a1.txt'));
  assert.ok(!g('f/[!ab]?.txt', 'f/a1.txt'));
});

test('library charts cannot be rendered; subchart library templates only provide defines', async () => {
  const tmp = tempDir();
  try {
    cpSync(join(CHARTS, 'umbrella', 'charts', 'lib'), join(tmp, 'lib'), { recursive: true });
    await assert.rejects(renderChart({ chartDir: join(tmp, 'lib') }), /library charts are not installable/);
  } finally {
    removeDir(tmp);
  }
});
