// Every `when:`, `expression:` and `{{=…}}` of upstream's Argo Workflows examples must parse (and evaluate
// where the environment is obvious); Rollouts analysis conditions and Argo Events expr filters too.
// Upstream files are read at test time from ../shared/upstream (skipped with a printed reason when absent).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { GoTime } from '@flotilla/gotemplate';
import { argoEnv, argoFunctions, compile, findExpressionTags, evaluate, evaluateCondition, evaluateWhen, ExprError, expandEnv, parseCondition, templateString } from './index.js';

const UPSTREAM = fileURLToPath(new URL('../../../../shared/upstream/', import.meta.url));
const WF = join(UPSTREAM, 'argo-workflows-examples');

function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...yamlFiles(p));
    else if (/\.ya?ml$/.test(e.name)) out.push(p);
  }
  return out.sort();
}

function docs(file: string): unknown[] {
  return parseAllDocuments(readFileSync(file, 'utf8'), { logLevel: 'error' }).map((d) => d.toJS() as unknown);
}

const expressionTags = (s: string): string[] => findExpressionTags(s).map((t) => t.body);

interface Found {
  kind: 'when' | 'expression' | 'tag';
  text: string;
  /** inputs.parameters of the enclosing template (literal values only) */
  inputs: Record<string, string>;
}

function collect(node: unknown, inputs: Record<string, string>, out: Found[]): void {
  if (Array.isArray(node)) {
    for (const x of node) collect(x, inputs, out);
    return;
  }
  if (node === null || typeof node !== 'object') {
    if (typeof node === 'string' && node.includes('{{=')) for (const t of expressionTags(node)) out.push({ kind: 'tag', text: t, inputs });
    return;
  }
  const o = node as Record<string, unknown>;
  let scope = inputs;
  const params = (o['inputs'] as { parameters?: { name: string; value?: unknown }[] } | undefined)?.parameters;
  if (Array.isArray(params) && typeof o['name'] === 'string') {
    scope = {};
    for (const p of params) if (typeof p.value === 'string' && !p.value.includes('{{')) scope[p.name] = p.value;
  }
  for (const [k, v] of Object.entries(o)) {
    if (k === 'when' && typeof v === 'string') {
      out.push({ kind: 'when', text: v, inputs: scope });
      continue;
    }
    if (k === 'expression' && typeof v === 'string' && !v.includes('{{')) {
      out.push({ kind: 'expression', text: v, inputs: scope });
      continue;
    }
    collect(v, scope, out);
  }
}

function workflowParams(doc: unknown): Record<string, string> {
  const ps = (doc as { spec?: { arguments?: { parameters?: { name: string; value?: unknown }[] }; workflowSpec?: { arguments?: { parameters?: { name: string; value?: unknown }[] } } } })?.spec;
  const list = ps?.arguments?.parameters ?? ps?.workflowSpec?.arguments?.parameters ?? [];
  const out: Record<string, string> = {};
  for (const p of list) if (typeof p.value === 'string') out[p.name] = p.value;
  return out;
}

const fns = argoFunctions();
const NOT_EVALUABLE = /unknown name|cannot fetch|from nil|is not a function|matched nothing/;

