import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GoNum } from '@flotilla/gotemplate';
import { marshalYaml, parseYaml, parseYamlMap, parseYamlStrings, compareKeys, resolvesToNonString, formatNumber } from './yaml.js';

const toYaml = (v: unknown) => marshalYaml(v).replace(/\n$/, '');

test('toYaml: block layout, 2-space indent, sequences not indented under keys', () => {
  assert.equal(
    toYaml({ b: { c: [1, 2], d: { e: 'f' } }, a: [{ x: 1, y: [] }, [1, 2], 'z'] }),
    ['a:', '- x: 1', '  "y": []', '- - 1', '  - 2', '- z', 'b:', '  c:', '  - 1', '  - 2', '  d:', '    e: f'].join('\n'),
  );
  assert.equal(toYaml({}), '{}');
  assert.equal(toYaml([]), '[]');
  assert.equal(toYaml({ a: {}, b: [], c: null }), 'a: {}\nb: []\nc: null');
  assert.equal(toYaml('plain'), 'plain');
  assert.equal(toYaml(null), 'null');
  assert.equal(marshalYaml({ a: 1 }), 'a: 1\n');
});

test('toYaml: keys in natural order (digit runs numeric, non-letters before letters)', () => {
  const keys = ['b', 'a10', 'a2', 'a_b', 'ab', 'A', '10', '9', 'x-1', 'x.1'];
  assert.deepEqual(keys.slice().sort(compareKeys), ['9', '10', 'A', 'a_b', 'a2', 'a10', 'ab', 'b', 'x-1', 'x.1']);
  assert.equal(toYaml({ item10: 1, item9: 2, item1: 3 }), 'item1: 3\nitem9: 2\nitem10: 1');
});

test('toYaml: strings are quoted only when they would read back as something else', () => {
  const cases: [string, string][] = [
    ['hello world', 'hello world'],
    ['true', '"true"'],
    ['yes', '"yes"'],
    ['Off', '"Off"'],
    ['y', '"y"'],
    ['null', '"null"'],
    ['~', '"~"'],
    ['', '""'],
    ['123', '"123"'],
    ['0777', '"0777"'],
    ['1.5', '"1.5"'],
    ['1e3', '"1e3"'],
    ['0x1F', '"0x1F"'],
    ['.inf', '".inf"'],
    ['1:20', '"1:20"'],
    ['2024-01-02', '"2024-01-02"'],
    ['1.2.3', '1.2.3'],
    ['v1', 'v1'],
    ['*star', "'*star'"],
    ['&anchor', "'&anchor'"],
    ['key: value', "'key: value'"],
    ['a #comment', "'a #comment'"],
    ['a#b', 'a#b'],
    ['- item', "'- item'"],
    ['-item', '-item'],
    [' lead', "' lead'"],
    ['trail ', "'trail '"],
    ["it's", "it's"],
    ["'quoted'", "'''quoted'''"],
    ['{x}', "'{x}'"],
    ['a:b', 'a:b'],
    ['tab\there', '"tab\\there"'],
    ['bell\u0007', '"bell\\a"'],
    ['ünïcödé', 'ünïcödé'],
    ['http://x.io/a?b=c', 'http://x.io/a?b=c'],
  ];
  for (const [s, want] of cases) assert.equal(toYaml({ k: s }), `k: ${want}`, JSON.stringify(s));
});

test('toYaml: multi-line strings are literal blocks with chomping indicators', () => {
  assert.equal(toYaml({ k: 'a\nb' }), 'k: |-\n  a\n  b');
  assert.equal(toYaml({ k: 'a\nb\n' }), 'k: |\n  a\n  b');
  assert.equal(toYaml({ k: 'a\n\n' }), 'k: |+\n  a\n');
  assert.equal(toYaml({ k: '  indented\nx' }), 'k: |2-\n    indented\n  x');
  assert.equal(toYaml({ k: 'a\n\nb', j: 1 }), 'j: 1\nk: |-\n  a\n\n  b');
  assert.equal(toYaml({ k: 'trailing space \nx' }), 'k: "trailing space \\nx"');
  assert.equal(toYaml([{ a: 'x\ny' }]), '- a: |-\n    x\n    y');
  assert.equal(toYaml('top\nlevel'), '|-\n  top\n  level');
});

