import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Condition, evaluateCondition, evaluateWhen, ExprError } from './index.js';

type Row = [src: string, params: Record<string, unknown> | undefined, expected: unknown];

const rows: Row[] = [
  // Argo's `when` after {{…}} substitution: bare words are strings
  ['heads == heads', undefined, true],
  ['tails == heads', undefined, false],
  ['Succeeded != Succeeded', undefined, false],
  ['Failed == Failed', undefined, true],
  ['even == even', undefined, true],
  ['true == true', undefined, true],
  ['false == true', undefined, false],
  ['v1.2.3 == v1.2.3', undefined, true],
  ['1.2.3 == 1.2.3', undefined, true],
  // numbers are float64 and compare numerically
  ['7 > 5', undefined, true],
  ['10 > 9', undefined, true],
  ['3 == 3.0', undefined, true],
  ['0.5 <= .5', undefined, true],
  ['1 + 2 * 3', undefined, 7],
  ['(1 + 2) * 3', undefined, 9],
  ['7 / 2', undefined, 3.5],
  ['7 % 4', undefined, 3],
  ['2 ** 3', undefined, 8],
  ['-3 + 1', undefined, -2],
  ['0x10', undefined, 16],
  ['6 & 3', undefined, 2],
  ['4 | 1', undefined, 5],
  ['6 ^ 3', undefined, 5],
  ['1 << 4', undefined, 16],
  ['16 >> 2', undefined, 4],
  ['~0', undefined, -1],
  // strings
  ["'abc' == \"abc\"", undefined, true],
  ["'abc' < 'abd'", undefined, true],
  ["'a' + 'b'", undefined, 'ab'],
  ["'a' + 1", undefined, 'a1'],
  ["'10' == 10", undefined, false],
  ["'it\\'s' == \"it's\"", undefined, true],
  // dates in string literals compare as instants
  ["'2014-01-02' > '2014-01-01 23:59:59'", undefined, true],
  ["'2024-05-01T10:00:00Z' < '2024-05-01T11:00:00+00:00'", undefined, true],
  // regex
  ["'foobar' =~ '^foo'", undefined, true],
  ["'foobar' !~ '^bar'", undefined, true],
  ["'ABC' =~ '(?i)abc'", undefined, true],
  // logic
  ['true && false', undefined, false],
  ['true || false', undefined, true],
  ['!(1 > 2)', undefined, true],
  ['!false && 1 < 2', undefined, true],
  ['1 > 2 || 2 > 1 && true', undefined, true],
  // in, ternary, coalescing
  ["'x' in ('a', 'x')", undefined, true],
  ["3 in (1, 2)", undefined, false],
  ["heads in (heads, tails)", undefined, true],
  ["1 > 2 ? 'y' : 'n'", undefined, 'n'],
  ["1 < 2 ? 'y'", undefined, 'y'],
  ["1 > 2 ? 'y'", undefined, null],
  ['x ? y : 5', { x: true, y: null }, 5],
  ['x ?? 5', { x: null }, 5],
  ['x ?? 5', { x: 3 }, 3],
  // parameters (Argo Events filters, govaluate proper)
  ['a == "b" || c == 10', { a: 'b', c: 10 }, true],
  ['a == "b" || c != 10', { a: 'x', c: 10 }, false],
  ['[response-time] < 100', { 'response-time': 50 }, true],
  ['foo.bar.baz == 3', { foo: { bar: { baz: 3 } } }, true],
  ['n * 2', { n: 4n }, 8],
  ['x == nil', { x: null }, false],
];

describe('govaluate conditions', () => {
  for (const [src, params, want] of rows) test(`${src}${params ? ' with ' + JSON.stringify(params, (_k, v) => (typeof v === 'bigint' ? Number(v) : v)) : ''} → ${JSON.stringify(want)}`, () => assert.deepStrictEqual(evaluateCondition(src, params), want));
});

