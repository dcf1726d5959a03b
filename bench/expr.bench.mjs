#!/usr/bin/env node
// Expression languages benchmark (@flotilla/expr): compile-once/run-many and compile+run ops/s for
// typical Argo expressions (when conditions, {{=…}} tags, Rollouts analysis, Events filters).
import { compile, evaluateCondition, Condition, argoFunctions, argoEnv, expandEnv } from '../packages/expr/dist/index.js';

const fns = argoFunctions();
const env = {
  ...argoEnv(),
  ...expandEnv({
    'steps.flip-coin.outputs.result': 'heads',
    'inputs.parameters.foo': '3',
    'workflow.parameters.config': JSON.stringify({ employees: [{ name: 'Baris', age: 43 }, { name: 'Mo', age: 42 }] }),
  }),
  result: [0.995],
  items: Array.from({ length: 100 }, (_, i) => ({ n: BigInt(i), name: `item-${i}` })), // ints: JS numbers are float64, and % takes ints
};

const exprCases = [
  ['ternary on a step result', "steps['flip-coin'].outputs.result == 'heads' ? 'H' : 'T'"],
  ['asInt arithmetic', 'asInt(inputs.parameters.foo) * 10 + 1'],
  ['analysis successCondition', 'result[0] >= 0.99 && len(result) > 0'],
  ['filter+map over 100 items', 'items | filter(.n % 2 == 0) | map(.name) | len()'],
  ['matches (RE2)', "steps['flip-coin'].outputs.result matches '^(heads|tails)$'"],
  ['jsonpath', "jsonpath(workflow.parameters.config, '$.employees[0].age') > 40"],
  ['sprig', "sprig.upper(sprig.trim('  heads  ')) == 'HEADS'"],
];

function measure(fn, minMs = 500) {
  for (let i = 0; i < 200; i++) fn(); // warm-up
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < minMs) {
    for (let i = 0; i < 100; i++) fn();
    n += 100;
    t = performance.now();
  }
  return (n / (t - t0)) * 1000;
}

const fmt = (x) => (x >= 1e6 ? `${(x / 1e6).toFixed(2)} M` : x >= 1e3 ? `${(x / 1e3).toFixed(1)} k` : x.toFixed(0)).padStart(9);

// warm the compiler and evaluator up on every case first, so the first rows are not measured cold
for (let i = 0; i < 3000; i++) for (const [, src] of exprCases) compile(src, { functions: fns }).run(env);

console.log('expr (expr-lang) — ops/s:          run (compiled once)   compile+run');
for (const [name, src] of exprCases) {
  const p = compile(src, { functions: fns });
  p.run(env);
  const run = measure(() => p.run(env));
  const both = measure(() => compile(src, { functions: fns }).run(env));
  console.log(`  ${name.padEnd(32)} ${fmt(run)}           ${fmt(both)}`);
}

const condCases = [
  ['coinflip when', 'heads == heads'],
  ['numeric when', '7 > 5 && 3 <= 4'],
  ['regex when', "'v1.2.3' =~ '^v[0-9]+'"],
  ['events filter with params', 'a == "b" || c == 10'],
];
console.log('govaluate conditions — ops/s:      run (parsed once)     parse+run');
for (const [name, src] of condCases) {
  const params = { a: 'b', c: 10 };
  const c = new Condition(src);
  const run = measure(() => c.evaluate(params));
  const both = measure(() => new Condition(src).evaluate(params));
  const cached = measure(() => evaluateCondition(src, params));
  console.log(`  ${name.padEnd(32)} ${fmt(run)}           ${fmt(both)}   (evaluateCondition, cached: ${fmt(cached).trim()})`);
}
