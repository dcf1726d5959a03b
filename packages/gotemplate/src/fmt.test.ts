// Conformance: printf verbs and value formatting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCases, type Case } from './testutil.js';
import { formatFloat, sprintf } from './fmt.js';
import { GoNum } from './values.js';

const printf: Case[] = [
  ['{{ printf "%s" "x" }}', {}, 'x'],
  ['{{ printf "%d" 42 }}', {}, '42'],
  ['{{ printf "%5d|%-5d|%05d" 42 42 42 }}', {}, '   42|42   |00042'],
  ['{{ printf "%+d % d" 5 5 }}', {}, '+5  5'],
  ['{{ printf "%05d" -42 }}', {}, '-0042'],
  ['{{ printf "%x %X %o %b %O" 255 255 8 5 8 }}', {}, 'ff FF 10 101 0o10'],
  ['{{ printf "%#x %#o" 255 8 }}', {}, '0xff 010'],
  ['{{ printf "%c%c" 72 105 }}', {}, 'Hi'],
  ['{{ printf "%q" 97 }}', {}, "'a'"],
  ['{{ printf "%U" 0x1F600 }}', {}, 'U+1F600'],
  ['{{ printf "%f" 3.14159 }}', {}, '3.141590'],
  ['{{ printf "%.2f" 3.14159 }}', {}, '3.14'],
  ['{{ printf "%8.3f|" 3.14159 }}', {}, '   3.142|'],
  ['{{ printf "%-8.1f|" 3.14159 }}', {}, '3.1     |'],
  ['{{ printf "%.0f %.0f %.0f" 0.5 1.5 2.5 }}', {}, '0 2 2'],
  ['{{ printf "%.2f" 0.125 }}', {}, '0.12'],
  ['{{ printf "%.2f" 0.375 }}', {}, '0.38'],
  ['{{ printf "%e" 1234.5678 }}', {}, '1.234568e+03'],
  ['{{ printf "%E" 0.000123 }}', {}, '1.230000E-04'],
  ['{{ printf "%g" 1234.5678 }}', {}, '1234.5678'],
  ['{{ printf "%g" 1e21 }}', {}, '1e+21'],
  ['{{ printf "%.3g" 1234.5678 }}', {}, '1.23e+03'],
  ['{{ printf "%.3g" 0.0001234 }}', {}, '0.000123'],
  ['{{ printf "%g" 100000.0 }}', {}, '100000'],
  ['{{ printf "%g" 1000000.0 }}', {}, '1e+06'],
  ['{{ printf "%v" 1000000.0 }}', {}, '1e+06'],
  ['{{ printf "%v" 0.1 }}', {}, '0.1'],
  ['{{ printf "%f" 1e6 }}', {}, '1000000.000000'],
  ['{{ printf "%t" true }}', {}, 'true'],
  ['{{ printf "%v" .m }}', { m: { b: 2, a: 1 } }, 'map[a:1 b:2]'],
  ['{{ printf "%v" .l }}', { l: [1, 2, 3] }, '[1 2 3]'],
  ['{{ printf "%v" nil }}', {}, '<nil>'],
  ['{{ printf "%s" nil }}', {}, '%!s(<nil>)'],
  ['{{ printf "%d" "x" }}', {}, '%!d(string=x)'],
  ['{{ printf "%d" 1.5 }}', {}, '%!d(float64=1.5)'],
  ['{{ printf "%s" 5 }}', {}, '%!s(int=5)'],
  ['{{ printf "%d" .v }}', { v: 3 }, '%!d(float64=3)'],
  ['{{ printf "%z" 1 }}', {}, '%!z(int=1)'],
  ['{{ printf "%d %d" 1 }}', {}, '1 %!d(MISSING)'],
  ['{{ printf "%d" 1 2 }}', {}, '1%!(EXTRA int=2)'],
  ['{{ printf "x" "y" nil }}', {}, 'x%!(EXTRA string=y, <nil>)'],
  ['{{ printf "%" }}', {}, '%!(NOVERB)'],
  ['{{ printf "100%%" }}', {}, '100%'],
  ['{{ printf "%[2]s %[1]s" "a" "b" }}', {}, 'b a'],
  ['{{ printf "%*d" 5 42 }}', {}, '   42'],
  ['{{ printf "%5s|%-5s|" "ab" "ab" }}', {}, '   ab|ab   |'],
  ['{{ printf "%05s" "ab" }}', {}, '000ab'],
  ['{{ printf "%.2s" "abcdef" }}', {}, 'ab'],
  ['{{ printf "%q" "a\\"b\\n" }}', {}, '"a\\"b\\n"'],
  ['{{ printf "%q" .l }}', { l: ['a', 'b'] }, '["a" "b"]'],
  ['{{ printf "%#q" "ab" }}', {}, '`ab`'],
  ['{{ printf "%x" "hi" }}', {}, '6869'],
  ['{{ printf "% x" "hi" }}', {}, '68 69'],
  ['{{ printf "%X" "hi" }}', {}, '6869'],
  ['{{ printf "%T %T %T %T %T %T" 1 1.5 "s" true .l .m }}', { l: [], m: {} }, 'int float64 string bool []interface {} map[string]interface {}'],
  ['{{ printf "%T" nil }}', {}, '<nil>'],
  ['{{ printf "%T" (add 1 2) }}', {}, 'int64'],
  ['{{ printf "%T" (splitList "," "a") }}', {}, '[]string'],
  ['{{ printf "%d" .l }}', { l: [1n, 2n] }, '[1 2]'],
  ['{{ printf "%#v" .m }}', { m: { a: 'x' } }, 'map[string]interface {}{"a":"x"}'],
  ['{{ printf "%#v" .l }}', { l: [1n, 'x'] }, '[]interface {}{1, "x"}'],
  ['{{ printf "%v" (semver "1.2.3") }}', {}, '1.2.3'],
  ['{{ printf "%s" (semver "1.2.3-rc.1") }}', {}, '1.2.3-rc.1'],
  ['{{ printf "%6.2f%%" 12.3456 }}', {}, ' 12.35%'],
  ['{{ printf "%v|%v|%v" 1e-7 123456789.0 -0.5 }}', {}, '1e-07|1.23456789e+08|-0.5'],
  ['{{ printf "%.1f" -0.05 }}', {}, '-0.1'],
  ['{{ printf "%08.3f" -3.14159 }}', {}, '-003.142'],
  ['{{ printf "%+.1e" 12345.0 }}', {}, '+1.2e+04'],
  ['{{ printf "%s" (list "a" 1) }}', {}, '[a %!s(int=1)]'],
];

