import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GoNum } from '@flotilla/gotemplate';
import { parseSetValues, renderChart, HelmError } from './index.js';
import { coalesceValues, mergeMaps, toPlainJson, type ValuesChart } from './values.js';
import { chart, removeDir, tempDir } from './testutil.js';
import { parseYaml } from './yaml.js';

const i64 = (n: number | bigint) => new GoNum('int64', BigInt(n));

function set(exprs: string | string[], kind: 'auto' | 'string' | 'json' | 'file' = 'auto', start: Record<string, unknown> = {}): Record<string, unknown> {
  for (const e of Array.isArray(exprs) ? exprs : [exprs]) parseSetValues(start, e, kind);
  return start;
}

test('--set: keys, nesting, lists, escapes', () => {
  assert.deepEqual(set('name=value'), { name: 'value' });
  assert.deepEqual(set('a=b,c=d'), { a: 'b', c: 'd' });
  assert.deepEqual(set('outer.inner=value'), { outer: { inner: 'value' } });
  assert.deepEqual(set('name={a,b,c}'), { name: ['a', 'b', 'c'] });
  assert.deepEqual(set('name={}'), { name: [] });
  assert.deepEqual(set('servers[0].port=80'), { servers: [{ port: i64(80) }] });
  assert.deepEqual(set('servers[0].port=80,servers[0].host=example,servers[1].port=81'), { servers: [{ port: i64(80), host: 'example' }, { port: i64(81) }] });
  assert.deepEqual(set('a[2]=x'), { a: [null, null, 'x'] });
  assert.deepEqual(set('a[0][1]=x'), { a: [[null, 'x']] });
  assert.deepEqual(set('name=value1\\,value2'), { name: 'value1,value2' });
  assert.deepEqual(set('nodeSelector.kubernetes\\.io/role=master'), { nodeSelector: { 'kubernetes.io/role': 'master' } });
  assert.deepEqual(set('a=b=c'), { a: 'b=c' });
  assert.deepEqual(set('a='), { a: '' });
  assert.deepEqual(set('list={x,y},after=1'), { list: ['x', 'y'], after: i64(1) });
  // merges into existing maps; replaces non-maps
  assert.deepEqual(set('a.c=2', 'auto', { a: { b: 1 } }), { a: { b: 1, c: i64(2) } });
  assert.deepEqual(set('a.b=1', 'auto', { a: 'str' }), { a: { b: i64(1) } });
});

test('--set: typed values', () => {
  assert.deepEqual(set('a=true,b=FALSE,c=null,d=0,e=123,f=-7,g=0123,h=1.5,i=12abc,j=99999999999999999999'), {
    a: true,
    b: false,
    c: null,
    d: i64(0),
    e: i64(123),
    f: i64(-7),
    g: '0123',
    h: '1.5',
    i: '12abc',
    j: '99999999999999999999',
  });
  assert.deepEqual(set('a=true,b=123,c={1,x}', 'string'), { a: 'true', b: '123', c: ['1', 'x'] });
});

test('--set-json and --set-file', () => {
  assert.deepEqual(set('a={"x":[1,"y"]},b=2,c="s,t"', 'json'), { a: { x: [1, 'y'] }, b: 2, c: 's,t' });
  assert.deepEqual(set('{"top":{"k":true}}', 'json'), { top: { k: true } });
  const dir = tempDir();
  try {
    const f = join(dir, 'cert.pem');
    writeFileSync(f, 'line1\nline2\n');
    assert.deepEqual(set(`tls.cert=${f}`, 'file'), { tls: { cert: 'line1\nline2\n' } });
    assert.throws(() => set(`x=${join(dir, 'missing')}`, 'file'), /failed parsing --set-file data: reading file/);
  } finally {
    removeDir(dir);
  }
});

test('--set: syntax errors are reported like Helm', () => {
  const bad: [string, RegExp][] = [
    ['a', /^failed parsing --set data: key "a" has no value$/],
    ['a=b,c', /^failed parsing --set data: key "c" has no value$/],
    ['a,b=c', /key "a" has no value \(cannot end with ,\)/],
    ['a[x]=1', /failed to parse index/],
    ['a[-1]=1', /negative -1 index not allowed/],
    ['a[70000]=1', /greater than maximum supported index value of 65536/],
    ['a[0', /missing '\]'/],
    ['a[0]x', /unexpected/],
    ['a={x,y', /list must terminate with '}'/],
    ['=x', /key "" has no value/],
  ];
  for (const [expr, re] of bad) {
    assert.throws(
      () => set(expr),
      (e: unknown) => e instanceof HelmError && re.test(e.message),
      expr,
    );
  }
  assert.throws(() => set('a={not json}', 'json'), /failed parsing --set-json data: invalid JSON value/);
});