const errs: [string, Record<string, unknown> | undefined, string][] = [
  ['abc > 5', undefined, "Value 'abc' cannot be used with the comparator '>', it is not a number (1:5)"],
  ['5 < abc', undefined, "Value 'abc' cannot be used with the comparator '<', it is not a number (1:3)"],
  ["'a' - 1", undefined, "Value 'a' cannot be used with the modifier '-', it is not a number (1:5)"],
  ["'a' && true", undefined, "Value 'a' cannot be used with the logical operator '&&', it is not a bool (1:5)"],
  ['!5', undefined, "Value '5' cannot be used with the prefix '!', it is not a bool (1:1)"],
  ["1 =~ 'a'", undefined, "Value '1' cannot be used with the comparator '=~', it is not a string (1:3)"],
  ["'a' =~ '(?=x)'", undefined, 'error parsing regexp "(?=x)": lookahead and lookbehind assertions are not supported by RE2 (1:5)'],
  ["1 in 2", undefined, "Value '2' cannot be used with the comparator 'in', it is not an array (1:3)"],
  ['1 ==', undefined, 'Unexpected end of expression (1:5)'],
  ['(1 + 2', undefined, 'Unbalanced parenthesis (1:1)'],
  ['1 + 2)', undefined, 'Unexpected token ")" (1:6)'],
  ["'abc", undefined, 'Unclosed string literal (1:1)'],
  ['a # b', undefined, 'Invalid token: "#" (1:3)'],
  ['', undefined, 'Empty expression (1:1)'],
  ['f(1)', undefined, 'Undefined function f (1:1)'],
];

describe('govaluate errors carry positions', () => {
  for (const [src, params, msg] of errs)
    test(`${src} ⇒ ${msg}`, () =>
      assert.throws(
        () => evaluateCondition(src, params),
        (e: unknown) => e instanceof ExprError && e.message === msg,
      ));
});

describe('options and helpers', () => {
  test("unknownVariables: 'error' is govaluate's own behaviour", () => {
    assert.throws(() => new Condition('foo == 1', { unknownVariables: 'error' }).evaluate({}), /No parameter 'foo' found\. \(1:1\)/);
    assert.equal(new Condition('foo == 1', { unknownVariables: 'error' }).evaluate({ foo: 1 }), true);
  });
  test('functions', () => {
    assert.equal(new Condition('strlen(x) > 2', { functions: { strlen: (s) => String(s).length } }).evaluate({ x: 'abc' }), true);
    assert.throws(() => new Condition('1 > 0 || nope(x)'), /^ExprError: Undefined function nope \(1:10\)$|Undefined function nope \(1:10\)/);
  });
  test('a parsed condition is reusable', () => {
    const c = new Condition('status == "Succeeded" && retries < 3');
    assert.equal(c.evaluate({ status: 'Succeeded', retries: 1 }), true);
    assert.equal(c.evaluate({ status: 'Failed', retries: 1 }), false);
  });
  test('evaluateWhen needs a bool', () => {
    assert.equal(evaluateWhen('heads == heads'), true);
    assert.throws(() => evaluateWhen('1 + 1'), /Expected boolean evaluation for '1 \+ 1'\. Got 2/);
    assert.throws(() => evaluateWhen('a#b == c'), /^ExprError: Invalid 'when' expression 'a#b == c': Invalid token: "#" \(1:2\) \(hint: try wrapping the affected expression in quotes \("\)\)$|Invalid 'when' expression 'a#b == c': Invalid token: "#" \(1:2\) \(hint/);
  });
});

describe('hostile conditions fail cleanly', () => {
  for (const [name, src] of [
    ['20,000 nested parentheses', '('.repeat(20000) + '1' + ')'.repeat(20000)],
    ['100,000 negations', '!'.repeat(100000) + 'true'],
  ] as const)
    test(name, () => assert.throws(() => evaluateCondition(src), (e: unknown) => e instanceof ExprError && /^expression nested too deeply/.test(e.message)));
});
