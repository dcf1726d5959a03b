// The fast head scanner must agree with the full YAML parser whenever it answers, and must not
// answer for anything it cannot read exactly (the caller then uses the full parser).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scanHead } from './fasthead.js';
import { readHeadFully } from './sort.js';
import { parseYaml } from './yaml.js';

function full(doc: string): { ok: true; kind: string; hook?: string } | { ok: false } {
  try {
    const h = readHeadFully(doc, 'x');
    return { ok: true, ...h };
  } catch {
    return { ok: false };
  }
}

const accepted = [
  'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: "1"\n  b: |\n    line\n     more\n\n    # not a comment\n  c: >-\n    folded\n',
  'kind: Job\nmetadata:\n  name: j\n  annotations:\n    "helm.sh/hook": pre-install,post-install\n    helm.sh/hook-weight: "5"\n    other: plain text here\nspec:\n  template:\n    spec:\n      containers:\n      - name: a\n        args:\n        - x\n        - "y"\n        env: [{name: N, value: "v"}]\n      - name: b\n',
  '# leading comment\nkind: Service\n\nspec:\n  ports:\n    - port: 80\n      targetPort: http\n  selector: {app: x}\n',
  'kind: Deployment\nspec:\n  resources:\n            {}\n  list:\n    - - a\n      - b\n    -\n      k: v\n',
  "kind: 'Quoted'\nmetadata:\n  annotations:\n    'helm.sh/hook': 'test'\n",
  'kind: A\ndescription: a long plain scalar that\n  continues on the next line\nother: 1\n',
  'kind: A\nkey: |2-\n    leading spaces\n  x\n',
  'kind: A\nurl: http://example.com:8080/path?q=1#frag\nempty:\nlast: ~\n',
  '# only comments\n',
  'kind: A\nmetadata:\n  annotations:\n    a: |\n      block annotation\n',
];

const rejected = [
  'kind: A\nx: a: b: c\n', // mapping values are not allowed here
  'kind: A\n  bad: indent\n',
  'kind: A\nmetadata:\n  name: x\n   more: 1\n',
  'kind: A\nlist:\n- a\n - b\n',
  'kind: A\nmetadata:\n  annotations:\n    weight: 5\n', // not a string
  'kind: 1\n', // not a string
  'kind: A\nflow: [a, b\n', // unclosed flow on one line (multi-line flow: full parser)
  'kind: A\nflow: {a: b: c}\n',
  'kind: A\nanchor: &x 1\nalias: *x\n',
  'kind: A\ntagged: !!str 1\n',
  '- a\n- b\n', // a list is not a manifest
  'just a scalar\n',
  'kind: A\n\tkey: tab\n',
  '---\nkind: A\n',
  'kind: A\nmetadata: {name: x, annotations: {helm.sh/hook: test}}\n',
  'kind: A\nq: "unterminated\n  on two lines"\n',
  'kind: A\nv: @reserved\n',
  'kind: A\nv: [a,,b]\n',
];

test('fast head scanner agrees with the full parser when it answers', () => {
  for (const doc of accepted) {
    const h = scanHead(doc);
    assert.ok(h, `scanner should read: ${JSON.stringify(doc)}`);
    const f = full(doc);
    assert.ok(f.ok, `full parser should accept: ${JSON.stringify(doc)}`);
    assert.equal(h.kind, f.kind, doc);
    assert.equal(h.annotations['helm.sh/hook'], f.hook, doc);
  }
});

test('fast head scanner leaves anything doubtful to the full parser', () => {
  for (const doc of rejected) assert.equal(scanHead(doc), undefined, JSON.stringify(doc));
});

test('fast head scanner on generated block YAML: never disagrees', () => {
  // a small random generator of block YAML, rendered with plain, quoted and block scalars
  let seed = 42;
  const rnd = (n: number) => {
    // mulberry32
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) % n;
  };
  const scalars = ['x', 'a b', '"q"', "'s'", '1', 'true', '[1, 2]', '{a: 1}', 'a:b', '|\n', '#c', 'x #c', '"a\\"b"', "'it''s'", '[{a: "b"}, c]'];
  const invalid = ['- x', ': x', 'a: b', '"a" b', '[a, b', '{a: b: c}', '&a x', '@x'];
  const gen = (indent: number, depth: number): string => {
    let out = '';
    const n = 1 + rnd(3);
    const seq = rnd(3) === 0;
    for (let i = 0; i < n; i++) {
      const pad = ' '.repeat(indent + (rnd(150) === 0 ? 1 : 0));
      const head = seq ? `${pad}- ` : `${pad}k${i}:`;
      if (depth < 3 && rnd(2) === 0) {
        out += `${seq ? pad + '-' : head}\n` + gen(indent + 2, depth + 1);
      } else {
        let v = rnd(80) === 0 ? invalid[rnd(invalid.length)]! : scalars[rnd(scalars.length)]!;
        if (v === '|\n') v = `|\n${' '.repeat(indent + 2)}text\n`;
        else v += '\n';
        out += `${head}${seq ? '' : ' '}${v}`;
      }
    }
    return out;
  };
  let answered = 0;
  let validButUnread = 0;
  for (let i = 0; i < 1500; i++) {
    const doc = `kind: K${i}\n` + gen(0, 0);
    const h = scanHead(doc);
    if (!h) {
      if (full(doc).ok) validButUnread++;
      continue;
    }
    answered++;
    const f = full(doc);
    assert.ok(f.ok, `scanner accepted what the full parser rejects: ${JSON.stringify(doc)}`);
    assert.equal(h.kind, f.kind);
    // and the document really parses
    assert.doesNotThrow(() => parseYaml(doc));
  }
  assert.ok(answered > 300, `only ${answered} documents were read by the scanner`);
  assert.ok(validButUnread < answered / 10, `${validButUnread} valid documents left to the full parser`);
});
