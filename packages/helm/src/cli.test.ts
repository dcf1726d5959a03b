import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { helmTemplateCommand, HELM_TEMPLATE_USAGE } from './index.js';
import { CHARTS, chart, expectedText, removeDir, tempDir } from './testutil.js';

async function run(argv: string[], cwd = CHARTS): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await helmTemplateCommand(argv, { stdout: (s) => (out += s), stderr: (s) => (err += s), cwd });
  return { code, out, err };
}

test('helm template NAME CHART with the kitchen options prints the expected output', async () => {
  const r = await run(['rel', 'kitchen', '-n', 'ns', '--include-crds', '--api-versions', 'example.com/v1', '--kube-version=1.31.2']);
  assert.equal(r.err, '');
  assert.equal(r.code, 0);
  assert.equal(r.out, expectedText('kitchen.txt'));
});

test('helm template CHART: default release name and namespace; flags in any position', async () => {
  const r = await run(['kitchen', '--set', 'image.tag=v9', '--show-only', 'templates/deployment.yaml']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^---\n# Source: kitchen\/templates\/deployment\.yaml\napiVersion: apps\/v1\nkind: Deployment\nmetadata:\n  name: release-name-kitchen\n/);
  assert.match(r.out, /image: "nginx:v9"/);
  assert.equal(r.out.match(/^---$/gm)!.length, 1);
});

test('-f/--values (comma-separated and repeated), --set-string, --set-file, --set-json, --set-literal', async () => {
  const dir = tempDir();
  try {
    writeFileSync(join(dir, 'a.yaml'), 'a: file-a\nb: file-a\n');
    writeFileSync(join(dir, 'b.yaml'), 'b: file-b\n');
    writeFileSync(join(dir, 'c.yaml'), 'c: file-c\n');
    writeFileSync(join(dir, 'f.txt'), 'file text');
    const r = await run(
      [join(CHARTS, 'precedence'), '-f', 'a.yaml,b.yaml', '--values=c.yaml', '--set-string', 'd=1', '--set-file', 'e=f.txt', '--set-json', 'f=[1,2]', '--set-literal', 'g=x,y=z', '--set', 'int=1'],
      dir,
    );
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /    a: file-a\n    b: file-b\n    c: file-c\n    d: "1"\n    e: file text\n    f:\n    - 1\n    - 2\n    g: x,y=z\n/);
    assert.match(r.out, /types: int64\|invalid\|invalid\|invalid/);
  } finally {
    removeDir(dir);
  }
});

test('--show-only: globs, several files, missing template', async () => {
  let r = await run(['kitchen', '-s', 'templates/multi.yaml', '-s', 'templates/s*.yaml']);
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(
    r.out.match(/^# Source: .*$/gm),
    ['# Source: kitchen/templates/multi.yaml', '# Source: kitchen/templates/multi.yaml', '# Source: kitchen/templates/service.yaml'],
  );
  r = await run(['kitchen', '--show-only', 'templates/nope.yaml']);
  assert.equal(r.code, 1);
  assert.equal(r.err, 'Error: could not find template templates/nope.yaml in chart\n');
});

test('hooks and CRD flags: --no-hooks, --skip-tests, --include-crds/--skip-crds, --is-upgrade', async () => {
  let r = await run(['kitchen', '--no-hooks']);
  assert.ok(!r.out.includes('hook.yaml'));
  r = await run(['kitchen', '--include-crds', '--skip-crds']);
  assert.ok(!r.out.includes('crds/widgets.yaml'));
  r = await run(['kitchen', '-s', 'templates/hook.yaml']);
  assert.match(r.out, /name: release-name-migrate/);
  r = await run(['kitchen', '--is-upgrade', '-s', 'templates/objects.yaml']);
  assert.match(r.out, /release: release-name\|default\|Helm\|false\|true\|1/);
});

test('--name-template and --generate-name', async () => {
  let r = await run(['kitchen', '--name-template', '{{ "named" | upper | lower }}-x', '-s', 'templates/service.yaml']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /name: named-x-kitchen/);
  r = await run(['-g', 'kitchen', '-s', 'templates/service.yaml']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /name: kitchen-\d+-kitchen/);
});

test('--output-dir writes one file per template', async () => {
  const dir = tempDir();
  try {
    const r = await run(['rel', 'kitchen', '--output-dir', dir]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^wrote .*kitchen\/templates\/multi\.yaml$/m);
    const multi = readFileSync(join(dir, 'kitchen', 'templates', 'multi.yaml'), 'utf8');
    assert.equal(multi.match(/^# Source: kitchen\/templates\/multi\.yaml$/gm)!.length, 2);
    assert.ok(!existsSync(join(dir, 'kitchen', 'templates', 'empty.yaml')));
  } finally {
    removeDir(dir);
  }
});

test('--help prints the usage; usage errors exit 1 with helm-like messages', async () => {
  let r = await run(['--help']);
  assert.equal(r.code, 0);
  assert.equal(r.out, HELM_TEMPLATE_USAGE);
  assert.match(r.out, /Usage:\n  helm template \[NAME\] \[CHART\] \[flags\]/);
  for (const flag of ['--set-file', '--set-json', '--show-only', '--include-crds', '--kube-version', '--api-versions', '--namespace', '--values', '--skip-crds', '--is-upgrade']) assert.ok(r.out.includes(flag), flag);
  r = await run([]);
  assert.equal(r.code, 1);
  assert.match(r.err, /^Error: "helm template" requires at least 1 argument/);
  r = await run(['a', 'b', 'c']);
  assert.equal(r.err, 'Error: expected at most two arguments, unexpected arguments: c\n');
  r = await run(['kitchen', '--bogus']);
  assert.equal(r.err, 'Error: unknown flag: --bogus\n');
  r = await run(['kitchen', '--set']);
  assert.equal(r.err, 'Error: flag needs an argument: --set\n');
  r = await run(['kitchen', '-z']);
  assert.match(r.err, /^Error: unknown shorthand flag: 'z' in -z/);
  r = await run(['Bad_Name', 'kitchen']);
  assert.match(r.err, /^Error: invalid release name/);
});

test('render errors are printed as "Error: …" with exit code 1', async () => {
  let r = await run(['nope-chart']);
  assert.deepEqual(r, { code: 1, out: '', err: 'Error: path "nope-chart" not found\n' });
  r = await run(['faulty', '--set', 'mode=required']);
  assert.equal(r.err, 'Error: execution error at (faulty/templates/modes.yaml:7:10): image.tag is required\n');
  r = await run(['kitchen', '--set', 'a,b']);
  assert.equal(r.err, 'Error: failed parsing --set data: key "a" has no value (cannot end with ,)\n');
  r = await run(['bad-syntax']);
  assert.match(r.err, /^Error: parse error at \(bad-syntax\/templates\/broken\.yaml:6\)/);
  r = await run([chart('kitchen'), '--set', 'replicaCount=0']);
  assert.match(r.err, /^Error: values don't meet the specifications of the schema\(s\) in the following chart\(s\):\nkitchen:\n- replicaCount: Must be greater than or equal to 1\n$/);
});