test('mergeMaps: later values win, maps merge key by key', () => {
  assert.deepEqual(mergeMaps({ a: { b: 1, c: 2 }, l: [1, 2] }, { a: { c: 3, d: 4 }, l: [9] }), { a: { b: 1, c: 3, d: 4 }, l: [9] });
  assert.deepEqual(mergeMaps({ a: { b: 1 } }, { a: null }), { a: null });
});

test('coalesceValues: defaults under user values, null deletes, globals flow down', () => {
  const sub: ValuesChart = { name: 'sub', values: { x: 1, y: 2, global: { g: 'sub', only: 'sub' } }, dependencies: [] };
  const parent: ValuesChart = { name: 'p', values: { a: 1, drop: 'me', m: { k: 1, j: 2 }, sub: { y: 20 }, global: { g: 'parent' } }, dependencies: [sub] };
  const v = coalesceValues(parent, { drop: null, m: { j: null, n: 3 }, sub: { x: 10 } });
  assert.deepEqual(v, {
    a: 1,
    m: { k: 1, n: 3 },
    sub: { x: 10, y: 20, global: { g: 'parent', only: 'sub' } },
    global: { g: 'parent' },
  });
  // a user map does not replace a non-map default and vice versa (the user value wins)
  assert.deepEqual(coalesceValues({ name: 'c', values: { a: { b: 1 }, s: 'x' }, dependencies: [] }, { a: 'flat', s: { t: 1 } }), { a: 'flat', s: { t: 1 } });
  assert.deepEqual(toPlainJson({ n: i64(5), l: [i64(1)] }), { n: 5, l: [1] });
});

test('value precedence: chart < valueFiles (in order) < values < --set-json < --set < --set-string < --set-file', async () => {
  const dir = tempDir();
  try {
    writeFileSync(join(dir, 'one.yaml'), 'b: file1\nc: file1\nd: file1\ne: file1\nf: file1\nnested:\n  drop: null\n  added: file1\nremoved: null\n');
    writeFileSync(join(dir, 'two.yaml'), 'c: file2\nd: file2\ne: file2\nf: file2\n');
    writeFileSync(join(dir, 'content.txt'), 'from a file');
    const r = await renderChart({
      chartDir: chart('precedence'),
      valueFiles: ['one.yaml', join(dir, 'two.yaml')],
      cwd: dir,
      values: { d: 'values', e: 'values', f: 'values', flt: 1.5 },
      setJson: ['e={"json":true}'],
      set: ['f=set,int=42,nested.list[1]=x'],
      setString: ['str=42'],
      setFile: ['fromFile=content.txt'],
    });
    const cm = parseYaml(r.manifests[0]!.content) as { data: Record<string, string> };
    assert.deepEqual(parseYaml(cm.data['values.yaml']!), {
      a: 'chart',
      b: 'file1',
      c: 'file2',
      d: 'values',
      e: { json: true },
      f: 'set',
      flt: 1.5,
      fromFile: 'from a file',
      int: 42,
      nested: { keep: 'chart', added: 'file1', list: [null, 'x'] },
      str: '42',
    });
    assert.equal(cm.data['types'], 'int64|string|float64|string');
    assert.deepEqual(r.values['nested'], { keep: 'chart', added: 'file1', list: [null, 'x'] });
  } finally {
    removeDir(dir);
  }
});

test('values files: missing file, bad YAML, URL-less globs', async () => {
  await assert.rejects(renderChart({ chartDir: chart('precedence'), valueFiles: ['nope.yaml'] }), /open nope.yaml: no such file or directory/);
  const dir = tempDir();
  try {
    writeFileSync(join(dir, 'bad.yaml'), 'a: [\n');
    await assert.rejects(renderChart({ chartDir: chart('precedence'), valueFiles: [join(dir, 'bad.yaml')] }), /failed to parse .*bad.yaml: error converting YAML to JSON: yaml: line \d+/);
    writeFileSync(join(dir, 'list.yaml'), '- 1\n');
    await assert.rejects(renderChart({ chartDir: chart('precedence'), valueFiles: [join(dir, 'list.yaml')] }), /cannot unmarshal array/);
  } finally {
    removeDir(dir);
  }
});
