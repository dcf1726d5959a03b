import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluate, ExprError, toPlain, translateRE2, compileRegex, Duration } from './index.js';

type Row = [src: string, env: Record<string, unknown>, expected: unknown];

function table(name: string, rows: Row[]): void {
  describe(name, () => {
    for (const [src, env, expected] of rows) {
      test(src, () => assert.deepStrictEqual(evaluate(src, env), expected));
    }
  });
}

table('numbers', [
  ['abs(-3)', {}, 3n],
  ['abs(-2.5)', {}, 2.5],
  ['ceil(1.2)', {}, 2],
  ['floor(1.8)', {}, 1],
  ['round(2.5)', {}, 3],
  ['round(-2.5)', {}, -3],
  ['max(1, 5, 3)', {}, 5n],
  ['max(1, 2.5)', {}, 2.5],
  ['min([4, 2, 8])', {}, 2n],
  ['int(3.9)', {}, 3n],
  ['int("42")', {}, 42n],
  ['float(2)', {}, 2],
  ['float("1.5")', {}, 1.5],
  ['mean([1, 2, 3, 4])', {}, 2.5],
  ['median([3, 1, 2])', {}, 2],
  ['median([1, 2, 3, 4])', {}, 2.5],
  ['bitand(6, 3)', {}, 2n],
  ['bitor(4, 1)', {}, 5n],
  ['bitxor(6, 3)', {}, 5n],
  ['bitnot(0)', {}, -1n],
  ['bitshl(1, 4)', {}, 16n],
  ['bitshr(16, 2)', {}, 4n],
]);

table('strings', [
  ['len("héllo")', {}, 5n],
  ['trim("  x  ")', {}, 'x'],
  ['trim("__x__", "_")', {}, 'x'],
  ['trimPrefix("prefix-x", "prefix-")', {}, 'x'],
  ['trimSuffix("x.log", ".log")', {}, 'x'],
  ['upper("abc")', {}, 'ABC'],
  ['lower("ABC")', {}, 'abc'],
  ['split("a,b,c", ",")', {}, ['a', 'b', 'c']],
  ['split("a,b,c", ",", 2)', {}, ['a', 'b,c']],
  ['splitAfter("a,b,c", ",")', {}, ['a,', 'b,', 'c']],
  ['replace("aaa", "a", "b")', {}, 'bbb'],
  ['repeat("ab", 3)', {}, 'ababab'],
  ['indexOf("hello", "l")', {}, 2n],
  ['indexOf("héllo", "l")', {}, 3n],
  ['indexOf("hello", "z")', {}, -1n],
  ['lastIndexOf("hello", "l")', {}, 3n],
  ['hasPrefix("hello", "he")', {}, true],
  ['hasSuffix("hello", "lo")', {}, true],
  ['string(42)', {}, '42'],
  ['string(1.5)', {}, '1.5'],
  ['string(2.0)', {}, '2'],
  ['string(1e21)', {}, '1e+21'],
  ['string(nil)', {}, '<nil>'],
  ['string([1, "a"])', {}, '[1 a]'],
  ['string({b: 1, a: 2})', {}, 'map[a:2 b:1]'],
  ['string(true)', {}, 'true'],
  ['toBase64("hi")', {}, 'aGk='],
  ['fromBase64("aGk=")', {}, 'hi'],
]);

table('arrays and maps', [
  ['len([1, 2])', {}, 2n],
  ['len({a: 1})', {}, 1n],
  ['keys({b: 1, a: 2})', {}, ['b', 'a']],
  ['values({a: 1})', {}, [1n]],
  ['toPairs({a: 1})', {}, [['a', 1n]]],
  ['fromPairs([["a", 1], ["b", 2]])', {}, { a: 1n, b: 2n }],
  ['first([1, 2])', {}, 1n],
  ['first([])', {}, null],
  ['last([1, 2])', {}, 2n],
  ['get({a: 1}, "a")', {}, 1n],
  ['get({a: 1}, "b")', {}, null],
  ['get([1, 2], 5)', {}, null],
  ['get([1, 2], -1)', {}, 2n],
  ['take([1, 2, 3], 2)', {}, [1n, 2n]],
  ['reverse([1, 2, 3])', {}, [3n, 2n, 1n]],
  ['uniq([1, 2, 1, 1.0, "a", "a"])', {}, [1n, 2n, 'a']],
  ['concat([1], [2, 3], [])', {}, [1n, 2n, 3n]],
  ['flatten([1, [2, [3]]])', {}, [1n, 2n, 3n]],
  ['sort([3, 1, 2])', {}, [1n, 2n, 3n]],
  ['sort(["b", "a"], "desc")', {}, ['b', 'a']],
  ['join(["a", "b"], ", ")', {}, 'a, b'],
  ['join(["a", "b"])', {}, 'ab'],
]);

table('types and JSON', [
  ['type(1)', {}, 'int'],
  ['type(1.5)', {}, 'float'],
  ['type(x)', { x: 1 }, 'float'],
  ['type("")', {}, 'string'],
  ['type(nil)', {}, 'nil'],
  ['type(true)', {}, 'bool'],
  ['type([])', {}, 'array'],
  ['type({})', {}, 'map'],
  ['type(now())', {}, 'time.Time'],
  ['type(duration("1s"))', {}, 'time.Duration'],
  ['toJSON({b: [1, 1.5], a: "<x>"})', {}, '{\n  "a": "\\u003cx\\u003e",\n  "b": [\n    1,\n    1.5\n  ]\n}'],
  ['fromJSON("{\\"a\\": [1, true, null]}")', {}, { a: [1, true, null] }],
  ['fromJSON("[1]")[0] + 1', {}, 2],
]);