test('toYaml: long scalars fold at spaces past 80 columns', () => {
  const words = Array.from({ length: 30 }, (_, i) => `word${i}`).join(' ');
  const out = toYaml({ description: words });
  const lines = out.split('\n');
  assert.ok(lines.length > 1, out);
  assert.ok(lines[0]!.length > 80 && lines[0]!.length < 90, lines[0]);
  assert.ok(lines.slice(1).every((l) => l.startsWith('  ') && !l.startsWith('   ')));
  // it reads back as the same string
  assert.equal((parseYaml(out) as { description: string }).description, words);
  // keys and unbreakable strings are not folded
  const long = 'x'.repeat(120);
  assert.equal(toYaml({ k: long }), `k: ${long}`);
});

test('toYaml: numbers print as the JSON round trip makes them', () => {
  assert.equal(formatNumber(3), '3');
  assert.equal(formatNumber(1000000), '1000000');
  assert.equal(formatNumber(1.5), '1.5');
  assert.equal(formatNumber(1e21), '1e+21');
  assert.equal(formatNumber(1e-7), '1e-07');
  assert.equal(formatNumber(1e20), '1e+20');
  assert.equal(formatNumber(-0), '0');
  assert.equal(formatNumber(1234567.5), '1.2345675e+06');
  assert.equal(toYaml({ i: new GoNum('int64', 42n), b: 7n, f: true }), 'b: 7\nf: true\ni: 42');
  assert.throws(() => marshalYaml({ x: NaN }), /unsupported value: NaN/);
});

test('toYaml of structs uses their JSON form; functions fail', () => {
  class Thing {
    constructor(readonly Name: string) {}
    toJSON() {
      return { name: this.Name };
    }
  }
  assert.equal(toYaml({ t: new Thing('nm') }), 't:\n  name: nm');
  assert.throws(() => marshalYaml({ f: () => 1 }));
  assert.equal(toYaml({ bytes: Buffer.from('hi') }), 'bytes: aGk=');
});

test('parseYaml: YAML 1.1 scalars as Helm reads them', () => {
  const v = parseYaml('a: yes\nb: off\nc: 0777\nd: 2001-12-14\ne: 1_000\nf: 0x1F\ng: ~\nh: 1:20\ni: 0o17\nj: 3\nk: "3"\nl: !!binary aGk=\nm: .5\n') as Record<string, unknown>;
  assert.deepEqual(v, { a: true, b: false, c: 511, d: '2001-12-14', e: 1000, f: 31, g: null, h: '1:20', i: 15, j: 3, k: '3', l: 'hi', m: 0.5 });
  // keys that are YAML 1.1 booleans become "true"/"false"
  assert.deepEqual(parseYaml('on: 1\nn: 2\n'), { true: 1, false: 2 });
  // merge keys, anchors
  assert.deepEqual(parseYaml('base: &b {x: 1}\nuse:\n  <<: *b\n  z: 2\n'), { base: { x: 1 }, use: { x: 1, z: 2 } });
  // first document only; empty document is null
  assert.deepEqual(parseYaml('a: 1\n---\nb: 2\n'), { a: 1 });
  assert.equal(parseYaml(''), null);
  assert.equal(parseYaml('# only a comment\n'), null);
});

test('parseYaml: errors carry the line', () => {
  assert.throws(() => parseYaml('a: 1\nb: [\n'), /^YamlError|yaml: line \d+:/);
  assert.throws(() => parseYamlMap('- 1\n- 2\n'), /cannot unmarshal array into Go value of type map/);
  assert.deepEqual(parseYamlMap(''), {});
});

test('parseYamlStrings keeps scalars as written (typed struct fields)', () => {
  assert.deepEqual(parseYamlStrings('name: off\nversion: 1.10\nappVersion: 01\n'), { name: 'off', version: '1.10', appVersion: '01' });
});

test('resolvesToNonString', () => {
  for (const s of ['', 'true', 'NO', '12', '-1.5e3', '.nan', '<<', '2020-02-02T10:00:00Z', '+12']) assert.ok(resolvesToNonString(s), s);
  for (const s of ['abc', '1.2.3', '12ab', 'v1', '-', '.', 'yes please']) assert.ok(!resolvesToNonString(s), s);
});
