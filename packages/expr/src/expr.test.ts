import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compile, evaluate, ExprError, parse } from './index.js';

type Row = [src: string, env: Record<string, unknown>, expected: unknown];

function table(name: string, rows: Row[]): void {
  describe(name, () => {
    for (const [src, env, expected] of rows) {
      test(`${src} → ${typeof expected === 'bigint' ? `${expected}n` : JSON.stringify(expected, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v))}`, () => {
        assert.deepStrictEqual(evaluate(src, env), expected);
      });
    }
  });
}

function errors(name: string, rows: [src: string, env: Record<string, unknown>, message: string][]): void {
  describe(name, () => {
    for (const [src, env, message] of rows) {
      test(`${src} ⇒ ${message}`, () => {
        assert.throws(
          () => evaluate(src, env),
          (e: unknown) => {
            assert.ok(e instanceof ExprError, `not an ExprError: ${String(e)}`);
            assert.equal(e.message, message);
            return true;
          },
        );
      });
    }
  });
}

table('literals', [
  ['42', {}, 42n],
  ['1_000_000', {}, 1000000n],
  ['0x1F', {}, 31n],
  ['0o17', {}, 15n],
  ['0b101', {}, 5n],
  ['3.25', {}, 3.25],
  ['1e3', {}, 1000],
  ['.5', {}, 0.5],
  ['-7', {}, -7n],
  ['"a\\tb\\n\\"c\\""', {}, 'a\tb\n"c"'],
  ["'single \\'q\\''", {}, "single 'q'"],
  ['"\\u00e9\\x41\\101"', {}, 'éAA'],
  ['`raw \\n ${x}`', {}, 'raw \\n ${x}'],
  ['nil', {}, null],
  ['true', {}, true],
  ['false', {}, false],
  ['[1, "a", nil, [2]]', {}, [1n, 'a', null, [2n]]],
  ['[1, 2,]', {}, [1n, 2n]],
  ['{a: 1, "b c": 2, 3: "x", (\'k\' + "1"): true}', {}, { a: 1n, 'b c': 2n, '3': 'x', k1: true }],
  ['{}', {}, {}],
  ['1 /* comment */ + // line\n 2', {}, 3n],
]);

table('arithmetic: ints stay ints, / is float division, ** is float', [
  ['1 + 2 * 3', {}, 7n],
  ['(1 + 2) * 3', {}, 9n],
  ['10 - 2 - 3', {}, 5n],
  ['10 / 4', {}, 2.5],
  ['10 / 5', {}, 2],
  ['7 % 3', {}, 1n],
  ['-7 % 3', {}, -1n],
  ['2 ** 10', {}, 1024],
  ['2 ^ 3', {}, 8],
  ['2 ** 3 ** 2', {}, 512],
  ['-2 ** 2', {}, -4],
  ['1 + 2.5', {}, 3.5],
  ['x * 2', { x: 1.5 }, 3],
  ['x + 1', { x: 2 }, 3],
  ['x + 1', { x: 2n }, 3n],
  ['9223372036854775807 + 1', {}, -9223372036854775808n],
  ['1 / 0', {}, Infinity],
  ['"foo" + "bar"', {}, 'foobar'],
  ['-x', { x: 3n }, -3n],
  ['+x', { x: 3 }, 3],
]);

table('comparison and equality', [
  ['1 < 2', {}, true],
  ['2 <= 2', {}, true],
  ['3 > 2.5', {}, true],
  ['"abc" < "abd"', {}, true],
  ['"b" >= "a"', {}, true],
  ['1 == 1.0', {}, true],
  ['x == 3', { x: 3 }, true],
  ['"1" == 1', {}, false],
  ['nil == nil', {}, true],
  ['x == nil', { x: null }, true],
  ['missing == nil', { missing: undefined }, true],
  ['[1, 2] == [1, 2]', {}, true],
  ['{a: [1]} == {a: [1.0]}', {}, true],
  ['{a: 1} != {a: 2}', {}, true],
  ['true != false', {}, true],
]);

table('logic', [
  ['true and false', {}, false],
  ['true && true', {}, true],
  ['false or true', {}, true],
  ['false || false', {}, false],
  ['not true', {}, false],
  ['!false', {}, true],
  ['not (1 > 2)', {}, true],
  ['false and x', {}, false],
  ['true or x', {}, true],
  ['1 < 2 and 2 < 3 or false', {}, true],
]);

