import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderChart, HelmError } from './index.js';
import { chart, removeDir, tempDir, CHARTS } from './testutil.js';

async function renderError(opts: Parameters<typeof renderChart>[0]): Promise<HelmError> {
  try {
    await renderChart(opts);
  } catch (e) {
    assert.ok(e instanceof HelmError, `expected a HelmError, got ${String(e)}`);
    return e;
  }
  assert.fail('render succeeded');
}

test('template syntax error names the file and line', async () => {
  const e = await renderError({ chartDir: chart('bad-syntax') });
  assert.equal(e.message, 'parse error at (bad-syntax/templates/broken.yaml:6): unclosed action started at bad-syntax/templates/broken.yaml:5');
  assert.equal(e.file, 'bad-syntax/templates/broken.yaml');
  assert.equal(e.line, 6);
});

test('undefined function is a parse error', async () => {
  const tmp = tempDir();
  try {
    cpSync(chart('bad-syntax'), join(tmp, 'c'), { recursive: true });
    writeFileSync(join(tmp, 'c', 'templates', 'broken.yaml'), 'a: 1\nb: {{ nosuchfunc .Values }}\n');
    const e = await renderError({ chartDir: join(tmp, 'c') });
    assert.equal(e.message, 'parse error at (bad-syntax/templates/broken.yaml:2): function "nosuchfunc" not defined');
    // env and expandenv are removed from Sprig in Helm
    writeFileSync(join(tmp, 'c', 'templates', 'broken.yaml'), 'a: {{ env "HOME" }}\n');
    assert.match((await renderError({ chartDir: join(tmp, 'c') })).message, /function "env" not defined/);
  } finally {
    removeDir(tmp);
  }
});

test('required and fail: "execution error at (file:line:col): message"', async () => {
  let e = await renderError({ chartDir: chart('faulty'), set: ['mode=required'] });
  assert.equal(e.message, 'execution error at (faulty/templates/modes.yaml:7:10): image.tag is required');
  assert.equal(e.file, 'faulty/templates/modes.yaml');
  assert.equal(e.line, 7);
  e = await renderError({ chartDir: chart('faulty'), set: ['mode=nested'] });
  assert.equal(e.message, 'execution error at (faulty/templates/modes.yaml:9:10): image.tag must be set');
  e = await renderError({ chartDir: chart('faulty'), set: ['mode=fail'] });
  assert.equal(e.message, 'execution error at (faulty/templates/modes.yaml:11:8): mode fail was selected');
  // an empty string does not satisfy required; a value does
  await renderError({ chartDir: chart('faulty'), set: ['mode=required'], setString: ['image.tag='] });
  const ok = await renderChart({ chartDir: chart('faulty'), set: ['mode=required', 'image.tag=1'] });
  assert.match(ok.manifests[0]!.content, /tag: 1/);
});

test('execution errors keep Go\'s message: file, line, column and the failing action', async () => {
  const e = await renderError({ chartDir: chart('faulty'), set: ['mode=nil'] });
  assert.equal(e.message, 'template: faulty/templates/modes.yaml:13:15: executing "faulty/templates/modes.yaml" at <.Values.missing.deeper.value>: nil pointer evaluating interface {}.deeper'.replace('<.Values.missing.deeper.value>', '<.Values.missing.deep...>'));
  assert.equal(e.line, 13);
});

test('rendered output that is not YAML names the template', async () => {
  let e = await renderError({ chartDir: chart('faulty'), set: ['mode=yaml'] });
  assert.match(e.message, /^YAML parse error on faulty\/templates\/modes\.yaml: error converting YAML to JSON: yaml: line 6: /);
  e = await renderError({ chartDir: chart('faulty'), set: ['mode=annotation'] });
  assert.match(e.message, /^YAML parse error on faulty\/templates\/modes\.yaml: .*cannot unmarshal number into Go struct field \.metadata\.annotations of type string/);
});

test('values.schema.json violations name the failing paths', async () => {
  let e = await renderError({ chartDir: chart('kitchen'), set: ['replicaCount=0', 'service.type=Foo', 'service.port=http', 'image.repository=null'] });
  assert.equal(
    e.message,
    [
      "values don't meet the specifications of the schema(s) in the following chart(s):",
      'kitchen:',
      '- replicaCount: Must be greater than or equal to 1',
      '- image: repository is required',
      '- service.type: service.type must be one of the following: "ClusterIP", "NodePort", "LoadBalancer"',
      '- service.port: Invalid type. Expected: integer, given: string',
    ].join('\n'),
  );
  await renderChart({ chartDir: chart('kitchen'), set: ['replicaCount=0'], skipSchemaValidation: true });
  e = await renderError({ chartDir: chart('kitchen'), values: { replicaCount: 1.5 } });
  assert.match(e.message, /- replicaCount: Invalid type\. Expected: integer, given: number/);
  // a null value deletes the default, so a required key goes missing
  e = await renderError({ chartDir: chart('kitchen'), values: { replicaCount: null } });
  assert.match(e.message, /- \(root\): replicaCount is required/);
});

