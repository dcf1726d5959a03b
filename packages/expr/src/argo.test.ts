import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { argoEnv, argoFunctions, compile, evaluateArgo, expandEnv, ExprError, templateString } from './index.js';

const config = JSON.stringify({ employees: [{ name: 'Baris', age: 43 }, { name: 'Mo', age: 42 }, { name: 'Jai', age: 44 }] });
const env = expandEnv({
  'workflow.parameters.config': config,
  'workflow.parameters': '{"config": "…"}',
  'inputs.parameters.foo': '3',
  'inputs.parameters.week-temps': '{"avg": 20.5, "min": 1, "max": 30}',
  'inputs.parameters.my-float-param': '2.5',
  'workflow.parameters.json': '[{"name": "should-print", "value": "true"}]',
  'steps.flip-coin.outputs.result': 'heads',
  'lastRetry.exitCode': '2',
});

type Row = [src: string, expected: unknown];
const rows: Row[] = [
  ['asInt(inputs.parameters.foo) * 10', 30n],
  ['asInt("-7")', -7n],
  ['asInt(3.9)', 3n],
  ["asFloat(inputs.parameters['my-float-param']) * 2", 5],
  ['asFloat("1e3")', 1000],
  ['asInt(lastRetry.exitCode) >= 2', true],
  ["lastRetry.exitCode != '2'", false],
  ['string(1)', '1'],
  ['toJson([1, 2])', '[1,2]'],
  ['toJson(filter([1, 3], {# > 1}))', '[3]'],
  ['toJson({b: "<", a: 1.5})', '{"a":1.5,"b":"\\u003c"}'],
  ["jsonpath(inputs.parameters['week-temps'], '$.avg')", 20.5],
  ["jsonpath(workflow.parameters.config, '$.employees[*].name')", ['Baris', 'Mo', 'Jai']],
  ["jsonpath(workflow.parameters.config, '$.employees[?(@.name==\"Baris\")].age')", [43]],
  ["jsonpath(workflow.parameters.config, '$.employees[?(@.age>42 && @.age<44)].age')", [43]],
  ["jsonpath(workflow.parameters.config, '$.employees[0:1]')", [{ name: 'Baris', age: 43 }]],
  ["jsonpath(workflow.parameters.config, '$.employees[1].name')", 'Mo'],
  ["jsonpath(workflow.parameters.json, '$[0].value') == 'true'", true],
  ["steps['flip-coin'].outputs.result == 'heads' ? 'H' : 'T'", 'H'],
  ["sprig.trim('  x  ')", 'x'],
  ["sprig.upper('abc')", 'ABC'],
  ["sprig.replace('a', 'b', 'banana')", 'bbnbnb'],
  ['sprig.add(1, 2, 3)', 6n],
  ['sprig.add(1.5, 2)', 3n],
  ['sprig.max(3, 9, 4)', 9n],
  ["sprig.b64dec('aGk=')", 'hi'],
  ["sprig.splitList(',', 'a,b')", ['a', 'b']],
  ["sprig.default('d', '')", 'd'],
  ["sprig.toJson({a: [1]})", '{"a":[1]}'],
  ["sprig.date('2006', sprig.toDate('2006-01-02', '2024-03-05'))", '2024'],
];

describe('Argo functions', () => {
  for (const [src, want] of rows) test(src, () => assert.deepStrictEqual(evaluateArgo(src, env), want));
});

describe('Argo errors', () => {
  const bad: [string, RegExp][] = [
    ["asInt('abc')", /^asInt: cannot convert "abc" to int \(1:1\)$/],
    ["asFloat('x')", /^asFloat: strconv.ParseFloat: parsing "x": invalid syntax \(1:1\)$/],
    ["jsonpath('{', '$.a')", /^jsonpath: the document is not valid JSON: .* \(1:1\)$/],
    ["jsonpath('{}', '$.a')", /^jsonpath: "\$\.a" matched nothing \(1:1\)$/],
    ['sprig.upper(5)', /^sprig\.upper: argument 1 must be string, got int 5 \(1:7\)$/],
    ["sprig.nope('x')", /^unknown function nope in map \(1:7\)$/],
    ['sprig.trim()', /^sprig\.trim: want 1 arguments, got 0 \(1:7\)$/],
  ];
  for (const [src, re] of bad) test(src, () => assert.throws(() => evaluateArgo(src, env), (e: unknown) => e instanceof ExprError && re.test(e.message)));
});