table('membership and string operators', [
  ['2 in [1, 2, 3]', {}, true],
  ['2.0 in [1, 2, 3]', {}, true],
  ['"a" in {a: 1}', {}, true],
  ['"b" in {a: 1}', {}, false],
  ['"b" not in {a: 1}', {}, true],
  ['4 not in [1, 2]', {}, true],
  ['"heads" in ["heads", "tails"]', {}, true],
  ['"hello world" contains "o w"', {}, true],
  ['"hello" not contains "x"', {}, true],
  ['"hello" startsWith "he"', {}, true],
  ['"hello" endsWith "lo"', {}, true],
  ['"hello" not endsWith "lo"', {}, false],
  ['"main.log" matches "\\\\.log$"', {}, true],
  ['"ABC" matches "(?i)^abc$"', {}, true],
  ['"abc" not matches "^b"', {}, true],
  ['s matches `^[[:alpha:]]+\\d$`', { s: 'abc1' }, true],
]);

table('member access, optional chaining, indexes, slices', [
  ['a.b.c', { a: { b: { c: 1 } } }, 1],
  ['a["b"]["c"]', { a: { b: { c: 1 } } }, 1],
  ["steps['flip-coin'].outputs.result", { steps: { 'flip-coin': { outputs: { result: 'heads' } } } }, 'heads'],
  ['a.missing', { a: {} }, null],
  ['a?.b', { a: null }, null],
  ['a?.b.c.d', { a: null }, null],
  ['a?.["b"]', { a: null }, null],
  ['arr[0]', { arr: [10, 20, 30] }, 10],
  ['arr[-1]', { arr: [10, 20, 30] }, 30],
  ['arr[1:]', { arr: [10, 20, 30] }, [20, 30]],
  ['arr[:2]', { arr: [10, 20, 30] }, [10, 20]],
  ['arr[1:2]', { arr: [10, 20, 30] }, [20]],
  ['arr[-2:]', { arr: [10, 20, 30] }, [20, 30]],
  ['arr[5:9]', { arr: [10, 20, 30] }, []],
  ['"hello"[1:3]', {}, 'el'],
  ['"héllo"[1]', {}, 'é'],
  ['$env.x', { x: 1 }, 1],
  ['$env["a-b"]', { 'a-b': 2 }, 2],
  ['{a: {b: 5}}.a.b', {}, 5n],
]);

table('ternary, nil coalescing, let', [
  ['1 > 2 ? "yes" : "no"', {}, 'no'],
  ['x ? 1 : y ? 2 : 3', { x: false, y: true }, 2n],
  ['a ?? "default"', { a: null }, 'default'],
  ['a ?? "default"', { a: 'set' }, 'set'],
  ['a.b.c ?? 7', { a: {} }, 7n],
  ['let x = 2; x * 3', {}, 6n],
  ['let x = 2; let y = x + 1; x * y', {}, 6n],
  ['(let t = "a"; t + t) + "b"', {}, 'aab'],
  ['if x > 1 { "big" } else { "small" }', { x: 2 }, 'big'],
  ['if x > 1 { "big" } else if x > 0 { "some" } else { "none" }', { x: 0.5 }, 'some'],
  ['let y = if true { 1 } else { 2 }; y + 1', {}, 2n],
  ['if + 1', { if: 1 }, 2],
]);

table('pipes and ranges', [
  ['1..5', {}, [1n, 2n, 3n, 4n, 5n]],
  ['3..1', {}, []],
  ['1..9 | filter(# < 5) | map(# * 2)', {}, [2n, 4n, 6n, 8n]],
  ['"  hi  " | trim() | upper()', {}, 'HI'],
  ['[3, 1, 2] | sort()', {}, [1n, 2n, 3n]],
  ['"a,b" | split(",") | join("-")', {}, 'a-b'],
  ['len(1..100)', {}, 100n],
]);