test('chart problems: missing directory, missing Chart.yaml, invalid metadata, bad values.yaml, kubeVersion', async () => {
  assert.equal((await renderError({ chartDir: '/nonexistent/chart' })).message, 'path "/nonexistent/chart" not found');
  const tmp = tempDir();
  try {
    mkdirSync(join(tmp, 'empty'));
    assert.match((await renderError({ chartDir: join(tmp, 'empty') })).message, /Chart\.yaml file is missing/);
    mkdirSync(join(tmp, 'noname'));
    writeFileSync(join(tmp, 'noname', 'Chart.yaml'), 'apiVersion: v2\nversion: 1.0.0\n');
    assert.equal((await renderError({ chartDir: join(tmp, 'noname') })).message, 'validation: chart.metadata.name is required');
    mkdirSync(join(tmp, 'badver'));
    writeFileSync(join(tmp, 'badver', 'Chart.yaml'), 'apiVersion: v2\nname: badver\nversion: one\n');
    assert.equal((await renderError({ chartDir: join(tmp, 'badver') })).message, 'validation: chart.metadata.version "one" is invalid');
    mkdirSync(join(tmp, 'badvalues'));
    writeFileSync(join(tmp, 'badvalues', 'Chart.yaml'), 'apiVersion: v2\nname: badvalues\nversion: 1.0.0\n');
    writeFileSync(join(tmp, 'badvalues', 'values.yaml'), 'a:\n  - b\n c: d\n');
    assert.match((await renderError({ chartDir: join(tmp, 'badvalues') })).message, /^cannot load values\.yaml: error converting YAML to JSON: yaml: line \d+: /);
    mkdirSync(join(tmp, 'notgz'));
    writeFileSync(join(tmp, 'notgz', 'x.tgz'), 'not an archive');
    await renderError({ chartDir: join(tmp, 'notgz', 'x.tgz') });
  } finally {
    removeDir(tmp);
  }
  assert.equal((await renderError({ chartDir: chart('faulty'), kubeVersion: '2.1.0' })).message, 'chart requires kubeVersion: <2.0.0 which is incompatible with Kubernetes v2.1.0');
  assert.match((await renderError({ chartDir: chart('faulty'), kubeVersion: 'banana' })).message, /invalid argument "banana" for "--kube-version" flag/);
});

test('missing dependencies are reported like `helm template`', async () => {
  const tmp = tempDir();
  try {
    cpSync(join(CHARTS, 'umbrella'), join(tmp, 'umbrella'), { recursive: true });
    const e = await renderError({ chartDir: join(tmp, 'umbrella') });
    assert.equal(
      e.message,
      'An error occurred while checking for chart dependencies. You may need to run `helm dependency build` to fetch missing dependencies: found in Chart.yaml, but missing in charts/ directory: packed',
    );
    // a file:// repository is loaded from its path
    const chartYaml = join(tmp, 'umbrella', 'Chart.yaml');
    const { readFileSync } = await import('node:fs');
    writeFileSync(chartYaml, readFileSync(chartYaml, 'utf8').replace('  - name: packed\n', `  - name: packed\n    repository: file://${join(CHARTS, 'packed')}\n`));
    const r = await renderChart({ chartDir: join(tmp, 'umbrella'), releaseName: 'u' });
    assert.ok(r.manifests.some((m) => m.source === 'umbrella/charts/packed/templates/p.yaml'));
  } finally {
    removeDir(tmp);
  }
});

test('bad --set syntax is a clear error', async () => {
  const e = await renderError({ chartDir: chart('kitchen'), set: ['image.tag'] });
  assert.equal(e.message, 'failed parsing --set data: key "tag" has no value');
  assert.equal((await renderError({ chartDir: chart('kitchen'), set: ['a=1,b'] })).message, 'failed parsing --set data: key "b" has no value');
  assert.equal((await renderError({ chartDir: chart('kitchen'), setString: ['x[y]=1'] })).message, 'failed parsing --set-string data: failed to parse index: strconv.Atoi: parsing "y": invalid syntax');
});

test('include: a missing template and endless recursion are reported, not crashes', async () => {
  const tmp = tempDir();
  try {
    const c = join(tmp, 'rec');
    mkdirSync(join(c, 'templates'), { recursive: true });
    writeFileSync(join(c, 'Chart.yaml'), 'apiVersion: v2\nname: rec\nversion: 1.0.0\n');
    writeFileSync(join(c, 'templates', 'a.yaml'), 'x: {{ include "missing" . }}\n');
    assert.match((await renderError({ chartDir: c })).message, /^template: rec\/templates\/a\.yaml:1:6: executing "rec\/templates\/a\.yaml" at <include "missing" \.>: error calling include: template: no template "missing"/);
    writeFileSync(join(c, 'templates', 'a.yaml'), '{{- define "loop" }}{{ include "loop" . }}{{ end }}x: {{ include "loop" . }}\n');
    const e = await renderError({ chartDir: c });
    assert.match(e.message, /nested calls omitted/);
    assert.match(e.message, /error calling include: rendering template has a nested reference name: loop: unable to execute template$/);
    assert.ok(e.message.length < 2000);
  } finally {
    removeDir(tmp);
  }
});

test('an integer from --set is not a string for the schema (use --set-string)', async () => {
  const e = await renderError({ chartDir: chart('kitchen'), set: ['image.tag=9'] });
  assert.match(e.message, /- image\.tag: Invalid type\. Expected: string, given: integer/);
  await renderChart({ chartDir: chart('kitchen'), setString: ['image.tag=9'] });
});