describe('upstream Argo Workflows examples', { skip: existsSync(WF) ? false : `upstream examples absent at ${WF}` }, () => {
  if (!existsSync(WF)) {
    console.log(`# skipped: ${WF} is absent`);
    return;
  }
  const files = readdirSync(WF).filter((f) => f.endsWith('.yaml')).sort();
  const summary = { files: 0, when: 0, govaluate: 0, expr: 0, evaluated: 0 };
  const results = new Map<string, unknown>();

  for (const f of files) {
    let parsed: unknown[];
    try {
      parsed = docs(join(WF, f));
    } catch {
      continue; // not YAML we can read: not this package's concern
    }
    const found: (Found & { wf: Record<string, string> })[] = [];
    for (const d of parsed) {
      const out: Found[] = [];
      collect(d, {}, out);
      for (const x of out) found.push({ ...x, wf: workflowParams(d) });
    }
    if (found.length === 0) continue;
    summary.files++;
    describe(f, () => {
      for (const x of found) {
        test(`${x.kind}: ${x.text.replace(/\s+/g, ' ').trim()}`, () => {
          const env = expandEnv({
            ...Object.fromEntries(Object.entries(x.wf).map(([k, v]) => [`workflow.parameters.${k}`, v])),
            ...Object.fromEntries(Object.entries(x.inputs).map(([k, v]) => [`inputs.parameters.${k}`, v])),
            'workflow.creationTimestamp': '2024-05-01T10:00:00Z',
          });
          const runExpr = (src: string): void => {
            summary.expr++;
            const p = compile(src, { functions: fns });
            try {
              const v = p.run({ ...argoEnv(), ...env });
              summary.evaluated++;
              results.set(`${f}:${src.replace(/\s+/g, ' ').trim()}`, v);
            } catch (e) {
              assert.ok(e instanceof ExprError, String(e));
              assert.match(e.message, NOT_EVALUABLE, `${src}: ${e.message}`);
            }
          };
          if (x.kind === 'when') {
            summary.when++;
            const tags = expressionTags(x.text);
            if (tags.length > 0) {
              for (const t of tags) runExpr(t);
              return;
            }
            // govaluate form: {{…}} is substituted first; Argo reads the bare words as strings
            summary.govaluate++;
            parseCondition(x.text.replace(/\{\{[^}]*\}\}/g, 'x'));
            assert.equal(typeof evaluateWhen(x.text.replace(/\{\{[^}]*\}\}/g, 'Succeeded')), 'boolean');
            return;
          }
          runExpr(x.text);
        });
      }
    });
  }

  describe('values of the examples', () => {
    const get = (file: string, src: string): unknown => {
      const k = `${file}:${src}`;
      if (!results.has(k)) assert.fail(`not evaluated: ${k} (have ${[...results.keys()].filter((x) => x.startsWith(file)).join(' | ')})`);
      return results.get(k);
    };
    test('expression-destructure-json-complex', { skip: !files.includes('expression-destructure-json-complex.yaml') }, () => {
      const f = 'expression-destructure-json-complex.yaml';
      assert.deepEqual(get(f, `jsonpath(workflow.parameters.config, '$.employees[?(@.name=="Baris")].age')`), [43]);
      assert.deepEqual(get(f, "jsonpath(workflow.parameters.config, '$.employees[?(@.age>42 && @.age<44)].age')"), [43]);
      assert.deepEqual(get(f, "jsonpath(workflow.parameters.config, '$.employees[0:1]')"), [{ name: 'Baris', age: 43 }]);
      assert.deepEqual(get(f, "jsonpath(workflow.parameters.config, '$.employees[*].name')"), ['Baris', 'Mo', 'Jai']);
    });
    test('expression-reusing-verbose-snippets: sprig.add / sprig.min over decoded JSON', { skip: !files.includes('expression-reusing-verbose-snippets.yaml') }, () => {
      const k = [...results.keys()].find((x) => x.startsWith('expression-reusing-verbose-snippets.yaml:map('));
      assert.ok(k, 'the map(…) tag was evaluated');
      assert.equal(results.get(k), '{"avg":35.8,"max":57,"min":15}');
    });
    test('expression-tag-template-workflow: withParam', { skip: !files.includes('expression-tag-template-workflow.yaml') }, () => {
      assert.equal(templateString(get('expression-tag-template-workflow.yaml', 'toJson(filter([1, 3], {# > 1}))')), '[3]');
    });
    test('conditionals: both expr forms are true when should-print is "true"', { skip: !files.includes('conditionals.yaml') }, () => {
      // should-print comes from the caller's arguments ("true"); workflow.parameters.json is all parameters as JSON
      const env = { ...argoEnv(), inputs: { parameters: { 'should-print': 'true' } }, workflow: { parameters: { json: '[{"name":"should-print","value":"true"}]' } } };
      assert.equal(compile(` inputs.parameters["should-print"] == 'true'`, { functions: fns }).run(env), true);
      assert.equal(compile("jsonpath(workflow.parameters.json, '$[0].value') == 'true'", { functions: fns }).run(env), true);
      assert.equal(evaluateWhen('true == true'), true);
    });
  });

  test('coinflip-style when after substitution', () => {
    assert.equal(evaluateWhen('heads == heads'), true);
    assert.equal(evaluateWhen('tails == heads'), false);
    assert.equal(evaluateWhen('true == true'), true);
    assert.equal(evaluateWhen('Failed != Succeeded'), true);
  });

  test('cron-when: lastScheduledTime nil, long ago, just now', { skip: !files.includes('cron-when.yaml') }, () => {
    const src = ' cronworkflow.lastScheduledTime == nil || (now() - cronworkflow.lastScheduledTime).Seconds() > 360 ';
    assert.equal(evaluate(src, { cronworkflow: { lastScheduledTime: null } }), true);
    assert.equal(evaluate(src, { cronworkflow: { lastScheduledTime: new GoTime(0, 0) } }), true);
    assert.equal(evaluate(src, { cronworkflow: { lastScheduledTime: GoTime.now() } }), false);
  });

  test('life-cycle hooks and data transformations', () => {
    assert.equal(evaluate('steps["step-1"].status == "Running"', { steps: { 'step-1': { status: 'Running' } } }), true);
    assert.equal(evaluate('steps.step2.status == "Succeeded"', { steps: { step2: { status: 'Running' } } }), false);
    assert.deepEqual(evaluate('filter(data, {# endsWith "main.log"})', { data: ['a/main.log', 'b/other.txt'] }), ['a/main.log']);
  });

  test('summary', () => {
    console.log(`upstream workflows: ${summary.files} files, ${summary.when} when (${summary.govaluate} govaluate), ${summary.expr} expr parsed, ${summary.evaluated} evaluated`);
    assert.ok(summary.expr > 10 && summary.govaluate > 10);
  });
});