table('closures', [
  ['all([1, 2, 3], {# > 0})', {}, true],
  ['all([1, -2], # > 0)', {}, false],
  ['any([1, 2, 3], {# == 2})', {}, true],
  ['none([1, 2, 3], {# > 5})', {}, true],
  ['one([1, 2, 3], {# > 2})', {}, true],
  ['one([1, 2, 3], {# > 1})', {}, false],
  ['filter([1, 2, 3, 4], {# % 2 == 0})', {}, [2n, 4n]],
  ['map([1, 2], {# * 2})', {}, [2n, 4n]],
  ['map([1, 2], #index)', {}, [0n, 1n]],
  ['count([1, 2, 3], {# > 1})', {}, 2n],
  ['count([true, false, true])', {}, 2n],
  ['find([1, 2, 3], # > 1)', {}, 2n],
  ['find([1, 2, 3], # > 5)', {}, null],
  ['findIndex([1, 2, 3], # > 1)', {}, 1n],
  ['findIndex([1, 2, 3], # > 5)', {}, -1n],
  ['findLast([1, 2, 3], # > 1)', {}, 3n],
  ['findLastIndex([1, 2, 3], # > 1)', {}, 2n],
  ['groupBy([1, 2, 3, 4], # % 2 == 0)', {}, { false: [1n, 3n], true: [2n, 4n] }],
  ['sortBy(users, .age)', { users: [{ age: 3 }, { age: 1 }] }, [{ age: 1 }, { age: 3 }]],
  ['sortBy(users, .age, "desc")', { users: [{ age: 1 }, { age: 3 }] }, [{ age: 3 }, { age: 1 }]],
  ['sortBy(users, "age", "desc")', { users: [{ age: 1 }, { age: 3 }] }, [{ age: 3 }, { age: 1 }]],
  ['reduce(1..4, #acc + #)', {}, 10n],
  ['reduce(1..4, #acc + #, 10)', {}, 20n],
  ['sum([1, 2, 3])', {}, 6n],
  ['sum([1, 2.5])', {}, 3.5],
  ['sum(items, .n)', { items: [{ n: 1 }, { n: 2 }] }, 3],
  ['filter(tweets, {len(.text) > 3}) | map(.text)', { tweets: [{ text: 'hi' }, { text: 'hello' }] }, ['hello']],
  ['map([[1, 2], [3]], {map(#, # * 10)})', {}, [[10n, 20n], [30n]]],
  ['filter(data, {# endsWith "main.log"})', { data: ['a/main.log', 'b.txt'] }, ['a/main.log']],
  ['all(steps, .status == "Succeeded")', { steps: { a: { status: 'Succeeded' }, b: { status: 'Succeeded' } } }, true],
]);

errors('syntax errors carry line:column', [
  ['foo + )', { foo: 1 }, 'unexpected token ")" (1:7)'],
  ['1 +', {}, 'unexpected end of expression (1:4)'],
  ['', {}, 'empty expression (1:1)'],
  ['(1 + 2', {}, 'unexpected end of expression, expected ")" (1:7)'],
  ['[1, 2', {}, 'unexpected end of expression, expected "," (1:6)'],
  ['a.', { a: {} }, 'unexpected end of expression, expected a field name after "." (1:3)'],
  ['"abc', {}, 'literal not terminated (1:1)'],
  ['1 +\n  @', {}, 'unrecognized character: "@" (2:3)'],
  ['"\\q"', {}, 'invalid escape sequence \\q (1:2)'],
  ['# > 1', {}, 'cannot use pointer accessor outside predicate (1:1)'],
  ['map([1], #foo)', {}, 'unknown pointer #foo (use #, #index or #acc) (1:10)'],
  ['1 2', {}, 'unexpected token "2" (1:3)'],
  ['let = 1; 2', {}, 'expected a variable name after "let" (1:5)'],
  ['1 ? 2', {}, 'unexpected end of expression, expected ":" (1:6)'],
  ['a ?: b', { a: 1, b: 2 }, 'unexpected token ":" (1:4)'],
  ['if x { 1 }', { x: true }, 'expected "else" after the "if" block (1:11)'],
  ['99999999999999999999', {}, 'integer literal out of range: 99999999999999999999 (1:1)'],
  ['x matches "(?=a)"', { x: 'a' }, 'error parsing regexp "(?=a)": lookahead and lookbehind assertions are not supported by RE2 (1:11)'],
  ['len()', {}, 'not enough arguments to call len (1:1)'],
  ['len(1, 2)', {}, 'too many arguments to call len (1:1)'],
  ['filter([1])', {}, 'not enough arguments to call filter (1:1)'],
]);