describe('dates and durations', () => {
  test('duration arithmetic and methods', () => {
    assert.equal(String(evaluate('duration("1h30m") + duration("30m")')), '2h0m0s');
    assert.equal(evaluate('duration("90s").Minutes()'), 1.5);
    assert.equal(evaluate('duration("1500ms").Seconds()'), 1.5);
    assert.equal(evaluate('duration("1h") > duration("59m")'), true);
    assert.ok(evaluate('duration("2s") * 3') instanceof Duration);
  });
  test('date parsing, comparison and subtraction', () => {
    assert.equal(evaluate('date("2024-01-02") > date("2024-01-01")'), true);
    assert.equal(evaluate('(date("2024-01-02T00:00:00Z") - date("2024-01-01T12:00:00Z")).Hours()'), 12);
    assert.equal(evaluate('date("2024-03-05T10:00:00Z").Year()'), 2024n);
    assert.equal(evaluate('date("05/03/2024", "02/01/2006").Format("2006-01-02")'), '2024-03-05');
    assert.equal(evaluate('(date("2024-01-01") + duration("48h")).Format("Jan 2")'), 'Jan 3');
    assert.equal(evaluate('now() - date("2020-01-01") > duration("1h")'), true);
    assert.equal(evaluate('date("15:04:05").Hour()'), 15n);
    assert.equal(evaluate('date("2023-08-14 00:00:00", "2006-01-02 15:04:05", "Europe/Zurich").UTC().Hour()'), 22n);
    assert.equal(evaluate('t == nil || (now() - t).Seconds() > 360', { t: null }), true);
  });
  test('bad dates and durations fail with the reason', () => {
    assert.throws(() => evaluate('duration("1 hour")'), /duration: .*\(1:1\)/);
    assert.throws(() => evaluate('date("yesterday")'), /date: cannot parse "yesterday" as a date \(1:1\)/);
  });
});

describe('toPlain', () => {
  test('ints become numbers, maps and arrays recurse', () => {
    assert.deepStrictEqual(toPlain(evaluate('{a: [1, 2.5, "x"], n: nil}')), { a: [1, 2.5, 'x'], n: null });
    assert.equal(toPlain(9223372036854775807n), '9223372036854775807');
  });
});

describe('RE2 → RegExp', () => {
  const ok: [string, string, boolean][] = [
    ['^\\d+$', '123', true],
    ['(?i)HELLO', 'hello', true],
    ['(?s)a.b', 'a\nb', true],
    ['a.b', 'a\nb', false],
    ['(?P<year>\\d{4})-\\d{2}', '2024-01', true],
    ['\\Aabc\\z', 'abc', true],
    ['\\Aabc\\z', 'abc\n', false],
    ['[[:upper:]][[:digit:]]', 'A1', true],
    ['[^[:space:]]+', '  x', true],
    ['\\pL+', 'héllo', true],
    ['\\p{Greek}', 'α', true],
    ['\\Qa.b\\E', 'a.b', true],
    ['\\Qa.b\\E', 'axb', false],
    ['\\x{41}', 'A', true],
    ['a{2,3}', 'aa', true],
    ['a{,2}', 'a{,2}', true],
    ['\\s', '\u00a0', false],
    ['x*?y', 'xxy', true],
    ['\\.log$', 'main.log', true],
    ['a/b', 'a/b', true],
    ['\\-\\_\\!', '-_!', true],
  ];
  for (const [re, s, want] of ok) test(`${re} on ${JSON.stringify(s)} → ${want}`, () => assert.equal(compileRegex(re).test(s), want));

  const bad: [string, RegExp][] = [
    ['(a)\\1', /backreferences are not supported by RE2/],
    ['a(?=b)', /lookahead and lookbehind assertions are not supported by RE2/],
    ['(?<!a)b', /lookahead and lookbehind assertions are not supported by RE2/],
    ['(?>a)', /atomic groups/],
    ['a*+', /invalid nested repetition operator: \*\+/],
    ['a{1001}', /invalid repeat count/],
    ['a(?i)b', /flags .* only at the start/],
    ['(?U)a+', /ungreedy/],
    ['(a', /missing closing \)/],
    ['a)', /unexpected \)/],
    ['[a', /missing closing \]/],
    ['*a', /missing argument to repetition operator/],
    ['\\Z', /invalid escape sequence: \\Z/],
    ['[[:foo:]]', /invalid character class range/],
  ];
  for (const [re, msg] of bad)
    test(`${re} is rejected`, () =>
      assert.throws(() => compileRegex(re), (e: unknown) => e instanceof Error && msg.test(e.message) && e.message.startsWith(`error parsing regexp ${JSON.stringify(re)}`)));

  test('matches with a bad literal pattern fails at compile time with the position of the pattern', () => {
    assert.throws(() => evaluate('s matches "a(?=b)"', { s: '' }), (e: unknown) => e instanceof ExprError && e.column === 11);
  });
  test('a pattern from the env is translated at run time', () => {
    assert.equal(evaluate('s matches p', { s: 'ab12', p: '^[[:alpha:]]+\\d+$' }), true);
  });
  test('translateRE2 output', () => {
    assert.deepEqual(translateRE2('(?i)(?P<n>a)\\z'), { source: '(?<n>a)(?![\\s\\S])', flags: 'ui' });
  });
});