describe('helpers', () => {
  test('expandEnv nests dotted keys; a nested map wins over a scalar at the same key', () => {
    assert.deepEqual(expandEnv({ 'a.b': '1', 'a.c.d': '2', a: 'x', 'w.p': 'json', 'w.p.x': 'y' }), { a: { b: '1', c: { d: '2' } }, w: { p: { x: 'y' } } });
  });
  test('templateString: strings verbatim, everything else as JSON', () => {
    assert.equal(templateString('abc'), 'abc');
    assert.equal(templateString(30n), '30');
    assert.equal(templateString(2.5), '2.5');
    assert.equal(templateString([1n, 'a']), '[1,"a"]');
    assert.equal(templateString(true), 'true');
  });
  test('argoFunctions + argoEnv work with compile()', () => {
    const p = compile("asInt(x) + 1 == 3 && sprig.lower('A') == 'a'", { functions: argoFunctions() });
    assert.equal(p.run({ ...argoEnv(), x: '2' }), true);
  });
  test('sprig clock can be frozen through argoEnv options', async () => {
    const { GoTime } = await import('@flotilla/gotemplate');
    const e = argoEnv({ now: () => new GoTime(0, 0) });
    assert.equal(compile("sprig.now().Year()").run(e), 1970n);
  });
});

describe("Sprig's functions by their bare names (upstream's expr_lang tests: title, trunc)", () => {
  test('where expr has no function of the name; expr builtins and sprig.* as they were; no env/expandenv', () => {
    assert.equal(evaluateArgo('title("hello world")'), 'Hello World');
    assert.equal(evaluateArgo('trunc(10, "this is a long string")'), 'this is a ');
    assert.equal(evaluateArgo('base64("hello world")'), 'aGVsbG8gd29ybGQ=');
    assert.equal(evaluateArgo('trim("__hello__", "_")'), 'hello', "expr's trim (cutset), not Sprig's");
    assert.equal(evaluateArgo('upper("a")'), 'A');
    assert.equal(evaluateArgo('sprig.upper("a")'), 'A');
    assert.equal(evaluateArgo('get({"key": "value"}, "key")'), 'value', "expr's get");
    assert.throws(() => evaluateArgo('env("HOME")'), /env/);
  });
});

describe('{{=…}} tags', () => {
  test('renderExpressionTags substitutes every tag, braces inside expressions included', async () => {
    const { renderExpressionTags } = await import('./index.js');
    const e = expandEnv({ 'inputs.parameters.foo': '3', 'workflow.creationTimestamp': '2024-05-01T00:00:00Z' });
    assert.equal(renderExpressionTags('hello {{=asInt(inputs.parameters.foo) * 10}} and {{=toJson(filter([1, 3], {# > 1}))}}!', e), 'hello 30 and [3]!');
    assert.equal(renderExpressionTags('{{=inputs.parameters.foo}}', e), '3');
    assert.equal(renderExpressionTags('no tags', e), 'no tags');
  });
  test('allowUnresolved keeps tags that name what is not there yet', async () => {
    const { renderExpressionTags } = await import('./index.js');
    assert.equal(renderExpressionTags('a {{=steps.x.outputs.result}} b {{=1 + 1}}', {}, { allowUnresolved: true }), 'a {{=steps.x.outputs.result}} b 2');
    assert.throws(() => renderExpressionTags('a {{=steps.x}}', {}), /unknown name steps \(1:1\)/);
    assert.throws(() => renderExpressionTags('a {{=1 +}}', {}, { allowUnresolved: true }), /unexpected end of expression/);
  });
  test('an unterminated tag is an error at its position', async () => {
    const { findExpressionTags } = await import('./index.js');
    assert.throws(() => findExpressionTags('x {{=1 + 1'), /unterminated expression tag: .* \(1:3\)/);
  });
});