errors('runtime errors name the operation and the types', [
  ['"a" < 1', {}, 'invalid operation: string < int (string "a" < int 1) (1:5)'],
  ['1 + "a"', {}, 'invalid operation: int + string (int 1 + string "a") (1:3)'],
  ['x - 1', { x: 'v' }, 'invalid operation: string - int (string "v" - int 1) (1:3)'],
  ['1.5 % 2', {}, 'invalid operation: float % int (float 1.5 % int 2) (1:5)'],
  ['5 % 0', {}, 'integer divide by zero (1:3)'],
  ['unknown_var', {}, 'unknown name unknown_var (1:1)'],
  ['a.b.c', { a: {} }, 'cannot fetch c from nil (1:5)'],
  ['arr[5]', { arr: [1, 2] }, 'index out of range: 5 (array length is 2) (1:4)'],
  ['arr["x"]', { arr: [1] }, 'cannot fetch "x" from array (arrays are indexed by integers) (1:4)'],
  ['1 and true', {}, '"and" needs a bool, got int 1 (1:3)'],
  ['not "x"', {}, '"not" needs a bool, got string "x" (1:1)'],
  ['"x" ? 1 : 2', {}, 'the condition of ?: must be a bool, got string "x" (1:1)'],
  ['1 in 2', {}, 'invalid operation: int in int ("in" needs an array or a map on the right, got int 2) (1:3)'],
  ['1 contains "a"', {}, 'invalid operation: int contains string (int 1 contains string "a") (1:3)'],
  ['filter([1], # + 1)', {}, 'filter: the predicate must return a bool, got int 2 (1:1)'],
  ['filter(5, # > 1)', {}, 'filter: cannot iterate over int 5 (1:1)'],
  ['x()', { x: 1 }, 'x is not a function (it is float 1) (1:1)'],
  ['int("abc")', {}, 'int: strconv.Atoi: parsing "abc": invalid syntax (1:1)'],
  ['1..x', { x: 'a' }, 'invalid operation: int .. string (int 1 .. string "a") (1:2)'],
]);

describe('compile once, run many', () => {
  test('a program runs against different envs', () => {
    const p = compile('user.age >= 18 && user.name startsWith "A"');
    assert.equal(p.run({ user: { age: 20, name: 'Ann' } }), true);
    assert.equal(p.run({ user: { age: 12, name: 'Ann' } }), false);
    assert.equal(p.run({ user: { age: 30, name: 'Bob' } }), false);
  });
  test('compile with an env reports unknown names and functions at compile time', () => {
    assert.throws(() => compile('foo + bar', { env: { foo: 1 } }), /unknown name bar \(1:7\)/);
    assert.throws(() => compile('nope(1)', { env: {} }), /unknown func nope \(1:1\)/);
    assert.equal(compile('foo + 1', { env: { foo: 1n } }).run({ foo: 2n }), 3n);
  });
  test('allowUndefinedVariables makes unknown names nil', () => {
    assert.equal(compile('x ?? 5', { allowUndefinedVariables: true }).run({}), 5n);
  });
  test('env functions are callable; thrown errors get the position', () => {
    assert.equal(evaluate('double(21)', { double: (x: bigint) => x * 2n }), 42n);
    assert.throws(() => evaluate('\n  boom()', { boom: () => { throw new Error('kaput'); } }), /^ExprError: kaput \(2:3\)$|kaput \(2:3\)/);
  });
  test('ExprError exposes line, column, reason and a caret snippet', () => {
    try {
      evaluate('a +\n  )', { a: 1 });
      assert.fail('no error');
    } catch (e) {
      assert.ok(e instanceof ExprError);
      assert.equal(e.line, 2);
      assert.equal(e.column, 3);
      assert.equal(e.reason, 'unexpected token ")"');
      assert.equal(e.snippet, ' |   )\n | ..^');
    }
  });
  test('parse exposes the AST', () => {
    const ast = parse('a.b + 1');
    assert.equal(ast.k, 'binary');
  });
  test('hostile env keys are not inherited from Object.prototype', () => {
    assert.throws(() => evaluate('constructor', {}), /unknown name constructor/);
    assert.equal(evaluate('a.constructor', { a: {} }), null);
    assert.equal(evaluate('"toString" in a', { a: {} }), false);
  });
});

describe('hostile input fails cleanly', () => {
  const cases: [string, () => unknown, RegExp][] = [
    ['20,000 nested parentheses', () => evaluate('('.repeat(20000) + '1' + ')'.repeat(20000)), /^expression nested too deeply \(more than 200 levels\) \(1:201\)$/],
    ['50,000 unary minus', () => evaluate('-'.repeat(50000) + '1'), /^expression nested too deeply/],
    ['100,000 additions', () => evaluate('1' + '+1'.repeat(100000)), /^expression too long \(more than 2000 operators in a row\)/],
    ['20,000 open brackets', () => evaluate('['.repeat(20000)), /^expression nested too deeply/],
    ['a range of 10^12 elements', () => evaluate('1..1000000000000'), /^range 1\.\.1000000000000 is too large/],
    ['a 10^9-fold repeat', () => evaluate('repeat("ab", 1000000000)'), /^repeat: result longer than 10,000,000 characters/],
  ];
  for (const [name, f, re] of cases) test(name, () => assert.throws(f, (e: unknown) => e instanceof ExprError && re.test(e.message)));
  test('150 nested parentheses are fine', () => assert.equal(evaluate('('.repeat(150) + '1' + ')'.repeat(150)), 1n));
});