const ROLLOUT_DIRS = ['argo-rollouts', 'rollouts-demo-examples'].map((d) => join(UPSTREAM, d)).filter(existsSync);

describe('upstream Argo Rollouts analysis conditions', { skip: ROLLOUT_DIRS.length ? false : `no Rollouts examples under ${UPSTREAM}` }, () => {
  const conds: { file: string; text: string }[] = [];
  for (const dir of ROLLOUT_DIRS)
    for (const file of yamlFiles(dir)) {
      let ds: unknown[];
      try {
        ds = docs(file);
      } catch {
        continue;
      }
      const walk = (n: unknown): void => {
        if (Array.isArray(n)) n.forEach(walk);
        else if (n && typeof n === 'object')
          for (const [k, v] of Object.entries(n)) {
            if (/^(success|failure|inconclusive)Condition$/.test(k) && typeof v === 'string') conds.push({ file, text: v });
            else walk(v);
          }
      };
      ds.forEach(walk);
    }
  test('found some', () => assert.ok(conds.length > 0));
  for (const c of conds)
    test(`${c.file.slice(UPSTREAM.length)}: ${c.text}`, () => {
      const p = compile(c.text, { functions: fns });
      // a metric result is a float, a vector of floats, or a string (web metric)
      const outcomes = [[0.995], 0.995, 'It worked!'].map((result) => {
        try {
          return p.run({ result });
        } catch {
          return undefined;
        }
      });
      assert.ok(outcomes.some((o) => typeof o === 'boolean'), `no result shape gives a bool: ${c.text}`);
    });
});

const EVENTS = join(UPSTREAM, 'argo-events-examples');

describe('upstream Argo Events expr filters', { skip: existsSync(EVENTS) ? false : `upstream Events examples absent at ${EVENTS}` }, () => {
  if (!existsSync(EVENTS)) return;
  for (const file of yamlFiles(EVENTS)) {
    const text = readFileSync(file, 'utf8');
    if (!/exprs:/.test(text)) continue;
    // the event payload the example is written for is in its leading comment
    const head = text.split('\n').filter((l) => l.startsWith('#')).map((l) => l.replace(/^#\s?/, '')).join('\n');
    const m = /Event Payload[\s\S]*?(\{[\s\S]*\})/.exec(head);
    let payload: unknown;
    try {
      payload = m ? JSON.parse(m[1]!) : undefined;
    } catch {
      payload = undefined;
    }
    const expected = new Map<string, boolean>();
    for (const mm of text.matchAll(/- expr: (.*?)\s+#\s*(true|false)\b/gi)) expected.set(mm[1]!.trim(), mm[2]!.toLowerCase() === 'true');
    let ds: unknown[];
    try {
      ds = docs(file);
    } catch {
      continue;
    }
    const filters: { expr: string; fields?: { name: string; path: string }[] }[] = [];
    const walk = (n: unknown): void => {
      if (Array.isArray(n)) n.forEach(walk);
      else if (n && typeof n === 'object')
        for (const [k, v] of Object.entries(n)) {
          if (k === 'exprs' && Array.isArray(v)) filters.push(...(v as typeof filters));
          else walk(v);
        }
    };
    ds.forEach(walk);
    for (const f of filters)
      test(`${file.slice(UPSTREAM.length)}: ${f.expr}`, () => {
        parseCondition(f.expr);
        compile(f.expr);
        if (payload === undefined || !f.fields) return;
        const params: Record<string, unknown> = {};
        for (const fld of f.fields) {
          let v: unknown = payload;
          for (const part of fld.path.split('.')) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined;
          params[fld.name] = v;
        }
        const g = evaluateCondition(f.expr, params, { unknownVariables: 'error' });
        const e = evaluate(f.expr, params);
        assert.equal(g, e, 'govaluate and expr agree');
        assert.equal(typeof g, 'boolean');
        // (the trailing "# true"/"# FALSE" comments are not asserted: one of them contradicts its own payload)
        void expected;
      });
  }
});