runCases('printf', printf);

test('formatFloat matches strconv for a range of values', () => {
  const cases: [number, string, number, string][] = [
    [0, 'g', -1, '0'],
    [-0, 'g', -1, '-0'],
    [1, 'e', -1, '1e+00'],
    [123456, 'g', -1, '123456'],
    [1234567, 'g', -1, '1.234567e+06'],
    [0.000012, 'g', -1, '1.2e-05'],
    [0.0001, 'g', -1, '0.0001'],
    [1e100, 'g', -1, '1e+100'],
    [Number.MAX_VALUE, 'g', -1, '1.7976931348623157e+308'],
    [5e-324, 'g', -1, '5e-324'],
    [NaN, 'g', -1, 'NaN'],
    [Infinity, 'f', 2, '+Inf'],
    [-Infinity, 'g', -1, '-Inf'],
    [2.675, 'f', 2, '2.67'],
    [1.005, 'f', 2, '1.00'],
    [9.9999, 'f', 2, '10.00'],
    [9.99, 'e', 1, '1.0e+01'],
    [123.456, 'f', 0, '123'],
    [0.1, 'f', 20, '0.10000000000000000555'],
    [100, 'g', 3, '100'],
    [1e5, 'G', 2, '1E+05'],
  ];
  for (const [x, f, p, want] of cases) assert.equal(formatFloat(x, f, p), want, `${x} ${f} ${p}`);
});

test('sprintf with GoNum types', () => {
  assert.equal(sprintf('%d %v %T', new GoNum('int64', 5n), new GoNum('uint8', 200n), new GoNum('uint64', 1n)), '5 200 uint64');
  assert.equal(sprintf('%x', new GoNum('int64', -255n)), '-ff');
});
